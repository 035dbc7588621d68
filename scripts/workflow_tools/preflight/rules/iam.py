"""IAM: least privilege, read from the policies the plan will attach."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from workflow_tools.preflight.plan import Plan, Resource
from workflow_tools.preflight.registry import Context, Outcome, failed, rule, verdict

INFRA = "Pre-Deployment / Infrastructure Review"
ITEM = "Review IAM role permissions (principle of least privilege)"

# Actions with no resource-level permissions: AWS documents Resource "*" as the only form.
STAR_RESOURCE_ACTIONS = frozenset(
    {
        # task tokens are not resources: the callback, webhook, reconciler and a retried
        # approval step send them by value
        "states:SendTaskSuccess",
        "states:SendTaskFailure",
        "states:SendTaskHeartbeat",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:GetSamplingStatisticSummaries",
        # Step Functions vended log delivery
        "logs:CreateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:DescribeLogGroups",
        "logs:DescribeResourcePolicies",
        "logs:GetLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:UpdateLogDelivery",
        "cloudwatch:PutMetricData",
        # ENI management for VPC-placed functions
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
    }
)
BROAD_MANAGED_POLICIES = ("AdministratorAccess", "PowerUserAccess", "FullAccess", "IAMFullAccess")

IDENTITY_CONSUMERS = {"aws_iam_role_policy": "policy", "aws_iam_policy": "policy"}
KEY_CONSUMERS = {"aws_kms_key": "policy", "aws_kms_key_policy": "policy"}


@dataclass(frozen=True)
class Statement:
    where: str
    effect: str
    actions: tuple[str, ...]
    not_actions: bool
    resources: tuple[str | None, ...]  # None: an ARN known only after apply


def _from_document(where: str, raw: dict[str, Any]) -> Statement:
    """A statement from either aws_iam_policy_document values or policy JSON."""

    def as_tuple(value: Any) -> tuple[Any, ...]:
        if value is None:
            return ()
        return tuple(value) if isinstance(value, list) else (value,)

    return Statement(
        where=f"{where}{' ' + raw['sid'] if raw.get('sid') else ''}",
        effect=str(raw.get("effect") or raw.get("Effect") or "Allow"),
        actions=as_tuple(raw.get("actions") or raw.get("Action")),
        not_actions=bool(raw.get("not_actions") or raw.get("NotAction")),
        resources=as_tuple(raw.get("resources") or raw.get("Resource")),
    )


def _statements_of(plan: Plan, consumer: Resource, attr: str) -> Iterator[Statement]:
    value = consumer.get(attr)
    if isinstance(value, str) and value:
        document = json.loads(value)
        raw = document.get("Statement", [])
        for statement in raw if isinstance(raw, list) else [raw]:
            yield _from_document(consumer.address, statement)
        return
    for address in plan.sources_of_type(consumer, attr, "aws_iam_policy_document"):
        for doc in plan.by_config_address(address):
            for statement in doc.get("statement") or []:
                if isinstance(statement, dict):
                    yield _from_document(doc.address, statement)


def identity_statements(plan: Plan) -> Iterator[Statement]:
    seen: set[tuple[str, str, tuple[str, ...]]] = set()
    for rtype, attr in IDENTITY_CONSUMERS.items():
        for consumer in plan.of_type(rtype):
            for statement in _statements_of(plan, consumer, attr):
                key = (statement.where, statement.effect, statement.actions)
                if key not in seen:  # for_each documents are reached once per consumer
                    seen.add(key)
                    yield statement


def key_policy_statements(plan: Plan) -> Iterator[Statement]:
    for rtype, attr in KEY_CONSUMERS.items():
        for consumer in plan.of_type(rtype):
            yield from _statements_of(plan, consumer, attr)


@rule("iam_no_wildcard_actions", INFRA, ITEM)
def iam_no_wildcard_actions(ctx: Context) -> Outcome:
    statements = list(identity_statements(ctx.plan))
    if not statements:
        return failed("no IAM role policies found in the plan")
    problems = []
    for s in (s for s in statements if s.effect == "Allow"):
        if s.not_actions:
            problems.append(f"{s.where}: Allow with NotAction")
        problems += [f"{s.where}: action {a}" for a in s.actions if "*" in str(a)]
    for s in key_policy_statements(ctx.plan):
        # key policies may use prefixes (kms:Describe*) but never every action
        problems += [f"{s.where}: key policy action {a}" for a in s.actions if a in ("*", "kms:*")]
    for attachment in ctx.plan.of_type("aws_iam_role_policy_attachment"):
        arn = str(attachment.get("policy_arn"))
        if any(arn.endswith(name) or f"/{name}" in arn for name in BROAD_MANAGED_POLICIES):
            problems.append(f"{attachment.address}: broad managed policy {arn.rsplit('/', 1)[-1]}")
    return verdict(problems, f"{len(statements)} statements, every action named")


@rule("iam_star_resources_justified", INFRA, ITEM)
def iam_star_resources_justified(ctx: Context) -> Outcome:
    problems = []
    count = 0
    for s in identity_statements(ctx.plan):
        if s.effect != "Allow" or "*" not in s.resources:
            continue
        count += 1
        unjustified = sorted(set(s.actions) - STAR_RESOURCE_ACTIONS)
        if unjustified:
            problems.append(f"{s.where}: Resource * for {', '.join(unjustified)}")
    return verdict(problems, f"{count} Resource-* statement(s), all AWS-required exceptions")


@rule("iam_role_per_function", INFRA, ITEM)
def iam_role_per_function(ctx: Context) -> Outcome:
    fns = ctx.plan.of_type("aws_lambda_function")
    if not fns:
        return failed("the plan has no aws_lambda_function")
    role_configs: set[str] = set()
    problems = []
    known_roles: list[str] = []
    for fn in fns:
        role = fn.get("role")
        sources = ctx.plan.sources_of_type(fn, "role", "aws_iam_role")
        if isinstance(role, str) and role:
            known_roles.append(role)
        elif sources:
            role_configs.update(sources)
        else:
            problems.append(f"{fn.address}: role not traceable to an aws_iam_role")
    if len(set(known_roles)) < len(known_roles):
        problems.append("functions share a role")
    roles = sum(len(ctx.plan.by_config_address(c)) for c in role_configs) + len(known_roles)
    if roles < len(fns):
        problems.append(f"{len(fns)} functions but only {roles} role(s)")
    return verdict(problems, f"{len(fns)} functions, one role each")
