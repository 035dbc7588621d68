"""Behind a custom domain's base path mapping (/jira), every route still answers.

API Gateway keeps the base path in the event's `path` but names the matched resource
template in `resource`; the functions match on the resource, so no setting strips a prefix.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from jira_workflow.handlers import status


def rest_event(path: str, resource: str = "/requests/{issueKey}") -> dict[str, Any]:
    """API Gateway REST proxy event as a base path mapping delivers it: path keeps /jira."""
    return {
        "resource": resource,
        "path": path,
        "httpMethod": "GET",
        "headers": {},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"issueKey": path.rsplit("/", 1)[-1]},
        "stageVariables": None,
        "requestContext": {"resourcePath": resource, "httpMethod": "GET", "path": path},
        "body": None,
        "isBase64Encoded": False,
    }


def answer(event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    # A malformed key: the route answers 400 before touching any store, so a 400 proves
    # the event was routed and a 404 that it was not.
    response = status.ROUTE.resolve(event, status.request_status)
    return response["statusCode"], json.loads(response["body"] or "{}")


@pytest.mark.parametrize("path", ["/jira/requests/not-a-key", "/v1/jira/requests/not-a-key"])
def test_status_route_answers_under_a_base_path(path: str) -> None:
    assert answer(rest_event(path))[0] == 400


def test_the_execute_api_url_still_answers() -> None:
    assert answer(rest_event("/requests/not-a-key"))[0] == 400


def test_another_resource_is_not_this_functions_route() -> None:
    status_code, body = answer(rest_event("/jira/other/not-a-key", resource="/other/{issueKey}"))
    assert (status_code, body["error"]) == (404, "NotFound")
