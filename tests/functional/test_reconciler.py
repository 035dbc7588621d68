"""The scheduled reconciler: nothing is lost when a webhook never arrives."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from jira_workflow.clock import iso
from jira_workflow.container import container
from jira_workflow.domain.errors import ReconcileIncomplete
from jira_workflow.domain.requests import ApprovalDecision, Decision, RequestState
from jira_workflow.handlers import reconciler
from jira_workflow.services.reconcile import MAX_ISSUES_PER_RUN
from local_cloud.fake_jira import model as fake_jira_model
from local_cloud.fake_jira.model import DEFAULT_STATUSES, GLOBAL_TRANSITIONS
from local_cloud.fake_jira.model import Workflow as Workflow_
from tests.functional.conftest import APPROVER_GROUP, Workflow
from tests.support.lambda_events import FakeLambdaContext

# A site whose workflow lets a decision be taken back (Approved -> Awaiting Approval).
DECISIONS_CAN_BE_TAKEN_BACK = fake_jira_model.Workflow.build(
    fake_jira_model.DEFAULT_STATUSES,
    [*fake_jira_model.RUNBOOK_TRANSITIONS, ("Undo", ("Approved",), "Awaiting Approval")],
)


def reconcile() -> dict[str, Any]:
    report: dict[str, Any] = reconciler.handler({}, FakeLambdaContext())
    return report


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


def test_issue_in_the_trigger_status_is_found_by_its_configured_id(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The deployment's name for the status is out of date; its id is not.
    monkeypatch.setenv("TRIGGER_STATUS", "Ready for work")
    monkeypatch.setenv("TRIGGER_STATUS_ID", workflow.jira.workflow.status_id("Submitted"))
    key = workflow.jira.create_issue("OPS", "Lost", status="Submitted", notify=False)
    workflow.jira.create_issue("OPS", "Not yet", notify=False)

    assert reconcile()["started"] == [key]


def last_updated(workflow: Workflow, key: str, hours_ago: float) -> None:
    """Backdate the issue, as if nobody had touched it for `hours_ago`."""
    issue = workflow.jira.issue(key)
    issue.updated = issue.created = datetime.now(UTC) - timedelta(hours=hours_ago)


def test_newest_issue_is_reached_past_a_full_run_of_older_ones(workflow: Workflow) -> None:
    """A backlog of older issues with requests must not hide a new one whose webhook was lost."""
    table = container().table
    for n in range(MAX_ISSUES_PER_RUN):
        old = workflow.jira.create_issue("OPS", f"Old {n}", status="Submitted", notify=False)
        last_updated(workflow, old, hours_ago=2 + n / 100)
        table.claim(old, f"{old}-d", "d", "k", "2026-11-28T00:00:00Z")
    new = workflow.jira.create_issue(
        "OPS", "Lost webhook", description="Please", status="Submitted", notify=False
    )

    assert reconcile()["started"] == [new]


def test_issues_last_updated_before_the_lookback_are_not_started(workflow: Workflow) -> None:
    """The first run after a deploy must not start every old issue in the trigger status."""
    stale = workflow.jira.create_issue("OPS", "Forgotten", status="Submitted", notify=False)
    last_updated(workflow, stale, hours_ago=25)  # RECONCILE_LOOKBACK_HOURS is 24
    recent = workflow.jira.create_issue("OPS", "Lost", status="Submitted", notify=False)
    last_updated(workflow, recent, hours_ago=23)

    report = reconcile()

    assert report["started"] == [recent]
    assert workflow.find_record(stale) is None


def test_issue_created_elsewhere_and_moved_in_is_started_when_both_webhooks_are_lost(
    workflow: Workflow,
) -> None:
    key = workflow.jira.create_issue("OPS", "Draft first", description="x", notify=False)
    assert reconcile()["started"] == []  # not in the trigger status: nothing to start yet
    workflow.jira.drop_next_deliveries(1)
    workflow.jira.transition(key, "Submitted", actor="Alice Reporter")

    assert reconcile()["started"] == [key]


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
    key = workflow.jira.create_issue(
        "OPS", "Decided while webhooks were down", status="Awaiting Approval", notify=False
    )
    table = container().table
    table.claim(key, f"{key}-d", "d", "k", "2026-11-28T00:00:00Z")
    table.store_token(key, f"{key}-d", "tok", 2_000_000_000)
    table.update(key, f"{key}-d", "2026-11-28T00:00:01Z", state=RequestState.AWAITING_APPROVAL)
    workflow.jira.drop_next_deliveries(1)
    workflow.jira.add_to_group(APPROVER_GROUP, "Quiet Quinn")
    workflow.jira.transition(key, "Rejected", actor="Quiet Quinn")
    sent: list[dict[str, Any]] = []

    def send_task_success(**kwargs: Any) -> dict[str, Any]:
        sent.append(kwargs)
        return {}

    monkeypatch.setattr(container().executions._client, "send_task_success", send_task_success)

    report = reconcile()

    assert report["decided"] == [key]
    output = json.loads(sent[0]["output"])
    assert output["decision"] == "rejected"
    record = workflow.record(key)
    assert (record["state"], record["decision_source"]) == ("REJECTING", "reconciler")
    # Who moved it and when, from the issue's changelog: not the reconciler's run.
    moved = workflow.jira.issue(key).histories[-1]
    assert (record["actor"], output["actor"]) == ("Quiet Quinn", "Quiet Quinn")
    assert record["decided_at"] == output["decidedAt"] == iso(moved.created)


def test_pending_approval_is_decided_by_the_configured_status_id(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The site calls its reject status "Rejected"; the deployment knows it by id only.
    rejected_id = workflow.jira.workflow.status_id("Rejected")
    monkeypatch.setenv("REJECT_STATUS", "Declined")
    monkeypatch.setenv("REJECT_STATUS_ID", rejected_id)
    key = workflow.awaiting_approval()
    workflow.jira.drop_next_deliveries(1)
    workflow.jira.add_to_group(APPROVER_GROUP, "Quiet Quinn")
    workflow.jira.transition(key, "Rejected", actor="Quiet Quinn")
    monkeypatch.setattr(container().executions._client, "send_task_success", lambda **kwargs: {})

    assert reconcile()["decided"] == [key]
    assert workflow.record(key)["state"] == "REJECTING"  # ReportRejection makes it REJECTED


def test_decision_takes_the_last_move_into_the_decided_status(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    workflow.jira.workflow = DECISIONS_CAN_BE_TAKEN_BACK
    key = workflow.awaiting_approval()
    workflow.jira.drop_next_deliveries(3)
    workflow.jira.add_to_group(APPROVER_GROUP, "Second Sam")
    workflow.jira.transition(key, "Approved", actor="First Fran")
    workflow.jira.transition(key, "Awaiting Approval", actor="Undo Uma")
    workflow.jira.transition(key, "Approved", actor="Second Sam")
    monkeypatch.setattr(container().executions._client, "send_task_success", lambda **kwargs: {})

    assert reconcile()["decided"] == [key]
    assert workflow.record(key)["actor"] == "Second Sam"


def test_jira_down_fails_the_run_so_the_next_schedule_retries(workflow: Workflow) -> None:
    workflow.jira.fail_next(50, status=503)

    with pytest.raises(ReconcileIncomplete) as raised:
        reconcile()

    assert raised.value.failed_phases == ["start_missing (JiraUnavailable)"]


def test_failed_jira_search_still_resends_recorded_decisions(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The resend needs no Jira: an outage must not lose a decision to the approval timeout."""
    key = unconfirmed_decision(workflow, decided_minutes_ago=5)
    sent = record_sends(monkeypatch, None)
    pending = workflow.awaiting_approval()
    workflow.jira.fail_next(50, status=503)

    with pytest.raises(ReconcileIncomplete) as raised:
        reconcile()

    assert raised.value.report["completed"] == [key]
    assert [s["taskToken"] for s in sent] == ["tok"]
    assert workflow.token_item(key) is None
    assert raised.value.failed_phases == [
        "start_missing (JiraUnavailable)",
        "decide_from_jira_status (JiraUnavailable)",
    ]
    assert workflow.record(pending)["state"] == "AWAITING_APPROVAL"


def test_failed_phase_does_not_stop_the_phases_after_it(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = container().table
    table.claim("OPS-9", "OPS-9-d", "d", "webhooks/OPS-9/OPS-9-d.json", "2026-01-01T00:00:00Z")
    key = workflow.jira.create_issue("OPS", "Lost", status="Submitted", notify=False)
    original = table.list_by_state

    def broken_for_decided(state: RequestState, *args: Any, **kwargs: Any) -> Any:
        if state is RequestState.APPROVED:
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "x"}}, "Query")
        return original(state, *args, **kwargs)

    monkeypatch.setattr(table, "list_by_state", broken_for_decided)

    with pytest.raises(ReconcileIncomplete) as raised:
        reconcile()

    assert raised.value.failed_phases == [
        "finish_unconfirmed_completions (ClientError)",
        "close_ended_executions (ClientError)",  # it reads APPROVED records too
    ]
    assert raised.value.report["restarted"] == ["OPS-9"]
    assert raised.value.report["started"] == [key]


# ---- decisions whose task completion Step Functions never confirmed ------------------


def unconfirmed_decision(
    workflow: Workflow, decided_minutes_ago: float, decision: Decision = Decision.APPROVED
) -> str:
    """A decision recorded, its SendTaskSuccess unanswered: the token is still stored."""
    key = workflow.jira.create_issue("OPS", "Decided while Step Functions was silent", notify=False)
    table = container().table
    name = f"{key}-d"
    table.claim(key, name, "d", "k", "2026-11-28T00:00:00Z")
    table.store_token(key, name, "tok", 2_000_000_000)
    table.update(key, name, "2026-11-28T00:00:01Z", state=RequestState.AWAITING_APPROVAL)
    decided_at = datetime.now(UTC) - timedelta(minutes=decided_minutes_ago)
    table.record_decision(
        ApprovalDecision(key, decision, "Carol Lead", "ok", "callback"),
        decided_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    )
    return key


def record_sends(monkeypatch: pytest.MonkeyPatch, answer: Exception | None) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    def send(**kwargs: Any) -> dict[str, Any]:
        sent.append(kwargs)
        if answer is not None:
            raise answer
        return {}

    monkeypatch.setattr(container().executions._client, "send_task_success", send)
    return sent


@pytest.mark.parametrize("decision", list(Decision))
def test_unconfirmed_completion_is_sent_again_and_its_token_deleted(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch, decision: Decision
) -> None:
    key = unconfirmed_decision(workflow, decided_minutes_ago=5, decision=decision)
    sent = record_sends(monkeypatch, None)

    report = reconcile()

    assert report["completed"] == [key]
    assert sent[0]["taskToken"] == "tok"
    output = json.loads(sent[0]["output"])
    assert (output["decision"], output["actor"], output["source"]) == (
        decision.value,
        "Carol Lead",
        "callback",
    )
    assert workflow.token_item(key) is None
    assert workflow.record(key)["decision"] == decision.value


def test_already_applied_completion_deletes_the_token_without_telling_jira_too_late(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = unconfirmed_decision(workflow, decided_minutes_ago=5)
    closed = ClientError({"Error": {"Code": "InvalidToken", "Message": "x"}}, "SendTaskSuccess")
    record_sends(monkeypatch, closed)

    report = reconcile()

    assert report["completed"] == [key]
    assert workflow.token_item(key) is None
    record = workflow.record(key)
    assert (record["state"], record["decision"]) == ("APPROVED", "approved")
    assert workflow.jira.comments(key) == []


def test_unconfirmed_completion_inside_the_grace_is_left_to_its_caller(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = unconfirmed_decision(workflow, decided_minutes_ago=0)
    sent = record_sends(monkeypatch, None)

    assert reconcile()["completed"] == []
    assert sent == []
    assert workflow.token_item(key) is not None


def test_decision_older_than_the_approval_timeout_is_not_sent_again(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its task has closed either way (APPROVAL_TIMEOUT_SECONDS is 3600 here)."""
    unconfirmed_decision(workflow, decided_minutes_ago=61)
    sent = record_sends(monkeypatch, None)

    assert reconcile()["completed"] == []
    assert sent == []


def test_completion_that_again_gets_no_answer_is_reported_and_kept(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = unconfirmed_decision(workflow, decided_minutes_ago=5)
    record_sends(monkeypatch, ReadTimeoutError(endpoint_url="https://states.example/"))

    report = reconcile()

    assert report["completed"] == []
    assert report["errors"] and report["errors"][0].startswith(f"{key}: ")
    assert workflow.token_item(key) is not None


def test_confirmed_decision_is_not_sent_again(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = unconfirmed_decision(workflow, decided_minutes_ago=5)
    container().table.delete_token(key, f"{key}-d")
    sent = record_sends(monkeypatch, None)

    assert reconcile()["completed"] == []
    assert sent == []


def test_decided_records_are_read_newest_first(workflow: Workflow) -> None:
    """A busy day holds more decisions than one page: the recent ones must be on it."""
    older = unconfirmed_decision(workflow, decided_minutes_ago=30, decision=Decision.REJECTED)
    newer = unconfirmed_decision(workflow, decided_minutes_ago=5, decision=Decision.REJECTED)
    window = ("2026-01-01T00:00:00Z", "2999-01-01T00:00:00Z")

    page = container().table.list_by_state(
        RequestState.REJECTING, limit=1, updated_between=window, newest_first=True
    )

    assert [record.issue_key for record in page] == [newer]
    assert older != newer


def test_a_decision_moved_by_a_non_approver_is_refused_and_jira_told_once(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = workflow.jira.create_issue(
        "OPS", "Moved by the wrong person", status="Awaiting Approval", notify=False
    )
    table = container().table
    table.claim(key, f"{key}-d", "d", "k", "2026-11-28T00:00:00Z")
    table.store_token(key, f"{key}-d", "tok", 2_000_000_000)
    table.update(key, f"{key}-d", "2026-11-28T00:00:01Z", state=RequestState.AWAITING_APPROVAL)
    workflow.jira.drop_next_deliveries(1)
    workflow.jira.transition(key, "Approved", actor="Mallory Member")
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(
        container().executions._client, "send_task_success", lambda **kw: sent.append(kw)
    )

    first = reconcile()
    second = reconcile()

    assert first["decided"] == second["decided"] == []
    assert sent == []
    assert workflow.record(key)["state"] == "AWAITING_APPROVAL"
    told = [c for c in workflow.jira.comments(key) if "Mallory Member" in c]
    assert len(told) == 1, told  # one per status change, not one per run
    assert APPROVER_GROUP in told[0] and "nothing was decided" in told[0]
    # The runbook's workflow has no way back from Approved: the issue keeps its status.
    assert workflow.jira.status(key) == "Approved"


def test_a_refused_issue_is_moved_back_where_the_workflow_allows(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    workflow.jira.workflow = Workflow_.build(DEFAULT_STATUSES, GLOBAL_TRANSITIONS)
    key = workflow.awaiting_approval()
    workflow.jira.drop_next_deliveries(1)
    workflow.jira.transition(key, "Rejected", actor="Mallory Member")

    assert reconcile()["decided"] == []

    assert workflow.jira.status(key) == "Awaiting Approval"
    assert any("moved back to 'Awaiting Approval'" in c for c in workflow.jira.comments(key))
    assert workflow.record(key)["state"] == "AWAITING_APPROVAL"


def test_stuck_request_whose_execution_already_ended_is_not_reported_restarted(
    workflow: Workflow,
) -> None:
    # Its execution ran and was stopped; the record never heard (no ARN, still RECEIVED).
    key = workflow.jira.create_issue("OPS", "Stopped before it was noted", notify=False)
    name = f"{key}-d"
    table = container().table
    table.claim(key, name, "d", f"webhooks/{key}/{name}.json", "2026-01-01T00:00:00Z")
    arn = workflow.sfn.start_execution(
        stateMachineArn=workflow.state_machine_arn, name=name, input="{}"
    )["executionArn"]
    workflow.sfn.stop_execution(executionArn=arn)

    report = reconcile()

    # Closed from its execution's end (the phase before restart_stuck), never restarted.
    assert report["restarted"] == []
    assert report["closed"] == [key]
    assert report["errors"] == []
    assert workflow.record(key)["state"] == "FAILED"
    assert len(workflow.executions()) == 1
