"""Deliberately weakened prod tfvars: each must fail its named rule; the real prod passes.

Every file in tests/fixtures/weakened_prod/ is layered on environments/prod.tfvars and planned
in a throwaway emulator as `make preflight ENV=prod WEAKENED=<stem>` does (one plan per file,
about 10 s of CPU each, so this lives in the terraform tier). The plans run one after another
in one `PlanBatch`: one init, one AWS provider process. Each file's first line names the
expectation: `# fails: <rule>`, `# refused: var.<name>` (terraform's own validation) or
`# waived: <rule>`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from workflow_tools.preflight import rules as _rules  # noqa: F401 - registers the rules
from workflow_tools.preflight.expectations import expectations_for
from workflow_tools.preflight.plan import Plan
from workflow_tools.preflight.registry import Context, Status
from workflow_tools.preflight.report import render_table, run_rules
from workflow_tools.preflight.terraform import (
    PlanBatch,
    TerraformError,
    plan_batch,
    throwaway_emulator,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
# Not make preflight's own directory: one running meanwhile (tests/e2e) re-initialises that.
WORK_DIR = REPO_ROOT / ".local" / "preflight" / "prod-weakened-tests"
WEAKENED = REPO_ROOT / "tests" / "fixtures" / "weakened_prod"
PROD = REPO_ROOT / "terraform" / "environments" / "prod.tfvars"
PACKAGE = "-var=lambda_package_path=tests/fixtures/lambda-fixture.zip"
EXPECTATION = re.compile(r"^# (fails|refused|waived): (\S+)")

pytestmark = pytest.mark.slow


def expectation(tfvars: Path) -> tuple[str, str]:
    match = EXPECTATION.match(tfvars.read_text().splitlines()[0])
    if not match:
        raise ValueError(f"{tfvars.name}: first line must be '# fails|refused|waived: <name>'")
    return match.group(1), match.group(2)


def weakened_files() -> list[Path]:
    return sorted(WEAKENED.glob("*.tfvars"))


def progress(message: str) -> None:
    print(f"==> {message}", file=sys.stderr)


@pytest.fixture(scope="session")
def prod_plans() -> Iterator[PlanBatch]:
    with (
        throwaway_emulator() as endpoint,
        plan_batch("prod", endpoint, "eu-west-1", progress, WORK_DIR) as batch,
    ):
        yield batch


def preflight(prod_plans: PlanBatch, *var_files: Path) -> dict[str, tuple[Status, str]]:
    document = prod_plans.plan(var_files, [PACKAGE])
    ctx = Context(Plan.from_dict(document), expectations_for("prod"), REPO_ROOT)
    results = run_rules(ctx)
    print(render_table(results, "prod"))
    return {r.rule.name: (r.outcome.status, r.outcome.detail) for r in results}


def test_the_real_prod_passes(prod_plans: PlanBatch) -> None:
    outcomes = preflight(prod_plans, PROD)
    assert {
        n: d for n, (s, d) in outcomes.items() if s is not Status.PASS and s is not Status.SKIP
    } == {}


@pytest.mark.parametrize("tfvars", weakened_files(), ids=lambda p: p.stem)
def test_weakened_prod_fails_its_rule(prod_plans: PlanBatch, tfvars: Path) -> None:
    kind, name = expectation(tfvars)
    if kind == "refused":
        with pytest.raises(TerraformError, match=name.removeprefix("var.")):
            preflight(prod_plans, PROD, tfvars)
        return
    outcomes = preflight(prod_plans, PROD, tfvars)
    status, detail = outcomes[name]
    if kind == "waived":
        assert status is Status.WAIVED, detail
        assert "waived in tfvars:" in detail
        assert not [n for n, (s, _) in outcomes.items() if s is Status.FAIL]
    else:
        assert status is Status.FAIL, detail
