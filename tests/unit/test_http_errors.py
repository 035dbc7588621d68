"""The one mapping from workflow errors to HTTP answers."""

from __future__ import annotations

import inspect
import json

import pytest

from jira_workflow.domain import errors
from jira_workflow.domain.errors import (
    ApprovalAlreadyDecided,
    ApprovalExpired,
    BadSignature,
    BodyTooLarge,
    CompletionUnconfirmed,
    ExternalServiceUnavailable,
    InvalidRequest,
    JiraUnavailable,
    MalformedBody,
    NoPendingApproval,
    RequestNotFound,
    StartThrottled,
    WorkflowError,
)
from jira_workflow.handlers.http import RETRY_AFTER_SECONDS, error_response, status_for

API_ERRORS: list[tuple[WorkflowError, int]] = [
    (BadSignature("signature does not match"), 401),
    (MalformedBody("issueKey: Field required"), 400),
    (BodyTooLarge("body is 300000 bytes; the limit is 262144"), 413),
    (RequestNotFound("no request for OPS-1"), 404),
    (NoPendingApproval("OPS-1 is not awaiting approval"), 404),
    (ApprovalAlreadyDecided("approved", "Bob Approver"), 409),
    (ApprovalExpired("the approval for OPS-1 has closed"), 410),
    (StartThrottled("StartExecution throttled"), 503),
    (JiraUnavailable("Jira answered 503"), 503),
    (CompletionUnconfirmed("Step Functions did not answer the decision"), 503),
]


def body_of(exc: WorkflowError) -> dict[str, object]:
    response = error_response(exc)
    assert response.content_type == "application/json"
    assert isinstance(response.body, str)
    document = json.loads(response.body)
    assert isinstance(document, dict)
    return document


@pytest.mark.parametrize(("exc", "status"), API_ERRORS, ids=lambda v: type(v).__name__)
def test_api_error_maps_to_its_status(exc: WorkflowError, status: int) -> None:
    assert status_for(exc) == status
    assert error_response(exc).status_code == status


@pytest.mark.parametrize(("exc", "status"), API_ERRORS, ids=lambda v: type(v).__name__)
def test_error_body_is_json_with_type_and_reason(exc: WorkflowError, status: int) -> None:
    body = body_of(exc)

    assert body["error"] == type(exc).__name__
    assert body["reason"] == str(exc)
    assert body["reason"]


def test_already_decided_body_names_the_winning_decision_and_actor() -> None:
    body = body_of(ApprovalAlreadyDecided("rejected", "Carol"))

    assert body["decision"] == "rejected"
    assert body["actor"] == "Carol"
    assert "rejected by Carol" in str(body["reason"])


@pytest.mark.parametrize(
    "exc",
    [
        StartThrottled("throttled"),
        JiraUnavailable("down"),
        ExternalServiceUnavailable("down"),
        CompletionUnconfirmed("no answer"),
    ],
    ids=lambda v: type(v).__name__,
)
def test_unavailable_answers_503_with_retry_after(exc: WorkflowError) -> None:
    response = error_response(exc)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == RETRY_AFTER_SECONDS
    assert int(RETRY_AFTER_SECONDS) > 0


@pytest.mark.parametrize(("exc", "status"), API_ERRORS, ids=lambda v: type(v).__name__)
def test_only_503_carries_retry_after(exc: WorkflowError, status: int) -> None:
    headers = error_response(exc).headers
    assert ("Retry-After" in headers) is (status == 503)


@pytest.mark.parametrize(
    "exc", [InvalidRequest("bad"), WorkflowError("unnamed")], ids=lambda v: type(v).__name__
)
def test_errors_without_an_api_meaning_are_500(exc: WorkflowError) -> None:
    assert status_for(exc) == 500
    body = body_of(exc)
    assert body["reason"]
    assert "Retry-After" not in error_response(exc).headers


def test_every_workflow_error_gets_a_json_response_with_a_reason() -> None:
    classes = [
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, WorkflowError)
    ]
    assert len(classes) > 10
    for cls in classes:
        exc = cls("decision", "actor") if cls is ApprovalAlreadyDecided else cls("why")
        body = body_of(exc)
        assert 400 <= error_response(exc).status_code <= 599, cls
        assert body["reason"], cls
        assert body["error"] == cls.__name__
