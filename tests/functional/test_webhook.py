"""POST /jira/webhook against moto: signatures, trigger rule, exactly-once starts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from jira_workflow.container import container
from jira_workflow.handlers import webhook
from tests.functional.conftest import APPROVER_GROUP, WEBHOOK_SECRET, Workflow, signed_headers
from tests.support.jira_payloads import issue_created, status_changed
from tests.support.lambda_events import FakeLambdaContext, api_event, response_header, response_json


def deliver(
    body: bytes, delivery_id: str = "delivery-1", headers: dict[str, str] | None = None
) -> dict[str, Any]:
    sent = headers if headers is not None else signed_headers(body, delivery_id)
    response: dict[str, Any] = webhook.handler(
        api_event("POST", "/jira/webhook", body, sent), FakeLambdaContext()
    )
    return response


def test_signed_issue_created_starts_one_execution_with_references_only(workflow: Workflow) -> None:
    response = deliver(issue_created("OPS-1"))

    assert response["statusCode"] == 202
    body = response_json(response)
    executions = workflow.executions()
    assert [e["executionArn"] for e in executions] == [body["executionArn"]]
    described = workflow.sfn.describe_execution(executionArn=body["executionArn"])
    execution_input = json.loads(described["input"])
    assert set(execution_input) == {"issueKey", "payloadKey", "deliveryId"}
    assert execution_input["issueKey"] == "OPS-1"
    assert workflow.s3_json(execution_input["payloadKey"])["issue"]["key"] == "OPS-1"
    record = workflow.record("OPS-1")
    assert record is not None
    assert record["state"] == "RECEIVED"
    assert record["execution_arn"] == body["executionArn"]


def test_duplicate_delivery_answers_2xx_with_the_same_execution(workflow: Workflow) -> None:
    first = response_json(deliver(issue_created("OPS-2"), "dup-1"))
    workflow.dynamodb.update_item(
        TableName=workflow.table,
        Key={
            "pk": {"S": "OPS-2"},
            "sk": {"S": f"REQUEST#{workflow.record('OPS-2')['execution_name']}"},
        },
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "state"},
        ExpressionAttributeValues={":s": {"S": "RUNNING"}},
    )
    again = deliver(issue_created("OPS-2"), "dup-1")

    assert again["statusCode"] == 200
    assert response_json(again) == {**first, "duplicate": True}
    assert len(workflow.executions()) == 1


def test_retry_of_a_delivery_whose_start_failed_starts_it_once(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    # First attempt: the record is claimed, then StartExecution is throttled.
    client = container().executions._client
    real_start = client.start_execution
    calls = {"n": 0}

    def throttled_once(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "StartExecution"
            )
        return real_start(**kwargs)

    monkeypatch.setattr(client, "start_execution", throttled_once)
    first = deliver(issue_created("OPS-3"), "retry-1")
    assert first["statusCode"] == 503
    assert response_header(first, "Retry-After") == "5"
    assert workflow.executions() == []

    second = deliver(issue_created("OPS-3"), "retry-1")
    assert second["statusCode"] == 202
    assert len(workflow.executions()) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Hub-Signature": "sha256=" + "0" * 64, "X-Atlassian-Webhook-Identifier": "x"},
        {"X-Hub-Signature": "md5=abc", "X-Atlassian-Webhook-Identifier": "x"},
    ],
    ids=["missing", "wrong", "other-scheme"],
)
def test_bad_or_missing_signature_is_401_and_writes_nothing(
    workflow: Workflow, headers: dict[str, str]
) -> None:
    response = deliver(issue_created("OPS-4"), headers=headers)

    assert response["statusCode"] == 401
    assert response_json(response)["error"] == "BadSignature"
    assert workflow.find_record("OPS-4") is None
    assert workflow.s3_keys() == []
    assert workflow.executions() == []


def test_previous_secret_is_accepted_during_rotation(workflow: Workflow) -> None:
    secret_arn = container().settings.jira_webhook_secret_arn
    workflow.secrets.put_secret_value(
        SecretId=secret_arn,
        SecretString=json.dumps({"current": "new-secret", "previous": WEBHOOK_SECRET}),
    )
    # Each body is built once: the signature covers its timestamp, which moves every ms.
    old_signed = issue_created("OPS-5")
    new_signed = issue_created("OPS-6")

    by_old = deliver(old_signed, headers=signed_headers(old_signed, "rot-1", WEBHOOK_SECRET))
    by_new = deliver(new_signed, headers=signed_headers(new_signed, "rot-2", "new-secret"))

    assert (by_old["statusCode"], by_new["statusCode"]) == (202, 202)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"{not json", "not valid UTF-8 JSON"),
        (b"\xff\xfe\x00", "not valid UTF-8 JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (json.dumps({"issue": {}}).encode(), "webhookEvent"),
        (
            json.dumps({"webhookEvent": "jira:issue_created", "issue": {"fields": {}}}).encode(),
            "issue.key",
        ),
        (
            json.dumps(
                {
                    "webhookEvent": "jira:issue_created",
                    "issue": {
                        "key": "not a key",
                        "fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}},
                    },
                }
            ).encode(),
            "issue.key",
        ),
    ],
    ids=["syntax", "utf8", "array", "no-event", "no-key", "bad-key"],
)
def test_malformed_body_is_400_naming_the_problem(
    workflow: Workflow, body: bytes, expected: str
) -> None:
    response = deliver(body, "bad-1")

    assert response["statusCode"] == 400
    assert expected in response_json(response)["reason"]
    assert workflow.s3_keys() == []


def test_body_over_the_limit_is_413(workflow: Workflow) -> None:
    body = issue_created("OPS-7", description="x" * 70_000)

    response = deliver(body, "big-1")

    assert response["statusCode"] == 413
    assert workflow.find_record("OPS-7") is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (json.dumps({"webhookEvent": "comment_created"}).encode(), "not handled"),
        (issue_created("ZZZ-1"), "project ZZZ is not configured"),
        (issue_created("OPS-8", issue_type="Bug"), "issue type Bug is not configured"),
        (status_changed("OPS-9", "To Do", "In Progress"), "not a trigger"),
    ],
    ids=["event", "project", "type", "status"],
)
def test_deliveries_outside_the_trigger_rule_are_ignored_with_a_reason(
    workflow: Workflow, body: bytes, reason: str
) -> None:
    response = deliver(body, "ign-1")

    assert response["statusCode"] == 200
    assert reason in response_json(response)["ignored"]
    assert workflow.executions() == []


def test_move_into_trigger_status_starts_a_request(workflow: Workflow) -> None:
    response = deliver(status_changed("OPS-10", "To Do", "Submitted"), "move-1")

    assert response["statusCode"] == 202
    assert len(workflow.executions()) == 1


def test_second_delivery_for_an_active_request_starts_nothing(workflow: Workflow) -> None:
    first = response_json(deliver(issue_created("OPS-11"), "a-1"))
    second = deliver(status_changed("OPS-11", "To Do", "Submitted"), "a-2")

    assert second["statusCode"] == 200
    assert response_json(second)["executionArn"] == first["executionArn"]
    assert len(workflow.executions()) == 1


def test_move_to_approved_status_decides_the_pending_approval(workflow: Workflow) -> None:
    deliver(issue_created("OPS-12"), "d-1")
    execution = workflow.record("OPS-12")["execution_name"]
    table = container().table
    table.store_token("OPS-12", execution, "token-for-ops-12", 2_000_000_000)
    table.update(
        "OPS-12",
        execution,
        "2026-01-01T00:00:00Z",
        state=__import__(
            "jira_workflow.domain.requests", fromlist=["RequestState"]
        ).RequestState.AWAITING_APPROVAL,
    )

    response = deliver(
        status_changed("OPS-12", "Awaiting Approval", "Approved", actor="Carol Approver"), "d-2"
    )

    assert response["statusCode"] == 200
    assert response_json(response)["decision"] == "approved"
    record = workflow.record("OPS-12")
    assert (record["state"], record["decision"], record["actor"]) == (
        "APPROVED",
        "approved",
        "Carol Approver",
    )
    # The webhook only recorded it: its role cannot read the token, complete_decision can.
    assert workflow.token_item("OPS-12") is not None
    assert [event for _, event in workflow.lambdas.queued] == [
        {
            "issueKey": "OPS-12",
            "executionName": execution,
            "decidedAt": record["decided_at"],
            "resend": False,
        }
    ]

    assert workflow.lambdas.run_queued() == [{"outcome": "completed"}]
    assert workflow.token_item("OPS-12") is None


def test_a_decision_whose_task_is_gone_is_given_back_by_complete_decision(
    workflow: Workflow,
) -> None:
    key = workflow.awaiting_approval()
    table = container().table
    table.delete_token(key, workflow.record(key)["execution_name"])

    response = deliver(status_changed(key, "Awaiting Approval", "Approved"), "g-1")
    answers = workflow.lambdas.run_queued()

    assert response["statusCode"] == 200
    assert answers == [{"outcome": f"not completed: no task is waiting for {key}"}]
    record = workflow.record(key)
    assert (record["state"], record.get("decision")) == ("AWAITING_APPROVAL", None)


def test_the_winners_retried_delivery_asks_for_its_completion_again(workflow: Workflow) -> None:
    key = workflow.awaiting_approval()
    body = status_changed(key, "Awaiting Approval", "Approved", actor="Carol Approver")
    deliver(body, "r-1")
    workflow.lambdas.queued.clear()  # the first request was lost: the token stays

    again = deliver(body, "r-2")  # Jira's retry of the same change, a new delivery
    answers = workflow.lambdas.run_queued()

    assert again["statusCode"] == 200
    assert response_json(again)["decision"] == "approved"
    assert answers == [{"outcome": "completed"}]
    assert workflow.token_item(key) is None


def test_a_move_to_approved_by_a_non_approver_decides_nothing_and_jira_is_told(
    workflow: Workflow,
) -> None:
    key = workflow.awaiting_approval()
    body = status_changed(key, "Awaiting Approval", "Approved", actor="Mallory Member")

    answers = [deliver(body, "m-1"), deliver(body, "m-1")]  # Jira may deliver twice

    assert [a["statusCode"] for a in answers] == [200, 200]
    assert "not in the approver group" in response_json(answers[0])["ignored"]
    record = workflow.record(key)
    assert (record["state"], record.get("decision")) == ("AWAITING_APPROVAL", None)
    assert workflow.token_item(key) is not None
    told = [c for c in workflow.jira.comments(key) if "Mallory Member" in c]
    assert len(told) == 1, told
    assert f"'{APPROVER_GROUP}' group" in told[0]
