"""`make preflight ENV=<ws>`: plan the workspace and check the deployment checklist."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from preflight import rules as _rules  # noqa: F401 - importing registers the rules
from preflight.expectations import EXPECTATIONS, expectations_for
from preflight.plan import Plan
from preflight.registry import REGISTRY, Context
from preflight.report import failures, render_json, render_table, run_rules
from preflight.terraform import TerraformError, plan_json, select_workspace

REPO_ROOT = Path(__file__).resolve().parents[2]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="preflight.py",
        description=(
            "Check a Terraform plan against DEPLOYMENT_CHECKLIST.md. Plans the workspace "
            "(terraform must be initialised: `make init ENV=<ws>`) or reads --plan-json."
        ),
    )
    parser.add_argument("--env", choices=sorted(EXPECTATIONS), help="workspace (required)")
    parser.add_argument("--plan-json", type=Path, help="read this `terraform show -json` file")
    parser.add_argument("--save-plan-json", type=Path, help="also write the plan JSON here")
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


def load_plan(args: argparse.Namespace) -> Plan:
    if args.plan_json:
        return Plan.load(args.plan_json)
    var_files = args.var_file or [args.terraform_dir / "environments" / f"{args.env}.tfvars"]
    print(f"==> terraform plan for workspace {args.env}", file=sys.stderr)
    select_workspace(args.terraform_dir, args.env)
    document = plan_json(args.terraform_dir, var_files, args.tf_arg)
    if args.save_plan_json:
        args.save_plan_json.write_text(json.dumps(document))
    return Plan.from_dict(document)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list_rules:
        for rule in REGISTRY.values():
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
