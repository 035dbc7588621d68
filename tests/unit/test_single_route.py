"""The one-route adapter the API functions use instead of a router."""

from __future__ import annotations

import json
from typing import Any

from jira_workflow.domain.errors import ApprovalAlreadyDecided, JiraUnavailable
from jira_workflow.handlers.http import ApiEvent, HttpAnswer, Route, json_answer, raw_body
from tests.support.lambda_events import api_event

ROUTE = Route("POST", "/jira/callback")


def body_of(result: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(result["body"])
    return document


def echo(event: ApiEvent) -> HttpAnswer:
    return json_answer(201, {"echo": raw_body(event).decode()})


def test_the_route_answers_with_a_rest_proxy_result() -> None:
    result = ROUTE.resolve(api_event("POST", "/jira/callback", "hello"), echo)

    assert result["statusCode"] == 201
    assert result["headers"]["Content-Type"] == "application/json"
    assert result["isBase64Encoded"] is False
    assert body_of(result) == {"echo": "hello"}


def test_another_method_or_resource_is_404_with_a_reason() -> None:
    for event in (api_event("GET", "/jira/callback"), api_event("POST", "/jira/webhook")):
        result = ROUTE.resolve(event, echo)
        assert result["statusCode"] == 404
        assert body_of(result) == {"error": "NotFound", "reason": "no such route"}


def test_a_workflow_error_gets_its_status_and_body() -> None:
    def decided(event: ApiEvent) -> HttpAnswer:
        raise ApprovalAlreadyDecided("approved", "Bob")

    result = ROUTE.resolve(api_event("POST", "/jira/callback"), decided)

    assert result["statusCode"] == 409
    assert body_of(result)["actor"] == "Bob"


def test_a_retryable_error_is_503_with_retry_after() -> None:
    def down(event: ApiEvent) -> HttpAnswer:
        raise JiraUnavailable("Jira answered 503")

    result = ROUTE.resolve(api_event("POST", "/jira/callback"), down)

    assert result["statusCode"] == 503
    assert result["headers"]["Retry-After"]


def test_an_unexpected_error_is_500_without_internals() -> None:
    def broken(event: ApiEvent) -> HttpAnswer:
        raise KeyError("secret-internal-detail")

    result = ROUTE.resolve(api_event("POST", "/jira/callback"), broken)

    assert result["statusCode"] == 500
    assert "secret-internal-detail" not in result["body"]
    assert body_of(result) == {"error": "InternalError", "reason": "internal error"}


def test_a_base64_body_is_decoded_and_bad_base64_is_400() -> None:
    event = {**api_event("POST", "/jira/callback"), "body": "aGk=", "isBase64Encoded": True}
    assert body_of(ROUTE.resolve(event, echo)) == {"echo": "hi"}

    event = {**event, "body": "not base64!"}
    result = ROUTE.resolve(event, echo)
    assert result["statusCode"] == 400
    assert body_of(result)["error"] == "MalformedBody"
