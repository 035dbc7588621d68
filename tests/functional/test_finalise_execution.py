"""An execution that ends without RecordFailure writing (stopped, timed out, failed in its
own failure path) closes its request from Step Functions' status change event, so the
issue can be resubmitted; the event never touches an outcome or a newer request."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from jira_workflow.container import container
from jira_workflow.domain.errors import JiraRequestRejected
from jira_workflow.handlers import finalise_execution, record_failure, validate_request, webhook
from tests.functional.conftest import Workflow, signed_headers
from tests.support.eventbridge_events import status_change
from tests.support.jira_payloads import issue_created
from tests.support.lambda_events import FakeLambdaContext, api_event, response_json

FAILED_TEXT = "could not be completed"


def submit(key: str, delivery_id: str) -> dict[str, Any]:
    """Jira delivers `issue_created` for `key`; the webhook's answer."""
    body = issue_created(key)
    response: dict[str, Any] = webhook.handler(
        api_event("POST", "/jira/webhook", body, signed_headers(body, delivery_id)),
        FakeLambdaContext(),
    )
    return response


def running_request(workflow: Workflow, delivery_id: str = "d-1") -> tuple[str, dict[str, Any]]:
    """A new issue whose request was submitted and validated: RUNNING, as a stuck one is."""
    key = workflow.jira.create_issue("OPS", "Access to billing", status="Submitted", notify=False)
    assert submit(key, delivery_id)["statusCode"] == 202
    record = workflow.record(key)
    execution_input = json.loads(
        workflow.sfn.describe_execution(executionArn=record["execution_arn"])["input"]
    )
    validate_request.handler(
        {
            "issueKey": key,
            "executionName": record["execution_name"],
            "payloadKey": execution_input["payloadKey"],
            "executionArn": record["execution_arn"],
        },
        FakeLambdaContext(),
    )
    record = workflow.record(key)
    assert record["state"] == "RUNNING"
    return key, record


def finalise(event: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = finalise_execution.handler(event, FakeLambdaContext())
    return result


def input_of(key: str, record: dict[str, Any]) -> dict[str, Any]:
    return {"issueKey": key, "payloadKey": record["payload_key"], "deliveryId": "d-1"}


def failure_comments(workflow: Workflow, key: str) -> list[str]:
    return [c for c in workflow.jira.comments(key) if FAILED_TEXT in c]


# ---- each way a record used to stay open for good ---------------------------------------


def test_stopped_execution_closes_its_request_and_the_issue_can_be_resubmitted(
    workflow: Workflow,
) -> None:
    key, record = running_request(workflow)
    workflow.sfn.stop_execution(
        executionArn=record["execution_arn"], error="Wedged", cause="stopped by on-call (INC-7)"
    )
    described = workflow.sfn.describe_execution(executionArn=record["execution_arn"])
    assert described["status"] == "ABORTED"
    # Until the event is handled, the stuck record refuses the resubmission.
    assert submit(key, "d-2")["statusCode"] == 200

    result = finalise(
        status_change(
            record["execution_arn"],
            "ABORTED",
            execution_input=input_of(key, record),
            error="Wedged",
            cause="stopped by on-call (INC-7)",
        )
    )

    assert result["closed"] is True
    closed = workflow.record(key)
    assert closed["state"] == "FAILED"
    assert closed["failure_cause"] == "Wedged: the workflow was stopped: stopped by on-call (INC-7)"
    assert failure_comments(workflow, key) == [
        "The request could not be completed: the workflow was stopped: stopped by on-call (INC-7)"
    ]
    again = submit(key, "d-3")
    assert again["statusCode"] == 202
    assert workflow.record(key)["state"] == "RECEIVED"
    assert response_json(again)["executionArn"] != record["execution_arn"]


def test_execution_timed_out_while_awaiting_approval_closes_the_request(
    workflow: Workflow,
) -> None:
    key = workflow.awaiting_approval()
    record = workflow.record(key)
    assert workflow.token_item(key) is not None

    finalise(status_change(record["execution_arn"], "TIMED_OUT", execution_input={"issueKey": key}))

    closed = workflow.record(key)
    assert closed["state"] == "FAILED"
    assert closed["failure_cause"].startswith("States.Timeout: the workflow ran out of time")
    assert workflow.token_item(key) is None  # a closed execution's token can never be answered
    assert len(failure_comments(workflow, key)) == 1
    assert submit(key, "after-timeout")["statusCode"] == 202


def test_runtime_error_in_record_failure_is_closed_by_the_failed_event_without_aws_names(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    key, record = running_request(workflow)
    table_arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/requests"

    def throttled(**_: Any) -> Any:
        raise ClientError(
            {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": table_arn}},
            "UpdateItem",
        )

    with monkeypatch.context() as patched:
        patched.setattr(container().table._client, "update_item", throttled)
        with pytest.raises(ClientError):
            record_failure.handler(
                {
                    "issueKey": key,
                    "executionName": record["execution_name"],
                    "error": "ExternalServiceUnavailable",
                    "cause": "enrich answered 503",
                },
                FakeLambdaContext(),
            )
    assert workflow.record(key)["state"] == "RUNNING"  # what the old code left for good

    cause = json.dumps({"errorType": "ClientError", "errorMessage": f"throttled on {table_arn}"})
    finalise(
        status_change(
            record["execution_arn"],
            "FAILED",
            execution_input=input_of(key, record),
            error="ClientError",
            cause=cause,
        )
    )

    closed = workflow.record(key)
    assert closed["state"] == "FAILED"
    (comment,) = failure_comments(workflow, key)
    assert "ClientError" in comment
    assert "arn:" not in comment and "123456789012" not in comment
    assert "arn:" not in closed["failure_cause"]
    assert submit(key, "d-2")["statusCode"] == 202


# ---- exactly once, and only the execution's own open record ------------------------------


def test_a_redelivered_event_comments_once(workflow: Workflow) -> None:
    key, record = running_request(workflow)
    event = status_change(
        record["execution_arn"], "TIMED_OUT", execution_input=input_of(key, record)
    )

    first, second = finalise(event), finalise(event)

    assert (first["closed"], first["told"]) == (True, True)
    assert (second["closed"], second["told"]) == (False, False)
    assert len(failure_comments(workflow, key)) == 1


@pytest.mark.parametrize("outcome", ["FULFILLED", "REJECTED", "APPROVAL_TIMED_OUT"])
def test_an_outcome_is_never_overwritten(workflow: Workflow, outcome: str) -> None:
    key, record = running_request(workflow)
    workflow.dynamodb.update_item(
        TableName=workflow.table,
        Key={"pk": {"S": key}, "sk": {"S": f"REQUEST#{record['execution_name']}"}},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "state"},
        ExpressionAttributeValues={":s": {"S": outcome}},
    )

    result = finalise(
        status_change(record["execution_arn"], "FAILED", execution_input=input_of(key, record))
    )

    assert result["left"] == f"outcome {outcome} stands"
    assert workflow.record(key)["state"] == outcome
    assert failure_comments(workflow, key) == []


def test_an_older_executions_event_leaves_the_newer_request_alone(workflow: Workflow) -> None:
    key, old = running_request(workflow)
    workflow.sfn.stop_execution(executionArn=old["execution_arn"])
    finalise(status_change(old["execution_arn"], "ABORTED", execution_input=input_of(key, old)))
    assert submit(key, "d-2")["statusCode"] == 202
    newer = workflow.record(key)

    # The first event again (EventBridge delivers at least once), after the resubmission.
    result = finalise(
        status_change(old["execution_arn"], "ABORTED", execution_input=input_of(key, old))
    )

    assert not result["closed"]  # its own request closed the first time
    assert workflow.record(key) == newer
    assert len(failure_comments(workflow, key)) == 1


def test_a_failure_recorded_whose_comment_was_lost_is_told_once(workflow: Workflow) -> None:
    key, record = running_request(workflow)
    workflow.jira.fail_next(1, status=400)  # RecordFailure's comment, its only Jira call
    with pytest.raises(JiraRequestRejected):
        record_failure.handler(
            {
                "issueKey": key,
                "executionName": record["execution_name"],
                "error": "InvalidRequest",
                "cause": "the issue has no summary",
            },
            FakeLambdaContext(),
        )
    assert workflow.record(key)["state"] == "FAILED"
    assert failure_comments(workflow, key) == []

    result = finalise(
        status_change(record["execution_arn"], "FAILED", execution_input=input_of(key, record))
    )

    assert (result["closed"], result["told"]) == (False, True)
    assert failure_comments(workflow, key) == [
        "The request could not be completed: the issue has no summary"
    ]


def test_an_event_without_the_input_reads_the_issue_from_step_functions(
    workflow: Workflow,
) -> None:
    key, record = running_request(workflow)
    workflow.sfn.stop_execution(executionArn=record["execution_arn"])

    finalise(status_change(record["execution_arn"], "ABORTED", execution_input=None))

    assert workflow.record(key)["state"] == "FAILED"


def test_another_state_machines_event_is_left_alone(workflow: Workflow) -> None:
    key, record = running_request(workflow)
    other = record["execution_arn"].replace("jira-workflow-test", "someone-elses")

    result = finalise(status_change(other, "FAILED", execution_input=input_of(key, record)))

    assert result["left"] == "another state machine's execution"
    assert workflow.record(key)["state"] == "RUNNING"


def test_an_event_that_is_not_a_status_change_is_dropped_naming_the_field(
    workflow: Workflow,
) -> None:
    result = finalise({"source": "aws.states", "detail-type": "Something else", "detail": {}})

    assert result["left"].startswith("not an execution status change: detail-type")


def test_cancel_force_and_its_aborted_event_tell_jira_once(workflow: Workflow) -> None:
    key = workflow.awaiting_approval()
    container().operations.cancel(key, "alice", "raised in error", force=True)
    record = workflow.record(key)

    result = finalise(
        status_change(
            record["execution_arn"],
            "ABORTED",
            execution_input={"issueKey": key},
            error="OperatorCancelled",
            cause="cancelled by operations (alice): raised in error",
        )
    )

    assert (result["closed"], result["told"]) == (False, False)
    assert failure_comments(workflow, key) == [
        "The request could not be completed: cancelled by operations (alice): raised in error"
    ]
