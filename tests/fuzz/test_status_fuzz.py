"""GET /requests/{issueKey} with any path parameter: 200, 400 or 404, never a 5xx, and a
read never writes."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from hypothesis import given

from jira_workflow.handlers import status
from tests.fuzz.properties import FUZZ, SeededApprovals, account_state, assert_well_answered
from tests.fuzz.strategies import issue_key_parameters, proxy_event
from tests.support.lambda_events import FakeLambdaContext


def get_status(issue_key: str) -> dict[str, Any]:
    event = proxy_event(
        "GET",
        f"/requests/{quote(issue_key, safe='')}",
        None,
        {"x-api-key": "fuzz"},
        resource="/requests/{issueKey}",
        path_parameters={"issueKey": issue_key},
    )
    response: dict[str, Any] = status.handler(event, FakeLambdaContext())
    return response


@FUZZ
@given(issue_key=issue_key_parameters)
def test_status_of_any_issue_key_is_200_400_or_404_and_writes_nothing(
    seeded_approvals: SeededApprovals, issue_key: str
) -> None:
    before = account_state(seeded_approvals.workflow)

    response = get_status(issue_key)

    after = account_state(seeded_approvals.workflow)
    assert_well_answered(response, before, after)
    assert response["statusCode"] in (200, 400, 404), response
    assert after == before
    assert "token-" not in response["body"]
