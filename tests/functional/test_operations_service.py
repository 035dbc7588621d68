"""The operators' service against moto and the fake Jira: list, remind, decide on behalf,
cancel, built by the composition root as the ops tool builds it."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from jira_workflow.clock import utc_now
from jira_workflow.container import Container
from jira_workflow.domain.errors import ApprovalAlreadyDecided, NoPendingApproval, RequestNotFound
from jira_workflow.domain.requests import Decision
from jira_workflow.models.settings import Settings
from jira_workflow.services.operations import Operations
from tests.functional.conftest import Workflow

ENVIRONMENT = {
    "APPROVE_STATUS": "Approved",
    "REJECT_STATUS": "Rejected",
    "APPROVAL_TIMEOUT_SECONDS": "7200",
}
# What jira_workflow.clock writes: `updated_at` is a range key compared as a string.
WORKFLOW_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _container() -> Container:
    """The deployment's settings (the fixture's environment) with this file's overrides."""
    return Container(Settings.from_env({**os.environ, **ENVIRONMENT}))


def _operations() -> Operations:
    return _container().operations


def _record(workflow: Workflow, key: str) -> dict[str, Any]:
    found = workflow.record(key)
    assert found is not None
    return found


def test_list_shows_requests_awaiting_approval_oldest_first(workflow: Workflow) -> None:
    newer = workflow.awaiting_approval("2026-11-27T12:00:00.000Z")
    older = workflow.awaiting_approval("2026-11-27T08:00:00.000Z")
    found = _operations().pending()
    assert [p.record.issue_key for p in found] == [older, newer]
    assert all(p.token_expires_at and not p.token_expired for p in found)


def test_list_filters_by_age(workflow: Workflow) -> None:
    workflow.awaiting_approval(utc_now())
    assert _operations().pending(older_than_hours=1) == []


def test_resend_posts_the_approval_comment_and_marks_it(workflow: Workflow) -> None:
    key = workflow.awaiting_approval()
    _operations().remind(key, resend=True)
    comments = workflow.jira.comments(key)
    assert comments[-1].startswith(f"Approval needed for {key}.")
    assert "waits 2 hours" in comments[-1]
    assert _record(workflow, key)["approval_comment_at"]


def test_resend_writes_timestamps_in_the_workflows_format(workflow: Workflow) -> None:
    key = workflow.awaiting_approval()

    _operations().remind(key, resend=True)

    record = workflow.record(key)
    assert record is not None
    assert WORKFLOW_TIMESTAMP.match(record["updated_at"])
    assert WORKFLOW_TIMESTAMP.match(record["approval_comment_at"])


def test_remind_prefixes_a_reminder(workflow: Workflow) -> None:
    key = workflow.awaiting_approval()
    _operations().remind(key, resend=False)
    assert workflow.jira.comments(key)[-1].startswith("Reminder:")


def test_remind_refuses_a_request_not_awaiting_approval(workflow: Workflow) -> None:
    with pytest.raises(NoPendingApproval, match="not awaiting approval"):
        _operations().remind("OPS-999", resend=False)


def test_decide_on_behalf_records_the_operator_and_leaves_an_audit_note(
    workflow: Workflow,
) -> None:
    key = workflow.awaiting_approval()
    _operations().decide_on_behalf(key, Decision.APPROVED, "alice", "approver on leave")
    record = _record(workflow, key)
    assert record["state"] == "APPROVED"
    assert record["actor"] == "operations:alice"
    assert record["decision_source"] == "operator"
    assert record["decision_comment"] == "approver on leave"
    assert workflow.token_item(key) is None
    assert "on behalf of the approvers" in workflow.jira.comments(key)[-1]
    assert "approver on leave" in workflow.jira.comments(key)[-1]


def test_second_decision_on_behalf_is_refused(workflow: Workflow) -> None:
    key = workflow.awaiting_approval()
    service = _operations()
    service.decide_on_behalf(key, Decision.REJECTED, "alice", "duplicate request")
    with pytest.raises(ApprovalAlreadyDecided):
        service.decide_on_behalf(key, Decision.APPROVED, "bob", "changed my mind")


def test_cancel_fails_the_approval_task_so_the_workflow_reports_it(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = workflow.awaiting_approval()
    failed: list[dict[str, Any]] = []
    container = _container()
    monkeypatch.setattr(
        container.executions,
        "fail",
        lambda token, error, cause: failed.append({"token": token, "error": error, "cause": cause}),
    )
    outcome = container.operations.cancel(key, "alice", "raised twice", force=False)
    assert "failure path" in outcome
    assert failed == [
        {
            "token": f"token-for-{key}",
            "error": "OperatorCancelled",
            "cause": "cancelled by operations (alice): raised twice",
        }
    ]
    assert workflow.token_item(key) is None


def test_cancel_force_stops_the_execution_and_tells_jira(workflow: Workflow) -> None:
    key = workflow.awaiting_approval()
    _operations().cancel(key, "alice", "bad data", force=True)
    record = _record(workflow, key)
    assert record["state"] == "FAILED"
    assert record["failure_cause"] == "cancelled by operations (alice): bad data"
    status = workflow.sfn.describe_execution(executionArn=record["execution_arn"])["status"]
    assert status == "ABORTED"
    assert "cancelled by operations (alice): bad data" in workflow.jira.comments(key)[-1]
    assert workflow.token_item(key) is None


def test_cancel_force_writes_updated_at_in_the_workflows_format(workflow: Workflow) -> None:
    key = workflow.awaiting_approval()

    _operations().cancel(key, "a", "n", force=True)

    record = workflow.record(key)
    assert record is not None
    assert WORKFLOW_TIMESTAMP.match(record["updated_at"])


def test_cancel_stops_the_execution_when_no_task_of_it_waits(workflow: Workflow) -> None:
    key = workflow.awaiting_approval()
    workflow.dynamodb.delete_item(
        TableName=workflow.table, Key={"pk": {"S": f"TOKEN#{key}"}, "sk": {"S": "TOKEN"}}
    )

    outcome = _operations().cancel(key, "alice", "stuck before approval", force=False)

    assert outcome.startswith("execution stopped")
    assert _record(workflow, key)["state"] == "FAILED"


def test_cancel_refuses_a_finished_request(workflow: Workflow) -> None:
    with pytest.raises(RequestNotFound, match="no request to cancel"):
        _operations().cancel("OPS-404", "a", "n", force=False)
    key = workflow.awaiting_approval()
    _operations().cancel(key, "a", "n", force=True)
    with pytest.raises(RequestNotFound, match=r"no request to cancel \(FAILED\)"):
        _operations().cancel(key, "a", "again", force=True)
