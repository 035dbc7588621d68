"""GET /requests/{issueKey}: what a caller sees about a request."""

from __future__ import annotations

from typing import Any

from jira_workflow.container import container
from jira_workflow.domain.requests import RequestState
from jira_workflow.handlers import status
from tests.functional.conftest import Workflow
from tests.support.lambda_events import FakeLambdaContext, api_event, response_json


def get_status(issue_key: str) -> dict[str, Any]:
    event = api_event(
        "GET",
        f"/requests/{issue_key}",
        resource="/requests/{issueKey}",
        path_parameters={"issueKey": issue_key},
    )
    response: dict[str, Any] = status.handler(event, FakeLambdaContext())
    return response


def test_status_shows_state_decision_and_artifacts_but_never_the_token(workflow: Workflow) -> None:
    table = container().table
    table.claim("OPS-1", "OPS-1-d", "d", "webhooks/OPS-1/OPS-1-d.json", "2026-11-28T00:00:00Z")
    table.update(
        "OPS-1",
        "OPS-1-d",
        "2026-11-28T00:00:05Z",
        state=RequestState.AWAITING_APPROVAL,
        execution_arn="arn:aws:states:eu-west-1:123456789012:execution:m:OPS-1-d",
        artifact_keys=["requests/OPS-1/OPS-1-d/request.json"],
        risk_score=42,
    )
    table.store_token("OPS-1", "OPS-1-d", "secret-token-value", 2_000_000_000)

    response = get_status("OPS-1")

    assert response["statusCode"] == 200
    body = response_json(response)
    assert body["state"] == "AWAITING_APPROVAL"
    assert body["artifactKeys"] == ["requests/OPS-1/OPS-1-d/request.json"]
    assert body["riskScore"] == 42
    assert body["executionArn"].endswith(":OPS-1-d")
    assert "secret-token-value" not in response["body"]


def test_unknown_issue_is_404(workflow: Workflow) -> None:
    response = get_status("OPS-999")

    assert response["statusCode"] == 404
    assert response_json(response)["error"] == "RequestNotFound"


def test_malformed_issue_key_is_400(workflow: Workflow) -> None:
    response = get_status("not-a-key")

    assert response["statusCode"] == 400
    assert "issueKey" in response_json(response)["reason"]


def test_status_shows_the_current_request_and_who_decided_the_earlier_ones(
    workflow: Workflow,
) -> None:
    table = container().table
    for name, at, actor in (
        ("OPS-1-sep", "2026-09-01T09:00:00Z", "Sam Sept"),
        ("OPS-1-oct", "2026-10-01T09:00:00Z", "Olga Oct"),
    ):
        table.claim("OPS-1", name, name, f"webhooks/OPS-1/{name}.json", at)
        table.update(
            "OPS-1",
            name,
            at,
            state=RequestState.FULFILLED,
            decision="approved",
            actor=actor,
            decided_at=at,
        )
    table.claim("OPS-1", "OPS-1-nov", "nov", "webhooks/OPS-1/nov.json", "2026-11-28T09:00:00Z")

    body = response_json(get_status("OPS-1"))

    assert (body["state"], body["createdAt"]) == ("RECEIVED", "2026-11-28T09:00:00Z")
    assert [(h["state"], h["decision"], h["actor"], h["decidedAt"]) for h in body["history"]] == [
        ("FULFILLED", "approved", "Olga Oct", "2026-10-01T09:00:00Z"),
        ("FULFILLED", "approved", "Sam Sept", "2026-09-01T09:00:00Z"),
    ]


def test_status_shows_an_outcome_whose_reporting_failed(workflow: Workflow) -> None:
    table = container().table
    table.claim("OPS-1", "OPS-1-d", "d", "k", "2026-11-28T00:00:00Z")
    table.update(
        "OPS-1",
        "OPS-1-d",
        "2026-11-28T00:00:05Z",
        state=RequestState.FULFILLED,
        reporting="failed",
        reporting_problem="JiraUnavailable: Jira answered 503",
    )

    body = response_json(get_status("OPS-1"))

    assert (body["state"], body["reporting"]) == ("FULFILLED", "failed")
    assert body["reportingProblem"] == "JiraUnavailable: Jira answered 503"
    assert body["history"] == []
