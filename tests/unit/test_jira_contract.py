"""Contract: every request the Jira client can make matches Atlassian's official spec.

The client's registry (`JIRA_OPERATIONS`) is the list of what it can send. Each entry
needs a scenario here that drives the real client into making that request; the request
is captured by `responses` and checked with `jira_openapi.validate_request`. Adding an
operation without a scenario fails `test_every_operation_has_a_scenario`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import responses

from jira_workflow.adapters.jira import JIRA_OPERATIONS, JiraClient, JiraCredentials, JiraOperation
from local_cloud import jira_openapi
from local_cloud.jira_openapi import validate_request, validate_response

BASE = "https://acme.atlassian.net"

# What each operation's scenario calls; a scenario may make other requests too.
SCENARIOS: dict[str, Callable[[JiraClient], object]] = {
    "get_issue": lambda c: c.get_issue("OPS-1"),
    "add_comment": lambda c: c.add_comment("OPS-1", "Approval needed\n\nReply in Jira"),
    "list_transitions": lambda c: c.list_transitions("OPS-1"),
    "do_transition": lambda c: c.transition_to("OPS-1", "Approved"),
    "search_jql": lambda c: list(
        c.search_issues('project in (OPS) AND status = "Submitted"', max_results=1)
    ),
}


def _canned_answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    """Plausible Jira answers, enough for every scenario to run to the end."""
    path = request.path_url.split("?")[0]
    if request.method == "POST" and path.endswith("/comment"):
        return 201, {}, json.dumps({"id": "10100"})
    if request.method == "POST" and path.endswith("/transitions"):
        return 204, {}, ""
    if path.endswith("/transitions"):
        transitions = [{"id": "31", "name": "Approve", "to": {"name": "Approved"}}]
        return 200, {}, json.dumps({"transitions": transitions})
    if path.endswith("/search/jql"):
        body = json.loads(request.body or b"{}")
        issue = {"id": "1", "key": "OPS-1", "fields": {"status": {"name": "Submitted"}}}
        page: dict[str, Any] = {"issues": [issue], "isLast": "nextPageToken" in body}
        if not page["isLast"]:
            page["nextPageToken"] = "page-2"  # so the paging request is checked too
        return 200, {}, json.dumps(page)
    return 200, {}, json.dumps({"id": "1", "key": "OPS-1", "fields": {"status": {"name": "To Do"}}})


@pytest.fixture
def recorded() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for method in ("GET", "POST", "PUT", "DELETE"):
            rsps.add_callback(method, re.compile(rf"{re.escape(BASE)}/.*"), _canned_answer)
        yield rsps


def _client() -> JiraClient:
    return JiraClient(BASE, JiraCredentials("bot@acme.test", "token"), sleep=lambda _: None)


def _template_regex(operation: JiraOperation) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(operation.path_template)))


def _problems(request: requests.PreparedRequest) -> list[str]:
    return validate_request(
        str(request.method),
        request.path_url,
        body=request.body,
        content_type=request.headers.get("Content-Type"),
    )


def test_every_operation_has_a_scenario() -> None:
    missing = {op.name for op in JIRA_OPERATIONS} - set(SCENARIOS)
    assert not missing, f"add a contract scenario for: {sorted(missing)}"


def test_every_operation_is_in_the_spec_and_not_deprecated() -> None:
    for operation in JIRA_OPERATIONS:
        found = jira_openapi.find_operation(operation.method, operation.path_template)
        assert found is not None, operation
        assert found.template == operation.path_template
        assert not found.spec.get("deprecated"), operation


@pytest.mark.parametrize("operation", JIRA_OPERATIONS, ids=lambda op: op.name)
def test_client_requests_match_the_official_spec(
    operation: JiraOperation, recorded: responses.RequestsMock
) -> None:
    SCENARIOS[operation.name](_client())

    requests_made = [call.request for call in recorded.calls]
    pattern = _template_regex(operation)
    matching = [
        r
        for r in requests_made
        if r.method == operation.method and pattern.fullmatch(r.path_url.split("?")[0])
    ]
    assert matching, f"scenario for {operation.name} never sent {operation.method} {pattern}"
    for request in requests_made:
        assert _problems(request) == [], f"{request.method} {request.path_url}"


# ---- The validator can fail ---------------------------------------------------------


def test_validator_rejects_a_path_that_is_not_in_the_spec() -> None:
    problems = validate_request("POST", "/rest/api/3/issue/OPS-1/comments", body=b"{}")
    assert problems == [
        "POST /rest/api/3/issue/OPS-1/comments matches no operation in the Jira OpenAPI spec"
    ]


def test_validator_rejects_the_deprecated_search_endpoint() -> None:
    problems = validate_request("POST", "/rest/api/3/search", body=b'{"jql": "project = OPS"}')
    assert any("deprecated" in p for p in problems)


def test_validator_rejects_a_missing_required_body() -> None:
    problems = validate_request("POST", "/rest/api/3/issue/OPS-1/comment", body=None)
    assert problems == [
        "POST /rest/api/3/issue/{issueIdOrKey}/comment: the request body is required"
    ]


def test_validator_rejects_a_missing_required_field() -> None:
    # IssueBulkWatchOrUnwatchPayload requires selectedIssueIdsOrKeys.
    problems = validate_request("POST", "/rest/api/3/bulk/issues/watch", body=b"{}")
    assert any("'selectedIssueIdsOrKeys' is a required property" in p for p in problems)


def test_validator_rejects_wrong_types_and_unknown_properties() -> None:
    body = json.dumps({"jql": "project = OPS", "maxResults": "50", "pageToken": "x"})
    problems = validate_request("POST", "/rest/api/3/search/jql", body=body)
    assert any("body.maxResults '50' is not of type 'integer'" in p for p in problems)
    assert any("'pageToken' was unexpected" in p for p in problems)


def test_validator_rejects_read_only_properties_in_a_request() -> None:
    body = json.dumps({"transition": {"id": "31", "name": "Approve"}})
    problems = validate_request("POST", "/rest/api/3/issue/OPS-1/transitions", body=body)
    assert any("body.transition.name is read-only" in p for p in problems)


def test_validator_checks_query_parameter_types_and_names() -> None:
    problems = validate_request("GET", "/rest/api/3/issue/OPS-1/comment?maxResults=ten&bogus=1")
    assert any("'maxResults' must be an integer" in p for p in problems)
    assert any("unknown query parameter 'bogus'" in p for p in problems)


def test_validator_rejects_a_body_that_is_not_json() -> None:
    problems = validate_request("POST", "/rest/api/3/search/jql", body=b"{not json")
    assert any("not valid JSON" in p for p in problems)


def test_validator_rejects_a_wrong_content_type() -> None:
    problems = validate_request(
        "POST", "/rest/api/3/search/jql", body=b"jql=x", content_type="text/plain"
    )
    assert any("Content-Type 'text/plain' is not accepted" in p for p in problems)


def test_literal_paths_win_over_templates() -> None:
    found = jira_openapi.find_operation("POST", "/rest/api/3/issue/bulkfetch")
    assert found is not None
    assert found.template == "/rest/api/3/issue/bulkfetch"


def test_nullable_becomes_a_json_schema_null_type() -> None:
    converted = jira_openapi._convert(
        {"type": "object", "properties": {"a": {"type": "string", "nullable": True}}}
    )
    assert converted["properties"]["a"] == {"type": ["string", "null"]}


def test_spec_location_can_be_overridden(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    spec = tmp_path / "mini.json"
    spec.write_text(json.dumps({"paths": {"/ping": {"get": {"responses": {}}}}}))
    monkeypatch.setenv(jira_openapi.SPEC_ENV_VAR, str(spec))
    assert validate_request("GET", "/ping") == []
    assert validate_request("GET", "/rest/api/3/issue/OPS-1") != []


def test_response_validator_rejects_what_jira_cannot_answer() -> None:
    assert validate_response("POST", "/rest/api/3/search/jql", 200, {"issues": [], "x": 1})
    assert validate_response("GET", "/rest/api/3/issue/OPS-1", 200, {"id": 1})
    assert validate_response("GET", "/rest/api/3/issue/OPS-1", 299, {})
    assert validate_response("POST", "/rest/api/3/issue/OPS-1/transitions", 204, None) == []
