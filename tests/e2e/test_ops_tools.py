"""The runbook tools against the local stack: the real Terraform, handlers and ASL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from jira_workflow.domain.signature import sign
from local_cloud.driver import LocalStackSession
from tests.e2e.e2e_support import create_request
from workflow_tools.ops import approvals, intake, redrive, rotate_secret, smoke
from workflow_tools.ops.common import Target, run

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack_file(stack: LocalStackSession, tmp_path: Path) -> Path:
    """What `make local` writes to .local/stack.json, for this session's stack."""
    path = tmp_path / "stack.json"
    path.write_text(json.dumps(stack.info))
    return path


def local_args(stack_file: Path) -> list[str]:
    return ["--env", "local", "--stack-file", str(stack_file)]


def smoke_issue(stack: LocalStackSession) -> str:
    """A test issue Jira does not announce itself: the smoke test's delivery is the only one."""
    return stack.jira.create_issue(
        "OPS",
        "[smoke] workflow smoke test",
        issue_type="Service Request",
        status="Submitted",
        description="Smoke test of the workflow.",
        notify=False,
    )


def test_smoke_follows_a_signed_webhook_to_fulfilment(
    stack: LocalStackSession, stack_file: Path
) -> None:
    issue = smoke_issue(stack)
    code = run(
        smoke.main,
        [*local_args(stack_file), "--issue", issue, "--approve", "--timeout", "120"],
    )
    assert code == 0
    # Approved through the callback, not by moving the issue: the runbook's workflow has
    # no Awaiting Approval > Done, so the fulfilment is told by comment.
    assert stack.jira.status(issue) == "Awaiting Approval"
    stack.wait_for_comment(issue, "fulfil")


def test_smoke_fails_with_one_line_when_the_secret_is_wrong(
    stack: LocalStackSession, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = tmp_path / "stack.json"
    wrong.write_text(json.dumps({**stack.info, "webhook_secret": "not-the-secret"}))
    code = run(smoke.main, [*local_args(wrong), "--issue", smoke_issue(stack), "--timeout", "30"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err[-1].startswith("error: webhook answered 401")


def test_decide_on_behalf_completes_a_waiting_request(
    stack: LocalStackSession, stack_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = create_request(stack, "Decided by operations")
    stack.wait_for_state(key, {"AWAITING_APPROVAL"}, timeout=60)
    assert run(approvals.main, [*local_args(stack_file), "list"]) == 0
    assert key in capsys.readouterr().out

    code = run(
        approvals.main,
        [
            *local_args(stack_file),
            "decide",
            key,
            "approved",
            "--operator",
            "oncall",
            "--note",
            "approver on leave",
        ],
    )

    assert code == 0
    done = stack.wait_for_state(key, {"FULFILLED", "FAILED"}, timeout=90)
    assert done["state"] == "FULFILLED"
    assert stack.wait_for_comment(key, "on behalf of the approvers")


def test_cancel_ends_a_waiting_request_through_the_failure_path(
    stack: LocalStackSession, stack_file: Path
) -> None:
    key = create_request(stack, "Cancelled by operations")
    stack.wait_for_state(key, {"AWAITING_APPROVAL"}, timeout=60)

    code = run(
        approvals.main,
        [*local_args(stack_file), "cancel", key, "--operator", "oncall", "--note", "raised twice"],
    )

    assert code == 0
    done = stack.wait_for_state(key, {"FAILED"}, timeout=60)
    assert "raised twice" in (done.get("failureCause") or "")


def test_intake_stop_and_resume_round_trip(stack: LocalStackSession, stack_file: Path) -> None:
    target = Target(
        environment="local",
        region=stack.info["region"],
        endpoint=stack.info["aws_endpoint"],
        stack=stack.info,
    )
    try:
        intake.stop_intake(target)
        api = intake.find_api(target)
        assert intake.webhook_throttle(target, api) == (0.0, 0)
        assert intake.schedule_state(target) == "DISABLED"
    finally:
        intake.resume_intake(target)
    assert intake.schedule_state(target) == "ENABLED"
    assert run(intake.main, [*local_args(stack_file), "status"]) == 0


def test_redrive_lists_unsuccessful_executions(
    stack_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(redrive.main, [*local_args(stack_file), "list", "--since-hours", "1"]) == 0
    assert "unsuccessful" in capsys.readouterr().err


def test_webhook_secret_rotation_keeps_old_deliveries_valid(
    stack: LocalStackSession, stack_file: Path
) -> None:
    target = Target(
        environment="local",
        region=stack.info["region"],
        endpoint=stack.info["aws_endpoint"],
        stack=stack.info,
    )
    original = rotate_secret.read_secret(target, "jira-webhook")
    body = json.dumps({"webhookEvent": "jira:worklog_updated"}).encode()
    try:
        rotate_secret.begin_webhook_rotation(target, "r" * 64)
        response = requests.post(
            stack.info["webhook_url"],
            data=body,
            headers={
                "X-Hub-Signature": sign(body, stack.info["webhook_secret"]),
                "X-Atlassian-Webhook-Identifier": "rotation-check",
            },
            timeout=30,
        )
        assert response.status_code == 200  # verified (and ignored: not an issue event)
    finally:
        rotate_secret.write_secret(target, "jira-webhook", original)
