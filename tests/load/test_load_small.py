"""The load run, small: `python -m workflow_tools.load` on a fresh local stack with 100 webhooks
(30 % duplicated, StartExecution throttled, late retries and signed replays of the first 50
mixed into the last 50), a throttling burst, 10 raced approvals and 10 requests with failing
external APIs. Every check of the full `make load` applies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SMALL_RUN = (
    "--webhooks", "100",
    "--burst-webhooks", "40",
    "--decisions", "10",
    "--fault-requests", "10",
    "--concurrency", "20",
    "--phase-timeout", "240",
    "--time-limit", "900",
)  # fmt: skip


@pytest.mark.slow
def test_small_load_run_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    report = tmp_path / "load.json"
    result = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [
            sys.executable,
            "-m",
            "workflow_tools.load",
            *SMALL_RUN,
            "--state-dir",
            str(REPO_ROOT / ".local" / "load-test"),
            "--json",
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=960,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    document = json.loads(report.read_text())
    assert document["passed"]
    counts = {phase["name"]: phase["counts"] for phase in document["phases"]}
    webhooks = next(c for name, c in counts.items() if name.startswith("webhooks: 100 "))
    assert (webhooks["lost"], webhooks["double effects"]) == (0, 0)
    assert webhooks["executions"] == webhooks["distinct deliveries"] == 100
    assert webhooks["records disturbed"] == 0
    assert webhooks["late retries answered duplicate"] > 0
    assert webhooks["signed replays ignored"] == webhooks["late retries answered duplicate"]
    assert webhooks["old approvals ignored"] == webhooks["late retries answered duplicate"]
    burst = next(c for name, c in counts.items() if name.startswith("webhooks: 40 "))
    assert burst["answers 503 (Jira retried)"] > 0, "the burst should have reached Jira's retries"
    decisions = next(c for name, c in counts.items() if name.startswith("decisions"))
    assert decisions["decisions recorded"] == 10
