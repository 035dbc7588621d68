"""Workspace, region, state backend, tags and budgets: what the plan says about the deploy."""

from __future__ import annotations

import re
from pathlib import Path

from workflow_tools.preflight.registry import (
    Context,
    Outcome,
    failed,
    passed,
    rule,
    skipped,
    verdict,
)

INFRA = "Pre-Deployment / Infrastructure Review"
TERRAFORM = "Deployment / Terraform"
COST = "Compliance & Governance / Cost Management"

_BACKEND_BLOCK = re.compile(r'backend\s+"(\w+)"\s*\{(?P<body>[^}]*)\}', re.S)
_LOCKFILE = re.compile(r"^\s*use_lockfile\s*=\s*true\b", re.M)
_DYNAMO_LOCK = re.compile(r"^\s*dynamodb_table\s*=", re.M)


@rule("environment_matches_workspace", INFRA, 'Set `environment = "prod"` in variables')
def environment_matches_workspace(ctx: Context) -> Outcome:
    planned = ctx.plan.variable("environment")
    if planned != ctx.expect.environment:
        return failed(f"environment = {planned!r} but the workspace is {ctx.expect.environment}")
    return passed(f'environment = "{planned}"')


@rule("region_configured", INFRA, "Configure appropriate AWS region")
def region_configured(ctx: Context) -> Outcome:
    region = ctx.plan.variable("aws_region")
    if not isinstance(region, str) or not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
        return failed(f"aws_region is {region!r}, not an AWS region name")
    provider_region = ctx.plan.provider_config.get("expressions", {}).get("region", {})
    if "var.aws_region" not in provider_region.get("references", []):
        return failed("the aws provider's region is not var.aws_region")
    return passed(f"aws_region = {region}")


def _backend_sources(root: Path, environment: str) -> tuple[str, str, str]:
    """(backend type, backend block body, partial config for the environment)."""
    kind, body = "", ""
    for tf in sorted(root.glob("*.tf")):
        if match := _BACKEND_BLOCK.search(tf.read_text()):
            kind, body = match.group(1), match.group("body")
    partial = ""
    for candidate in sorted(root.rglob("*")):
        name = candidate.name
        # partial backend configs: <env>.s3.tfbackend or backend-<env>.hcl
        is_backend_file = name.endswith(".tfbackend") or (
            "backend" in name and name.endswith(".hcl")
        )
        if candidate.is_file() and is_backend_file and environment in name:
            partial += candidate.read_text()
    return kind, body, partial


@rule("backend_s3_lockfile", TERRAFORM, "Enable state locking with DynamoDB")
def backend_s3_lockfile(ctx: Context) -> Outcome:
    if not ctx.expect.require_remote_backend:
        return skipped(f"{ctx.expect.environment} keeps its state in the emulator, not for real")
    kind, body, partial = _backend_sources(ctx.repo_root / "terraform", ctx.expect.environment)
    if kind != "s3":
        return failed(f'terraform/ declares backend "{kind or "none"}", not "s3"')
    problems = []
    if not _LOCKFILE.search(body + "\n" + partial):
        problems.append("use_lockfile = true not set in the backend block or its partial config")
    if _DYNAMO_LOCK.search(body + "\n" + partial):
        problems.append("dynamodb_table locking is deprecated since Terraform 1.11")
    return verdict(problems, "S3 backend with native lock file (use_lockfile)")


@rule("default_tags", TERRAFORM, "Tag all resources appropriately")
def default_tags(ctx: Context) -> Outcome:
    if not ctx.plan.provider_config.get("expressions", {}).get("default_tags"):
        return failed("the aws provider has no default_tags")
    required = ctx.expect.required_tags
    problems = []
    tagged = 0
    for resource in ctx.plan.resources:
        tags = resource.get("tags_all")
        if resource.mode != "managed" or not isinstance(tags, dict):
            continue
        tagged += 1
        if missing := [t for t in required if not tags.get(t)]:
            problems.append(f"{resource.address}: missing {', '.join(missing)}")
    if not tagged:
        problems.append("no resource's tags_all is known at plan time: default_tags not static")
    return verdict(problems, f"{tagged} taggable resources carry {', '.join(required)}")


@rule("cost_budget", COST, "Set up AWS Budgets")
def cost_budget(ctx: Context) -> Outcome:
    budgets = ctx.plan.of_type("aws_budgets_budget")
    if not budgets:
        if ctx.expect.require_budget:
            return failed("no aws_budgets_budget (set budget_amount in the tfvars)")
        return skipped(f"budget optional in {ctx.expect.environment}")
    problems = [
        f"{b.address}: budget alerts go nowhere"
        for b in budgets
        if not any(
            n.get("subscriber_sns_topic_arns") or n.get("subscriber_email_addresses")
            for n in (b.get("notification") or [])
            if isinstance(n, dict)
        )
        and not ctx.plan.sources_of_type(
            b, "notification.0.subscriber_sns_topic_arns", "aws_sns_topic"
        )
    ]
    return verdict(problems, f"{len(budgets)} budget(s) alerting the SNS topic")
