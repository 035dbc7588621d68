"""Deliberately weakened prod tfvars: each must fail its named rule; the real prod passes.

Every file in tests/fixtures/weakened_prod/ is layered on environments/prod.tfvars and planned
in a throwaway emulator exactly as `make preflight ENV=prod WEAKENED=<stem>` does (one plan
per file: 35-45 s a plan on a quiet 2-core machine, 2-3 minutes under load; the 19 plans
took 40 minutes on a shared one, so this lives in the terraform tier). Its first line names
the expectation: `# fails: <rule>`, `# refused: var.<name>` (terraform's own validation) or
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
from workflow_tools.preflight.terraform import TerraformError, plan_in_emulator, throwaway_emulator

REPO_ROOT = Path(__file__).resolve().parents[2]
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


@pytest.fixture(scope="session")
def emulator() -> Iterator[str]:
    with throwaway_emulator() as endpoint:
        yield endpoint


def preflight(endpoint: str, *var_files: Path) -> dict[str, tuple[Status, str]]:
    def progress(message: str) -> None:
        print(f"==> {message}", file=sys.stderr)

    document = plan_in_emulator("prod", endpoint, var_files, [PACKAGE], "eu-west-1", progress)
    ctx = Context(Plan.from_dict(document), expectations_for("prod"), REPO_ROOT)
    results = run_rules(ctx)
    print(render_table(results, "prod"))
    return {r.rule.name: (r.outcome.status, r.outcome.detail) for r in results}


def test_the_real_prod_passes(emulator: str) -> None:
    outcomes = preflight(emulator, PROD)
    assert {
        n: d for n, (s, d) in outcomes.items() if s is not Status.PASS and s is not Status.SKIP
    } == {}


@pytest.mark.parametrize("tfvars", weakened_files(), ids=lambda p: p.stem)
def test_weakened_prod_fails_its_rule(emulator: str, tfvars: Path) -> None:
    kind, name = expectation(tfvars)
    if kind == "refused":
        with pytest.raises(TerraformError, match=name.removeprefix("var.")):
            preflight(emulator, PROD, tfvars)
        return
    outcomes = preflight(emulator, PROD, tfvars)
    status, detail = outcomes[name]
    if kind == "waived":
        assert status is Status.WAIVED, detail
        assert "waived in tfvars:" in detail
        assert not [n for n, (s, _) in outcomes.items() if s is Status.FAIL]
    else:
        assert status is Status.FAIL, detail
