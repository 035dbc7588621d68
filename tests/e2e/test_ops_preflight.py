"""`make preflight` on the real root module: prod.tfvars planned in a throwaway emulator
passes every rule; the same tfvars, deliberately weakened, fails with a clear table."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow_tools.preflight.cli import main

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PROD_TFVARS = ROOT / "terraform" / "environments" / "prod.tfvars"
# What a careless edit of prod.tfvars could do, one checklist item each.
WEAKENED = """
log_retention_days          = 7
enable_xray                 = false
lambda_reserved_concurrency = null
dynamodb_billing_mode       = "PAY_PER_REQUEST"
budget_amount               = null
enable_s3_access_logging    = false
enable_insights_queries     = false
"""
EXPECTED_FAILURES = {
    "log_retention",
    "xray_tracing",
    "lambda_reserved_concurrency",
    "dynamodb_capacity",
    "cost_budget",
    "s3_access_logging",
    "insights_queries",
}


def rows(output: str) -> dict[str, str]:
    """RULE -> RESULT from the printed table."""
    found = {}
    for line in output.splitlines()[1:]:
        for result in ("PASS", "FAIL", "SKIP"):
            if f"  {result}  " in line:
                found[line.split()[0]] = result
    return found


def test_prod_tfvars_pass_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--env", "prod", "--emulator"])
    captured = capsys.readouterr()
    out = captured.out
    assert code == 0, out + captured.err
    assert "FAIL" not in rows(out).values()


def test_weakened_prod_tfvars_fail_with_a_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    weak = tmp_path / "weakened.tfvars"
    weak.write_text(WEAKENED)

    code = main(
        ["--env", "prod", "--emulator", "--var-file", str(PROD_TFVARS), "--var-file", str(weak)]
    )

    captured = capsys.readouterr()
    out = captured.out
    assert code == 1, captured.err
    assert out.splitlines()[0].split()[:2] == ["RULE", "CHECKLIST"]
    failed = {rule for rule, result in rows(out).items() if result == "FAIL"}
    assert failed == EXPECTED_FAILURES
    assert "7 days < 90" in out
    assert out.strip().splitlines()[-1].startswith("preflight prod: ")
    assert f"{len(EXPECTED_FAILURES)} failed" in out.strip().splitlines()[-1]
