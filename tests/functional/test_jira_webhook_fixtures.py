"""Jira Cloud's own payload shapes (tests/fixtures/jira_webhooks) through the webhook."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from jira_workflow import container as container_module
from jira_workflow.clock import iso, utc_now
from jira_workflow.domain.freshness import sent_at
from jira_workflow.handlers import validate_request, webhook
from jira_workflow.models.jira_webhook import JiraWebhook
from tests.functional.conftest import Workflow, signed_headers
from tests.support.jira_webhook_fixtures import (
    CAPITAL_STATUS_ITEM,
    EXPECTED,
    FIXTURES,
    STARTED,
    fixture,
)
from tests.support.lambda_events import FakeLambdaContext, api_event, response_json

# When Jira sent the body being delivered: the captured bodies are from 2025.
_sent: list[datetime] = []


@pytest.fixture(autouse=True)
def received_when_captured(monkeypatch: pytest.MonkeyPatch) -> None:
    """The functions' clock reads a second after Jira sent the body being delivered, as
    when it was captured (today, a body that old is ignored as a replay)."""

    def shortly_after_sending() -> str:
        return iso(_sent[-1] + timedelta(seconds=1)) if _sent else utc_now()

    _sent.clear()
    monkeypatch.setattr(container_module, "utc_now", shortly_after_sending)


def deliver(body: bytes, delivery_id: str) -> dict[str, Any]:
    _sent.append(sent_at(json.loads(body)["timestamp"]))
    response: dict[str, Any] = webhook.handler(
        api_event("POST", "/jira/webhook", body, signed_headers(body, delivery_id)),
        FakeLambdaContext(),
    )
    return response


def test_every_fixture_has_an_expected_outcome() -> None:
    assert sorted(p.name for p in FIXTURES.glob("*.json")) == sorted(EXPECTED)
    assert len(EXPECTED) >= 5


@pytest.mark.parametrize(("name", "expected"), sorted(EXPECTED.items()))
def test_jira_cloud_payload_reaches_its_expected_outcome(
    workflow: Workflow, name: str, expected: str
) -> None:
    body = (FIXTURES / name).read_bytes()
    issue_key = json.loads(body)["issue"]["key"]

    response = deliver(body, f"fixture-{name}")

    answer = response_json(response)
    if expected == STARTED:
        assert response["statusCode"] == 202, answer
        assert workflow.record(issue_key)["state"] == "RECEIVED"
        assert len(workflow.executions()) == 1
    else:
        assert response["statusCode"] == 200, answer
        assert expected in answer["ignored"]
        assert workflow.executions() == []


@pytest.mark.parametrize("name", CAPITAL_STATUS_ITEM)
def test_a_captured_status_item_named_with_a_capital_is_read_by_its_field_id(name: str) -> None:
    payload = fixture(name)
    [item] = [i for i in payload["changelog"]["items"] if i["fieldId"] == "status"]
    assert item["field"] == "Status"

    change = JiraWebhook.from_document(payload).issue_change()

    assert (change.new_status, change.new_status_id) == (item["toString"], item["to"])


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("issue_created_null_description.json", "OPS-102"),
        ("captured_issue_created_null_description.json", "OPS-108"),
    ],
)
def test_an_issue_created_without_description_is_a_valid_request(
    workflow: Workflow, name: str, key: str
) -> None:
    body = (FIXTURES / name).read_bytes()
    assert json.loads(body)["issue"]["fields"]["description"] is None
    started = response_json(deliver(body, "fixture-null-description"))
    [execution] = workflow.executions()
    execution_input = json.loads(
        workflow.sfn.describe_execution(executionArn=execution["executionArn"])["input"]
    )

    result = validate_request.handler(
        {
            **execution_input,
            "executionName": execution["name"],
            "executionArn": started["executionArn"],
        },
        FakeLambdaContext(),
    )

    request = workflow.s3_json(result["requestKey"])
    assert (request["issueKey"], request["description"]) == (key, "")
