"""The reconciler closes open records whose execution has ended (the status change event
was lost, or its function failed), and leaves running, young and unstarted ones alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from jira_workflow.clock import iso
from jira_workflow.container import container
from jira_workflow.handlers import reconciler
from tests.functional.conftest import Workflow
from tests.functional.test_finalise_execution import failure_comments, running_request, submit
from tests.support.lambda_events import FakeLambdaContext


def reconcile() -> dict[str, Any]:
    report: dict[str, Any] = reconciler.handler({}, FakeLambdaContext())
    return report


def last_touched(workflow: Workflow, key: str, minutes_ago: float) -> None:
    moment = iso(datetime.now(UTC) - timedelta(minutes=minutes_ago))
    name = workflow.record(key)["execution_name"]
    workflow.dynamodb.update_item(
        TableName=workflow.table,
        Key={"pk": {"S": key}, "sk": {"S": f"REQUEST#{name}"}},
        UpdateExpression="SET updated_at = :t",
        ExpressionAttributeValues={":t": {"S": moment}},
    )


def test_a_stuck_request_whose_execution_was_stopped_is_closed_once(workflow: Workflow) -> None:
    key, record = running_request(workflow)
    workflow.sfn.stop_execution(executionArn=record["execution_arn"])
    last_touched(workflow, key, minutes_ago=10)

    first, second = reconcile(), reconcile()

    assert first["closed"] == [key]
    assert second["closed"] == []
    assert workflow.record(key)["state"] == "FAILED"
    assert len(failure_comments(workflow, key)) == 1
    assert submit(key, "d-2")["statusCode"] == 202


def test_awaiting_approval_of_a_closed_execution_is_closed(workflow: Workflow) -> None:
    key = workflow.awaiting_approval(updated_at=iso(datetime.now(UTC) - timedelta(hours=3)))
    workflow.sfn.stop_execution(executionArn=workflow.record(key)["execution_arn"])

    assert reconcile()["closed"] == [key]
    assert workflow.record(key)["state"] == "FAILED"


def test_running_young_and_unstarted_requests_are_left_alone(workflow: Workflow) -> None:
    running, _ = running_request(workflow, "d-running")
    last_touched(workflow, running, minutes_ago=10)  # execution still RUNNING
    young, young_record = running_request(workflow, "d-young")
    workflow.sfn.stop_execution(executionArn=young_record["execution_arn"])  # its event is due
    unstarted = workflow.jira.create_issue("OPS", "Never started", notify=False)
    container().table.claim(unstarted, f"{unstarted}-d", "d", "k", iso(datetime.now(UTC)))
    last_touched(workflow, unstarted, minutes_ago=10)  # no execution: restart_stuck's

    report = reconcile()

    assert report["closed"] == []
    assert workflow.record(running)["state"] == "RUNNING"
    assert workflow.record(young)["state"] == "RUNNING"
    assert workflow.record(unstarted)["state"] == "RECEIVED"
