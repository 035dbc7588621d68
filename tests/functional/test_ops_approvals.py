"""approvals.py against moto and the fake Jira: list, remind, decide on behalf, cancel."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

from jira_workflow.adapters.executions import Executions
from jira_workflow.adapters.jira import JiraClient, JiraCredentials
from jira_workflow.adapters.requests_table import RequestsTable
from jira_workflow.clock import utc_now
from jira_workflow.domain import messages
from jira_workflow.domain.errors import ApprovalAlreadyDecided
from jira_workflow.domain.requests import Decision, RequestState
from jira_workflow.models.settings import Settings
from jira_workflow.services.approvals import Approvals
from tests.functional.conftest import Workflow
from workflow_tools.ops import approvals
from workflow_tools.ops.common import OpsError, Target, jira_client

ENVIRONMENT = {
    "APPROVE_STATUS": "Approved",
    "REJECT_STATUS": "Rejected",
    "APPROVAL_TIMEOUT_SECONDS": "7200",
}
# What jira_workflow.clock writes: `updated_at` is a range key compared as a string.
WORKFLOW_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def _jira(workflow: Workflow) -> JiraClient:
    credentials = JiraCredentials(workflow.jira.email, workflow.jira.api_token)
    return JiraClient(workflow.jira.url, credentials, timeout_seconds=2, max_attempts=1)


def _pending(workflow: Workflow, updated_at: str = "2026-11-27T10:00:00.000Z") -> str:
    """A request waiting for approval, as request_approval leaves it."""
    key = workflow.jira.create_issue("OPS", "Need access", status="Awaiting Approval", notify=False)
    table = RequestsTable(workflow.dynamodb, workflow.table)
    execution = workflow.sfn.start_execution(
        stateMachineArn=workflow.state_machine_arn, name=f"exec-{key}", input=json.dumps({})
    )
    table.claim(key, f"exec-{key}", f"delivery-{key}", f"webhooks/{key}/d.json", updated_at)
    table.update(
        key,
        f"exec-{key}",
        updated_at,
        state=RequestState.AWAITING_APPROVAL,
        execution_arn=execution["executionArn"],
    )
    table.store_token(key, f"exec-{key}", f"token-for-{key}", int(time.time()) + 3600)
    return key


def _approvals(workflow: Workflow, jira: JiraClient) -> Approvals:
    table = RequestsTable(workflow.dynamodb, workflow.table)
    executions = Executions(workflow.sfn, workflow.state_machine_arn)
    return Approvals(table, executions, lambda: jira, utc_now)


def test_list_shows_requests_awaiting_approval_oldest_first(workflow: Workflow) -> None:
    newer = _pending(workflow, "2026-11-27T12:00:00.000Z")
    older = _pending(workflow, "2026-11-27T08:00:00.000Z")
    found = approvals.find_pending(RequestsTable(workflow.dynamodb, workflow.table))
    assert [p.record.issue_key for p in found] == [older, newer]
    assert all(p.token_expires_at and not p.token_expired for p in found)


def test_list_filters_by_age(workflow: Workflow) -> None:
    _pending(workflow, utc_now())
    table = RequestsTable(workflow.dynamodb, workflow.table)
    assert approvals.find_pending(table, older_than_hours=1) == []


def test_resend_posts_the_approval_comment_and_marks_it(workflow: Workflow) -> None:
    key = _pending(workflow)
    table = RequestsTable(workflow.dynamodb, workflow.table)
    approvals.remind(table, _jira(workflow), ENVIRONMENT, key, resend=True)
    comments = workflow.jira.comments(key)
    assert comments[-1].startswith(f"Approval needed for {key}.")
    assert "waits 2 hours" in comments[-1]
    assert workflow.record(key)["approval_comment_at"]


def test_approval_text_falls_back_to_the_workflows_own_defaults() -> None:
    defaults = Settings.from_env({})

    text = approvals.approval_text({}, "OPS-1")

    assert text == messages.approval_needed(
        "OPS-1",
        defaults.trigger.approve_status,
        defaults.trigger.reject_status,
        defaults.approval_timeout_seconds,
    )
    assert "waits 1 day" in text


def test_resend_writes_timestamps_in_the_workflows_format(workflow: Workflow) -> None:
    key = _pending(workflow)
    table = RequestsTable(workflow.dynamodb, workflow.table)

    approvals.remind(table, _jira(workflow), ENVIRONMENT, key, resend=True)

    record = workflow.record(key)
    assert record is not None
    assert WORKFLOW_TIMESTAMP.match(record["updated_at"])
    assert WORKFLOW_TIMESTAMP.match(record["approval_comment_at"])


def test_remind_prefixes_a_reminder(workflow: Workflow) -> None:
    key = _pending(workflow)
    table = RequestsTable(workflow.dynamodb, workflow.table)
    approvals.remind(table, _jira(workflow), ENVIRONMENT, key, resend=False)
    assert workflow.jira.comments(key)[-1].startswith("Reminder:")


def test_remind_refuses_a_request_not_awaiting_approval(workflow: Workflow) -> None:
    table = RequestsTable(workflow.dynamodb, workflow.table)
    with pytest.raises(OpsError, match="not awaiting approval"):
        approvals.remind(table, _jira(workflow), ENVIRONMENT, "OPS-999", resend=False)


def test_decide_on_behalf_records_the_operator_and_leaves_an_audit_note(
    workflow: Workflow,
) -> None:
    key = _pending(workflow)
    jira = _jira(workflow)
    approvals.decide(
        _approvals(workflow, jira), jira, key, Decision.APPROVED, "alice", "approver on leave"
    )
    record = workflow.record(key)
    assert record["state"] == "APPROVED"
    assert record["actor"] == "operations:alice"
    assert record["decision_source"] == "operator"
    assert record["decision_comment"] == "approver on leave"
    assert workflow.token_item(key) is None
    assert "on behalf of the approvers" in workflow.jira.comments(key)[-1]
    assert "approver on leave" in workflow.jira.comments(key)[-1]


def test_second_decision_on_behalf_is_refused(workflow: Workflow) -> None:
    key = _pending(workflow)
    jira = _jira(workflow)
    service = _approvals(workflow, jira)
    approvals.decide(service, jira, key, Decision.REJECTED, "alice", "duplicate request")
    with pytest.raises(ApprovalAlreadyDecided):
        approvals.decide(service, jira, key, Decision.APPROVED, "bob", "changed my mind")


def test_cancel_fails_the_approval_task_so_the_workflow_reports_it(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = _pending(workflow)
    failed: list[dict[str, Any]] = []
    executions = Executions(workflow.sfn, workflow.state_machine_arn)
    monkeypatch.setattr(
        executions,
        "fail",
        lambda token, error, cause: failed.append({"token": token, "error": error, "cause": cause}),
    )
    table = RequestsTable(workflow.dynamodb, workflow.table)
    outcome = approvals.cancel(
        table, executions, workflow.sfn, _jira(workflow), key, "alice", "raised twice", False
    )
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
    key = _pending(workflow)
    table = RequestsTable(workflow.dynamodb, workflow.table)
    executions = Executions(workflow.sfn, workflow.state_machine_arn)
    approvals.cancel(
        table, executions, workflow.sfn, _jira(workflow), key, "alice", "bad data", True
    )
    record = workflow.record(key)
    assert record["state"] == "FAILED"
    assert record["failure_cause"] == "cancelled by operations (alice): bad data"
    status = workflow.sfn.describe_execution(executionArn=record["execution_arn"])["status"]
    assert status == "ABORTED"
    assert "cancelled by operations (alice): bad data" in workflow.jira.comments(key)[-1]


def test_cancel_force_writes_updated_at_in_the_workflows_format(workflow: Workflow) -> None:
    key = _pending(workflow)
    table = RequestsTable(workflow.dynamodb, workflow.table)
    executions = Executions(workflow.sfn, workflow.state_machine_arn)

    approvals.cancel(table, executions, workflow.sfn, _jira(workflow), key, "a", "n", True)

    record = workflow.record(key)
    assert record is not None
    assert WORKFLOW_TIMESTAMP.match(record["updated_at"])


def test_jira_client_reads_the_bot_secret_as_the_functions_do(workflow: Workflow) -> None:
    target = Target(environment="test", region=workflow.secrets.meta.region_name)
    workflow.secrets.create_secret(
        Name=target.secret_id("jira-api"),
        SecretString=json.dumps(
            {"email": workflow.jira.email, "api_token": workflow.jira.api_token}
        ),
    )
    key = workflow.jira.create_issue("OPS", "Need access", notify=False)

    client = jira_client(target, workflow.jira.url)

    assert client.get_issue(key).key == key  # the fake Jira answers 401 to other credentials


def test_cancel_refuses_a_finished_request(workflow: Workflow) -> None:
    table = RequestsTable(workflow.dynamodb, workflow.table)
    executions = Executions(workflow.sfn, workflow.state_machine_arn)
    with pytest.raises(OpsError, match="no request to cancel"):
        approvals.cancel(
            table, executions, workflow.sfn, _jira(workflow), "OPS-404", "a", "n", False
        )


def test_cli_list_prints_a_table(workflow: Workflow, capsys: pytest.CaptureFixture[str]) -> None:
    key = _pending(workflow)
    code = approvals.main(
        [
            "--env",
            "test",
            "--region",
            "eu-west-1",
            "--table",
            workflow.table,
            "--state-machine-arn",
            workflow.state_machine_arn,
            "list",
        ]
    )
    out = capsys.readouterr()
    assert code == 0
    assert out.out.splitlines()[0].split() == [
        "ISSUE",
        "WAITING",
        "COMMENTED",
        "TOKEN",
        "EXECUTION",
    ]
    assert key in out.out
    assert "token-for" not in out.out + out.err  # task tokens are never shown
