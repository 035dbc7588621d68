"""`make preflight ENV=<ws>`: plan the workspace and check the deployment checklist."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from workflow_tools import REPO_ROOT
from workflow_tools.preflight import rules as _rules  # noqa: F401 - importing registers the rules
from workflow_tools.preflight.expectations import EXPECTATIONS, expectations_for
from workflow_tools.preflight.plan import Plan
from workflow_tools.preflight.registry import REGISTRY, Context, ordered_rule_names
from workflow_tools.preflight.report import failures, render_json, render_table, run_rules
from workflow_tools.preflight.terraform import (
    TerraformError,
    plan_in_emulator,
    stack_endpoint,
    throwaway_emulator,
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="preflight.py",
        description=(
            "Check a Terraform plan against DEPLOYMENT_CHECKLIST.md and print a pass/fail "
            "table; exit 1 if any rule fails, 2 if no plan could be made. Plans the "
            "workspace's tfvars in the local emulator (a running `make local`, --endpoint, "
            "or a throwaway one), or reads --plan-json (`make preflight PREFLIGHT_AWS=1` "
            "plans in AWS with mk/terraform.mk and passes the JSON here)."
        ),
    )
    parser.add_argument("--env", choices=sorted(EXPECTATIONS), help="workspace (required)")
    parser.add_argument("--plan-json", type=Path, help="read this `terraform show -json` file")
    parser.add_argument("--save-plan-json", type=Path, help="also write the plan JSON here")
    parser.add_argument("--endpoint", help="emulator AWS endpoint, e.g. http://127.0.0.1:4566")
    parser.add_argument(
        "--emulator", action="store_true", help="a throwaway emulator even if a stack runs"
    )
    parser.add_argument("--region", default="eu-west-1", help="emulator region")
    parser.add_argument("--terraform-dir", type=Path, default=REPO_ROOT / "terraform")
    parser.add_argument(
        "--var-file", type=Path, action="append", default=[], help="tfvars (repeatable)"
    )
    parser.add_argument(
        "--tf-arg", action="append", default=[], help="extra `terraform plan` argument"
    )
    parser.add_argument("--rule", action="append", choices=sorted(REGISTRY), help="run only")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("--list-rules", action="store_true", help="print the registry and exit")
    return parser.parse_args(argv)


def progress(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


def make_plan(args: argparse.Namespace) -> dict[str, object]:
    """Plan in the emulator: a running stack's, --endpoint, or a throwaway one."""
    var_files = args.var_file or [args.terraform_dir / "environments" / f"{args.env}.tfvars"]
    endpoint = args.endpoint or (None if args.emulator else stack_endpoint())
    plan_args = (var_files, args.tf_arg, args.region, progress, args.terraform_dir)
    if endpoint:
        return plan_in_emulator(args.env, endpoint, *plan_args)
    progress("no running stack: planning in a throwaway emulator")
    with throwaway_emulator() as throwaway:
        return plan_in_emulator(args.env, throwaway, *plan_args)


def load_plan(args: argparse.Namespace) -> Plan:
    if args.plan_json:
        return Plan.load(args.plan_json)
    document = make_plan(args)
    if args.save_plan_json:
        args.save_plan_json.write_text(json.dumps(document))
    return Plan.from_dict(document)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list_rules:
        for name in ordered_rule_names():
            rule = REGISTRY[name]
            print(f"{rule.name:32}  {rule.section} :: {rule.item}")
        return 0
    if not args.env:
        print("preflight: --env is required (local, dev, staging, prod)", file=sys.stderr)
        return 2
    try:
        plan = load_plan(args)
    except (TerraformError, OSError, ValueError) as exc:
        print(f"preflight: {exc}", file=sys.stderr)
        return 2
    ctx = Context(plan=plan, expect=expectations_for(args.env), repo_root=REPO_ROOT)
    results = run_rules(ctx, args.rule)
    render = render_json if args.format == "json" else render_table
    print(render(results, args.env))
    return 1 if failures(results) else 0
