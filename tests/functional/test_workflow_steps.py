"""The state machine's task handlers against moto, the fake Jira and the mock external API."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from jira_workflow.container import container
from jira_workflow.deadline import DEFAULT_MARGIN_SECONDS
from jira_workflow.domain.errors import (
    ExternalServiceRejected,
    ExternalServiceUnavailable,
    InvalidRequest,
    JiraRequestRejected,
    JiraUnavailable,
)
from jira_workflow.domain.requests import RequestState
from jira_workflow.handlers import (
    enrich_request,
    fulfil_request,
    record_failure,
    report_outcome,
    request_approval,
    store_artifacts,
    validate_request,
)
from tests.functional.conftest import EXTERNAL_TOKEN, Workflow
from tests.support.jira_payloads import issue_created
from tests.support.lambda_events import FakeLambdaContext

# The domain errors the state machine's Retry lists name (tests/unit/test_state_machine.py).
RETRIED_BY_THE_STATE_MACHINE = frozenset(
    {"ExternalServiceUnavailable", "JiraUnavailable", "StartThrottled"}
)

EXECUTION = "OPS-1-delivery-1"


def run(handler: Any, **task: Any) -> dict[str, Any]:
    event = {"issueKey": "OPS-1", "executionName": EXECUTION, **task}
    result: dict[str, Any] = handler.handler(event, FakeLambdaContext())
    return result


def received(
    workflow: Workflow, labels: tuple[str, ...] = (), description: str | None = "Needs it."
) -> str:
    """OPS-1 exists in Jira and its webhook was accepted: what the first task finds."""
    workflow.jira.create_issue(
        "OPS",
        "Access to billing",
        status="Submitted",
        description="Needs it.",
        labels=labels,
        notify=False,
    )
    payload_key = f"webhooks/OPS-1/{EXECUTION}.json"
    workflow.s3.put_object(
        Bucket=workflow.bucket,
        Key=payload_key,
        Body=issue_created(
            "OPS-1", summary="Access to billing", labels=labels, description=description
        ),
    )
    container().table.claim("OPS-1", EXECUTION, "delivery-1", payload_key, "2026-11-28T00:00:00Z")
    return payload_key


def validated(workflow: Workflow, **kwargs: Any) -> str:
    payload_key = received(workflow, **kwargs)
    result = run(validate_request, payloadKey=payload_key, executionArn=f"arn:exec:{EXECUTION}")
    request_key: str = result["requestKey"]
    return request_key


def test_validate_writes_the_normalised_request_and_marks_it_running(workflow: Workflow) -> None:
    request_key = validated(workflow)

    assert request_key == f"requests/OPS-1/{EXECUTION}/request.json"
    document = workflow.s3_json(request_key)
    assert (document["summary"], document["description"]) == ("Access to billing", "Needs it.")
    assert workflow.record("OPS-1")["state"] == "RUNNING"


def test_invalid_request_raises_invalid_request_naming_the_missing_field(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUIRED_FIELDS", "OPS/Service Request=summary,description;*=summary")
    payload_key = received(workflow, description=None)

    with pytest.raises(InvalidRequest, match="no description, which OPS/Service Request"):
        run(validate_request, payloadKey=payload_key, executionArn="arn:exec")


def test_a_plain_issue_without_description_is_a_valid_request_by_default(
    workflow: Workflow,
) -> None:
    payload_key = received(workflow, description=None)

    result = run(validate_request, payloadKey=payload_key, executionArn="arn:exec")

    assert workflow.s3_json(result["requestKey"])["description"] == ""


def test_bad_task_input_names_the_field_and_not_the_token(workflow: Workflow) -> None:
    with pytest.raises(InvalidRequest, match="issueKey") as raised:
        request_approval.handler(
            {"issueKey": "bad", "executionName": "x", "taskToken": "tok-secret"},
            FakeLambdaContext(),
        )

    assert "tok-secret" not in str(raised.value)


def test_enrich_calls_the_api_with_the_bearer_token_and_stores_the_answer(
    workflow: Workflow,
) -> None:
    request_key = validated(workflow, labels=("risk-42",))

    result = run(enrich_request, requestKey=request_key)

    assert result["riskScore"] == 42
    assert workflow.s3_json(result["enrichmentKey"])["riskScore"] == 42
    assert workflow.external.requests[-1]["headers"]["Authorization"] == f"Bearer {EXTERNAL_TOKEN}"


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("503", ExternalServiceUnavailable),
        ("429", ExternalServiceUnavailable),
        ("timeout", ExternalServiceUnavailable),
        ("400", ExternalServiceRejected),
    ],
)
def test_enrich_failures_are_classified_retryable_or_terminal(
    workflow: Workflow, mode: str, error: type[Exception]
) -> None:
    request_key = validated(workflow)
    workflow.external.fail("enrich", mode, seconds=2.0)

    with pytest.raises(error):
        run(enrich_request, requestKey=request_key)


def test_store_records_artifacts_and_leaves_risky_requests_for_a_human(workflow: Workflow) -> None:
    request_key = validated(workflow)

    result = run(
        store_artifacts,
        requestKey=request_key,
        enrichmentKey="requests/OPS-1/x/enrichment.json",
        riskScore=55,
    )

    assert result["autoApproved"] is False
    record = workflow.record("OPS-1")
    assert "decision" not in record
    assert f"requests/OPS-1/{EXECUTION}/manifest.json" in record["artifact_keys"]


def test_low_risk_request_is_auto_approved_and_jira_told_once(workflow: Workflow) -> None:
    request_key = validated(workflow)
    task = {
        "requestKey": request_key,
        "enrichmentKey": "requests/OPS-1/x/enrichment.json",
        "riskScore": 5,
    }

    assert run(store_artifacts, **task)["autoApproved"] is True
    run(store_artifacts, **task)  # a retried task

    record = workflow.record("OPS-1")
    assert (record["state"], record["decision"], record["actor"]) == (
        "APPROVED",
        "approved",
        "auto-approval",
    )
    assert sum("Auto-approved" in c for c in workflow.jira.comments("OPS-1")) == 1


def test_request_approval_stores_the_token_and_comments_once_even_when_retried(
    workflow: Workflow,
) -> None:
    validated(workflow)

    run(request_approval, taskToken="token-1")
    run(request_approval, taskToken="token-2")  # Step Functions retried the task: new token

    token = workflow.token_item("OPS-1")
    assert token is not None
    assert token["task_token"] == "token-2"
    assert int(token["expires_at"]) > 0
    assert workflow.record("OPS-1")["state"] == "AWAITING_APPROVAL"
    assert workflow.jira.status("OPS-1") == "Awaiting Approval"
    comments = workflow.jira.comments("OPS-1")
    assert sum("Approval needed" in c for c in comments) == 1
    assert not any("token" in c for c in comments)


def test_jira_down_while_requesting_approval_raises_retryable_and_the_retry_comments(
    workflow: Workflow,
) -> None:
    validated(workflow)
    workflow.jira.fail_next(20, status=503)

    with pytest.raises(JiraUnavailable):
        run(request_approval, taskToken="token-1")

    workflow.jira.clear_faults()
    run(request_approval, taskToken="token-2")
    assert sum("Approval needed" in c for c in workflow.jira.comments("OPS-1")) == 1


def test_approval_awaited_without_jira_stores_the_token_and_calls_jira_not_at_all(
    workflow: Workflow,
) -> None:
    """After RequestApproval's retries found Jira down, the request still waits: an
    operator can tell Jira (approvals.py remind --resend) or decide once it answers."""
    validated(workflow)
    workflow.jira.stop_answering()  # any call would hang: the step must make none
    started = time.monotonic()

    run(request_approval, taskToken="token-2", tellJira=False)

    assert time.monotonic() - started < 2
    assert workflow.jira.api_calls == []
    token = workflow.token_item("OPS-1")
    assert token is not None and token["task_token"] == "token-2"
    record = workflow.record("OPS-1")
    assert record["state"] == "AWAITING_APPROVAL"
    assert "approval_comment_at" not in record  # told to no one yet: remind --resend will
    workflow.jira.clear_faults()


def test_fulfil_sends_one_idempotency_key_per_execution(workflow: Workflow) -> None:
    request_key = validated(workflow)

    first = run(fulfil_request, requestKey=request_key)
    second = run(fulfil_request, requestKey=request_key)

    assert first["fulfilmentId"] == second["fulfilmentId"]
    keys = {
        r["headers"]["Idempotency-Key"]
        for r in workflow.external.requests
        if r["path"].endswith("fulfil")
    }
    assert keys == {EXECUTION}
    assert workflow.record("OPS-1")["fulfilment_id"] == first["fulfilmentId"]


def approved(workflow: Workflow, actor: str = "Carol Lead") -> str:
    """OPS-1 validated and approved: what FulfilRequest and ReportFulfilment find."""
    request_key = validated(workflow)
    container().table.update(
        "OPS-1",
        EXECUTION,
        "2026-11-28T00:00:02Z",
        state=RequestState.APPROVED,
        decision="approved",
        actor=actor,
        decided_at="2026-11-28T00:00:02Z",
    )
    return request_key


def approved_in_jira(workflow: Workflow) -> None:
    """OPS-1 went the runbook's way: Submitted > Awaiting Approval > Approved."""
    workflow.jira.transition("OPS-1", "Awaiting Approval")
    workflow.jira.transition("OPS-1", "Approved")


def test_report_fulfilled_comments_and_moves_the_issue_to_done(workflow: Workflow) -> None:
    approved(workflow)
    approved_in_jira(workflow)

    run(report_outcome, outcome="fulfilled", fulfilmentId="FUL-1")
    run(report_outcome, outcome="fulfilled", fulfilmentId="FUL-1")

    assert workflow.record("OPS-1")["state"] == "FULFILLED"
    assert workflow.jira.status("OPS-1") == "Done"
    assert sum("FUL-1" in c for c in workflow.jira.comments("OPS-1")) == 1


def test_auto_approved_fulfilment_stays_fulfilled_when_the_workflow_has_no_way_to_done(
    workflow: Workflow,
) -> None:
    # Auto-approval never moves the issue, and the runbook's workflow has no
    # Submitted > Done: Jira is told by the comment alone, and a failure path that runs
    # anyway does not turn the fulfilled request into a failed one.
    approved(workflow, actor="auto-approval")

    result = run(report_outcome, outcome="fulfilled", fulfilmentId="FUL-1")
    run(record_failure, error="JiraRequestRejected", cause="no transition to Done")

    assert result["state"] == "FULFILLED"
    assert workflow.record("OPS-1")["state"] == "FULFILLED"
    assert workflow.jira.status("OPS-1") == "Submitted"
    comments = workflow.jira.comments("OPS-1")
    assert sum("FUL-1" in c for c in comments) == 1
    assert not any("could not be completed" in c for c in comments)


def test_report_timeout_tells_jira_nothing_was_provisioned(workflow: Workflow) -> None:
    validated(workflow)
    container().table.update(
        "OPS-1", EXECUTION, "2026-11-28T00:00:02Z", state=RequestState.AWAITING_APPROVAL
    )

    run(report_outcome, outcome="approval_timed_out")

    assert workflow.record("OPS-1")["state"] == "APPROVAL_TIMED_OUT"
    assert any("No decision arrived" in c for c in workflow.jira.comments("OPS-1"))


def test_record_failure_keeps_the_cause_and_tells_jira_a_short_reason(workflow: Workflow) -> None:
    validated(workflow)
    workflow.jira.transition("OPS-1", "Awaiting Approval")
    cause = json.dumps(
        {
            "errorMessage": "enrich answered 503",
            "errorType": "ExternalServiceUnavailable",
            "stackTrace": ['  File "/var/task/x.py", line 1, in secret_internals'],
        }
    )

    run(record_failure, error="ExternalServiceUnavailable", cause=cause)

    record = workflow.record("OPS-1")
    assert record["state"] == "FAILED"
    assert record["failure_cause"] == "ExternalServiceUnavailable: enrich answered 503"
    comments = workflow.jira.comments("OPS-1")
    assert any("enrich answered 503" in c for c in comments)
    assert not any("secret_internals" in c or "Traceback" in c for c in comments)
    assert workflow.jira.status("OPS-1") == "Failed"


# ---- A slow Jira: steps end within their function's time -----------------------------


class ShortContext(FakeLambdaContext):
    """A context with little time left: a step late in its function's timeout."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self._ends_at = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:  # type: ignore[override]
        return int((self._ends_at - time.monotonic()) * 1000)


def test_a_slow_jira_ends_the_step_before_its_function_timeout_with_jira_unavailable(
    workflow: Workflow,
) -> None:
    validated(workflow)
    workflow.jira.set_latency(1.2)  # longer than the 1 s HTTP timeout: every call times out
    seconds_left = DEFAULT_MARGIN_SECONDS + 1.5
    event = {"issueKey": "OPS-1", "executionName": EXECUTION, "taskToken": "token-1"}

    started = time.monotonic()
    with pytest.raises(JiraUnavailable):
        request_approval.handler(event, ShortContext(seconds_left))
    elapsed = time.monotonic() - started

    assert elapsed < seconds_left - DEFAULT_MARGIN_SECONDS + 0.3
    workflow.jira.clear_faults()
    run(request_approval, taskToken="token-2")  # the state machine's retry
    assert sum("Approval needed" in c for c in workflow.jira.comments("OPS-1")) == 1


def test_a_comment_that_reached_a_slow_jira_is_not_posted_again_by_the_retry(
    workflow: Workflow,
) -> None:
    validated(workflow)
    workflow.jira.transition("OPS-1", "Awaiting Approval")
    workflow.jira.transition("OPS-1", "Approved")  # approved in Jira: Approved -> Done exists
    container().table.update(
        "OPS-1", EXECUTION, "2026-11-28T00:00:02Z", state=RequestState.APPROVED
    )
    workflow.jira.set_latency(1.5)  # the comment is applied after the client stopped reading

    with pytest.raises(JiraUnavailable):
        run(report_outcome, outcome="fulfilled", fulfilmentId="FUL-1")
    workflow.jira.clear_faults()
    deadline = time.monotonic() + 5
    while not any("FUL-1" in c for c in workflow.jira.comments("OPS-1")):
        assert time.monotonic() < deadline, "the fake never applied the comment"
        time.sleep(0.05)

    run(report_outcome, outcome="fulfilled", fulfilmentId="FUL-1")  # the state machine's retry

    assert sum("FUL-1" in c for c in workflow.jira.comments("OPS-1")) == 1
    assert workflow.jira.status("OPS-1") == "Done"
    assert workflow.record("OPS-1")["state"] == "FULFILLED"


def test_a_failure_where_the_workflow_has_no_way_to_failed_is_told_by_comment(
    workflow: Workflow,
) -> None:
    # A request that fails validation is still in Submitted; the runbook's workflow has no
    # Submitted > Failed.
    validated(workflow)

    run(record_failure, error="InvalidRequest", cause="the issue has no summary")

    assert workflow.record("OPS-1")["state"] == "FAILED"
    assert workflow.jira.status("OPS-1") == "Submitted"
    assert any("the issue has no summary" in c for c in workflow.jira.comments("OPS-1"))


# ---- A bot account without the permissions the runbook grants ------------------------


def test_a_bot_that_may_not_comment_fails_the_request_once_with_a_clear_reason(
    workflow: Workflow,
) -> None:
    validated(workflow)
    workflow.jira.bot_permissions.discard("ADD_COMMENTS")

    with pytest.raises(JiraRequestRejected) as refused:
        run(request_approval, taskToken="token-1")
    # Not a retryable error: the state machine goes to RecordFailure, it does not loop.
    assert type(refused.value).__name__ not in RETRIED_BY_THE_STATE_MACHINE
    cause = json.dumps({"errorType": "JiraRequestRejected", "errorMessage": str(refused.value)})
    with pytest.raises(JiraRequestRejected):  # RecordFailure cannot comment either: it ends
        run(record_failure, error="JiraRequestRejected", cause=cause)

    record = workflow.record("OPS-1")
    assert record["state"] == "FAILED"
    assert "403" in record["failure_cause"]
    assert "permission to comment" in record["failure_cause"]
    assert workflow.jira.comments("OPS-1") == []


def test_a_bot_that_may_not_transition_reports_the_outcome_by_comment(
    workflow: Workflow,
) -> None:
    approved(workflow)
    approved_in_jira(workflow)
    workflow.jira.bot_permissions.discard("TRANSITION_ISSUES")

    run(report_outcome, outcome="fulfilled", fulfilmentId="FUL-1")

    assert workflow.record("OPS-1")["state"] == "FULFILLED"
    assert workflow.jira.status("OPS-1") == "Approved"
    assert any("FUL-1" in c for c in workflow.jira.comments("OPS-1"))


# ---- An outcome once recorded is final: telling Jira is reporting ------------------------


def test_a_fulfilment_whose_report_never_ran_is_recorded_fulfilled_not_failed(
    workflow: Workflow,
) -> None:
    # The external system fulfilled it; ReportFulfilment then failed before recording
    # anything (Jira down through every retry), and the Catch ran RecordFailure.
    request_key = approved(workflow)
    fulfilment = run(fulfil_request, requestKey=request_key)

    result = run(record_failure, error="JiraUnavailable", cause="Jira answered 503")

    assert result["state"] == "FULFILLED"
    record = workflow.record("OPS-1")
    assert (record["state"], record["fulfilment_id"]) == ("FULFILLED", fulfilment["fulfilmentId"])
    assert record["reporting"] == "failed"
    assert record["reporting_problem"].startswith("JiraUnavailable")
    assert not any("could not be completed" in c for c in workflow.jira.comments("OPS-1"))


def test_jira_down_while_reporting_leaves_the_request_fulfilled_with_reporting_failed(
    workflow: Workflow,
) -> None:
    approved(workflow)
    workflow.jira.fail_next(50, status=503)

    with pytest.raises(JiraUnavailable):
        run(report_outcome, outcome="fulfilled", fulfilmentId="FUL-1")
    assert workflow.record("OPS-1")["reporting"] == "pending"
    run(record_failure, error="JiraUnavailable", cause="Jira answered 503")

    record = workflow.record("OPS-1")
    assert (record["state"], record["reporting"]) == ("FULFILLED", "failed")
    assert "failure_cause" not in record
    workflow.jira.clear_faults()
    assert not any("could not be completed" in c for c in workflow.jira.comments("OPS-1"))


def test_a_rejected_request_is_never_made_failed(workflow: Workflow) -> None:
    validated(workflow)
    table = container().table
    table.update("OPS-1", EXECUTION, "2026-11-28T00:00:02Z", state=RequestState.REJECTING)
    run(report_outcome, outcome="rejected")

    result = run(record_failure, error="States.Runtime", cause="late failure")

    assert result["state"] == "REJECTED"
    assert workflow.record("OPS-1")["state"] == "REJECTED"
