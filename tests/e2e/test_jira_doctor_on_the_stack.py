"""`make jira-doctor` against the local stack: the deployed settings and the bot's secret
from the emulator, the Jira site from the fake. The stack's own Jira is shared by every e2e
test, so the failing site is a second fake Jira holding the same bot account, whose workflow
lacks the transition to Done, reached with --jira-url."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local_cloud.driver import LocalStackSession
from local_cloud.fake_jira.fake import FakeJira
from local_cloud.fake_jira.model import DEFAULT_STATUSES, RUNBOOK_TRANSITIONS, Workflow
from workflow_tools.jira_doctor.__main__ import main
from workflow_tools.ops.common import run

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack_file(stack: LocalStackSession, tmp_path: Path) -> Path:
    """What `make local` writes to .local/stack.json, for this session's stack."""
    path = tmp_path / "stack.json"
    path.write_text(json.dumps(stack.info))
    return path


def doctor_args(stack_file: Path) -> list[str]:
    return ["--env", "local", "--stack-file", str(stack_file)]


def test_jira_doctor_passes_against_the_local_stack(
    stack: LocalStackSession, stack_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(main, doctor_args(stack_file)) == 0
    out = capsys.readouterr().out
    assert "MISSING" not in out
    assert "OPS / Service Request: transition Approved -> Done" in out
    assert f"URL is exactly {stack.info['webhook_url']}" in out
    assert stack.jira.response_problems == []


def test_jira_doctor_fails_naming_a_missing_transition(
    stack: LocalStackSession, stack_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    without_done = Workflow.build(
        DEFAULT_STATUSES, [t for t in RUNBOOK_TRANSITIONS if t[2] != "Done"]
    )
    bot = stack.jira
    with FakeJira(email=bot.email, api_token=bot.api_token, workflow=without_done) as site:
        code = run(main, [*doctor_args(stack_file), "--jira-url", site.url])
        assert site.response_problems == []
    out = capsys.readouterr().out
    assert code == 1
    missing = [line for line in out.splitlines() if " MISSING " in line]
    assert missing
    assert all("-> Done" in line for line in missing)
    assert any(line.startswith("OPS / Task: transition Approved -> Done") for line in missing), out
