"""Behind a custom domain's base path mapping (/jira), every route still answers."""

from __future__ import annotations

import importlib
import json
from types import ModuleType
from typing import Any

import pytest

from jira_workflow.handlers import http, status


def rest_event(path: str) -> dict[str, Any]:
    """API Gateway REST proxy event as a base path mapping delivers it: path keeps /jira."""
    return {
        "resource": "/requests/{issueKey}",
        "path": path,
        "httpMethod": "GET",
        "headers": {},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"issueKey": path.rsplit("/", 1)[-1]},
        "stageVariables": None,
        "requestContext": {"resourcePath": "/requests/{issueKey}", "httpMethod": "GET"},
        "body": None,
        "isBase64Encoded": False,
    }


def status_module(monkeypatch: pytest.MonkeyPatch, base_path: str | None) -> ModuleType:
    if base_path is None:
        monkeypatch.delenv(http.API_BASE_PATH_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(http.API_BASE_PATH_VARIABLE, base_path)
    return importlib.reload(status)


@pytest.fixture(autouse=True)
def restore_status_module(monkeypatch: pytest.MonkeyPatch) -> Any:
    yield
    monkeypatch.delenv(http.API_BASE_PATH_VARIABLE, raising=False)
    importlib.reload(status)


def answer(module: ModuleType, path: str) -> tuple[int, dict[str, Any]]:
    # A malformed key: the route answers 400 before touching any store, so a 400 proves
    # the path was routed and a 404 that it was not.
    response = module.app.resolve(rest_event(path), None)
    return response["statusCode"], json.loads(response["body"] or "{}")


def test_status_route_answers_under_the_base_path(monkeypatch: pytest.MonkeyPatch) -> None:
    module = status_module(monkeypatch, "jira")
    assert answer(module, "/jira/requests/not-a-key")[0] == 400
    assert answer(module, "/requests/not-a-key")[0] == 400  # the execute-api URL still works


def test_without_the_setting_a_base_path_is_not_routed(monkeypatch: pytest.MonkeyPatch) -> None:
    module = status_module(monkeypatch, None)
    assert answer(module, "/jira/requests/not-a-key")[0] == 404


@pytest.mark.parametrize(
    ("value", "prefixes"),
    [("", []), ("jira", ["/jira"]), ("/jira/", ["/jira"]), ("v1/jira", ["/v1/jira"])],
)
def test_base_path_setting_becomes_one_prefix(value: str, prefixes: list[str]) -> None:
    assert http.base_path_prefixes({http.API_BASE_PATH_VARIABLE: value}) == prefixes
