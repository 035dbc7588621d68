"""The scheduled reconciler: nothing is lost when a webhook never arrives."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jira_workflow.container import container
from jira_workflow.domain.errors import JiraUnavailable
from jira_workflow.domain.requests import RequestState
from jira_workflow.handlers import reconciler
from tests.functional.conftest import Workflow
from tests.support.lambda_events import FakeLambdaContext


def reconcile() -> dict[str, Any]:
    return reconciler.handler({}, FakeLambdaContext())


def test_issue_whose_webhook_never_arrived_is_started_once(workflow: Workflow) -> None:
    key = workflow.jira.create_issue(
        "OPS", "Lost webhook", description="Please", status="Submitted", notify=False
    )
    workflow.jira.create_issue("OPS", "Not submitted yet", description="Later", notify=False)

    first = reconcile()
    second = reconcile()

    assert first["started"] == [key]
    assert second["started"] == []
    executions = workflow.executions()
    assert len(executions) == 1
    execution_input = json.loads(
        workflow.sfn.describe_execution(executionArn=executions[0]["executionArn"])["input"]
    )
    assert (
        workflow.s3_json(execution_input["payloadKey"])["issue"]["fields"]["summary"]
        == "Lost webhook"
    )
    assert workflow.record(key)["execution_arn"] == executions[0]["executionArn"]


def test_request_stuck_in_received_is_started(workflow: Workflow) -> None:
    table = container().table
    table.claim("OPS-9", "OPS-9-d", "d", "webhooks/OPS-9/OPS-9-d.json", "2026-01-01T00:00:00Z")

    report = reconcile()

    assert report["restarted"] == ["OPS-9"]
    assert [e["name"] for e in workflow.executions()] == ["OPS-9-d"]


def test_recent_received_request_is_left_to_its_webhook(workflow: Workflow) -> None:
    from jira_workflow.clock import utc_now

    container().table.claim("OPS-9", "OPS-9-d", "d", "k", utc_now())

    assert reconcile()["restarted"] == []


def test_pending_approval_already_decided_in_jira_is_completed(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = workflow.jira.create_issue("OPS", "Decided while webhooks were down", notify=False)
    table = container().table
    table.claim(key, f"{key}-d", "d", "k", "2026-11-28T00:00:00Z")
    table.store_token(key, f"{key}-d", "tok", 2_000_000_000)
    table.update(key, f"{key}-d", "2026-11-28T00:00:01Z", state=RequestState.AWAITING_APPROVAL)
    workflow.jira.drop_next_deliveries(1)
    workflow.jira.transition(key, "Rejected", actor="Quiet Quinn")
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(
        container().executions._client, "send_task_success", lambda **kw: sent.append(kw) or {}
    )

    report = reconcile()

    assert report["decided"] == [key]
    assert json.loads(sent[0]["output"])["decision"] == "rejected"
    record = workflow.record(key)
    assert (record["state"], record["decision_source"]) == ("REJECTED", "reconciler")


def test_jira_down_fails_the_run_so_the_next_schedule_retries(workflow: Workflow) -> None:
    workflow.jira.fail_next(50, status=503)

    with pytest.raises(JiraUnavailable):
        reconcile()
