"""Contract: every request the Jira client can make matches Atlassian's official spec.

The client's registry (`JIRA_OPERATIONS`) is the list of what it can send. Each entry
needs a scenario here that drives the real client into making that request; the request
is captured by `responses` and checked with `jira_openapi.validate_request`. Adding an
operation without a scenario fails `test_every_operation_has_a_scenario`. The Jira
doctor's reader (`SITE_OPERATIONS`) is held to the same contract.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from jira_workflow.adapters.jira import JIRA_OPERATIONS, JiraClient, JiraCredentials, JiraOperation
from local_cloud import jira_openapi
from local_cloud.fake_jira.api import SERVED_CALLS
from local_cloud.fake_jira.fake import FakeJira
from local_cloud.jira_openapi import JiraCall, calls_in_use, validate_request, validate_response
from workflow_tools import jira_spec
from workflow_tools.jira_doctor.site import SITE_OPERATIONS, SiteReader

BASE = "https://acme.atlassian.net"

# What each operation's scenario calls; a scenario may make other requests too.
SCENARIOS: dict[str, Callable[[JiraClient], object]] = {
    "get_issue": lambda c: (
        c.get_issue("OPS-1"),
        c.get_issue("OPS-1", fields=("status",), expand=("changelog",)),
    ),
    "add_comment": lambda c: c.add_comment("OPS-1", "Approval needed\n\nReply in Jira"),
    "list_transitions": lambda c: c.list_transitions("OPS-1"),
    "do_transition": lambda c: c.transition_to("OPS-1", "Approved"),
    "search_jql": lambda c: list(
        c.search_issues('project in (OPS) AND status = "Submitted"', max_results=1)
    ),
    "user_groups": lambda c: c.user_groups("5b10ac8d82e05b22cc7d4ef5"),
}


_DOCTOR_ANSWERS: dict[str, object] = {
    "/rest/api/3/project/OPS": {"id": "10000", "key": "OPS"},
    "/rest/api/3/project/OPS/statuses": [
        {"id": "3", "name": "Task", "statuses": [{"id": "1", "name": "Submitted"}]}
    ],
    "/rest/api/3/mypermissions": {
        "permissions": {"BROWSE_PROJECTS": {"key": "BROWSE_PROJECTS", "havePermission": True}}
    },
    "/rest/api/3/workflows": {"statuses": [], "workflows": []},
    "/rest/api/3/group/bulk": {"isLast": True, "values": [{"name": "request-approvers"}]},
    "/rest/api/3/user/groups": [{"name": "request-approvers", "groupId": "1"}],
}


def _canned_answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    """Plausible Jira answers, enough for every scenario to run to the end."""
    path = request.path_url.split("?")[0]
    if path in _DOCTOR_ANSWERS:
        return 200, {}, json.dumps(_DOCTOR_ANSWERS[path])
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


# ---- The Jira doctor's reads: the same contract -------------------------------------


def test_every_doctor_operation_is_in_the_spec_and_not_deprecated() -> None:
    for operation in SITE_OPERATIONS:
        found = jira_openapi.find_operation(operation.method, operation.path_template)
        assert found is not None, operation
        assert found.template == operation.path_template
        assert not found.spec.get("deprecated"), operation


def test_doctor_requests_match_the_official_spec(recorded: responses.RequestsMock) -> None:
    reader = SiteReader(BASE, JiraCredentials("bot@acme.test", "token"))
    reader.read_project("OPS", ("Task",))
    reader.group_exists("request-approvers")

    requests_made = [call.request for call in recorded.calls]
    for operation in SITE_OPERATIONS:
        pattern = _template_regex(operation)
        assert any(
            r.method == operation.method and pattern.fullmatch(r.path_url.split("?")[0])
            for r in requests_made
        ), f"the doctor never sent {operation.method} {operation.path_template}"
    for request in requests_made:
        assert _problems(request) == [], f"{request.method} {request.path_url}"


# ---- The committed spec holds exactly what is used ---------------------------------


def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        jira_openapi.DEFAULT_SPEC_PATH.read_text(encoding="utf-8")
    )
    return document


def _operations_in(document: dict[str, Any]) -> set[JiraCall]:
    return {
        JiraCall(method.upper(), template)
        for template, item in document["paths"].items()
        for method in item
        if method in ("get", "put", "post", "delete", "patch")
    }


def test_committed_spec_is_inside_the_repository() -> None:
    repo = Path(__file__).resolve().parents[2]
    assert jira_openapi.DEFAULT_SPEC_PATH.is_relative_to(repo)
    assert jira_openapi.spec_path() == jira_openapi.DEFAULT_SPEC_PATH


def test_committed_spec_holds_exactly_the_calls_in_use() -> None:
    # A new client call, fake route or doctor read fails here until the spec is regenerated
    # (python -m workflow_tools.jira_spec --source <Atlassian's full spec>).
    assert _operations_in(_document()) == set(jira_spec.calls_in_use())


def test_calls_in_use_joins_the_client_the_fake_and_the_doctor() -> None:
    doctor = {JiraCall(op.method, op.path_template) for op in SITE_OPERATIONS}
    client = {JiraCall(op.method, op.path_template) for op in JIRA_OPERATIONS}
    assert jira_spec.calls_in_use() == calls_in_use() | doctor
    assert client | doctor <= set(jira_spec.calls_in_use())
    assert doctor <= set(SERVED_CALLS), "the fake Jira must serve every doctor read"


def test_committed_spec_records_its_source() -> None:
    source = _document()["x-trimmed-from"]
    assert source["title"] == "The Jira Cloud platform REST API"
    assert source["version"]
    assert re.fullmatch(r"[0-9a-f]{64}", source["sha256"])
    assert sorted(source["operations"]) == sorted(f"{m} {t}" for m, t in jira_spec.calls_in_use())


def test_every_fake_route_is_answered_and_in_the_spec() -> None:
    fake = FakeJira(email="bot@acme.test", api_token="token")
    key = fake.create_issue("OPS", "Need a laptop")
    auth = "Basic " + base64.b64encode(b"bot@acme.test:token").decode()
    bodies = {
        "/comment": {"body": {"type": "doc", "version": 1, "content": []}},
        "/transitions": {"transition": {"id": "1"}},
        "/search/jql": {"jql": "project = OPS"},
        "/workflows": {"projectAndIssueTypes": [{"projectId": "10000", "issueTypeId": "1"}]},
    }
    for method, template in SERVED_CALLS:
        path = template.replace("{issueIdOrKey}", key).replace("{projectIdOrKey}", "OPS")
        if template.endswith("/mypermissions"):
            path += "?permissions=BROWSE_PROJECTS"
        body = next((b for end, b in bodies.items() if path.endswith(end)), None)
        raw = json.dumps(body).encode() if method == "POST" and body else b""
        headers = {"Authorization": auth, "Content-Type": "application/json"}
        status, _, answer = fake.handle(method, path, headers, raw)
        assert status != 501, (method, template, answer)
        assert "matches no operation" not in json.dumps(answer), (method, template)


def test_a_call_outside_the_committed_spec_is_refused() -> None:
    problems = validate_request("GET", "/rest/api/3/myself")
    assert problems == ["GET /rest/api/3/myself matches no operation in the Jira OpenAPI spec"]


def test_dropped_literal_paths_still_shadow_our_templates() -> None:
    # In the full spec GET /issue/createmeta is its own operation, not GET /issue/{key}.
    assert jira_openapi.find_operation("GET", "/rest/api/3/issue/createmeta") is None
    assert jira_openapi.find_operation("GET", "/rest/api/3/issue/OPS-1") is not None


def test_trimming_keeps_operations_components_and_provenance() -> None:
    source = {
        "openapi": "3.0.1",
        "info": {"title": "T", "version": "9"},
        "paths": {
            "/a/{id}": {"get": {"responses": {"200": {"$ref": "#/components/schemas/A"}}}},
            "/a/literal": {"get": {"responses": {}}},
            "/b": {"post": {"responses": {}}},
        },
        "components": {"schemas": {"A": {"$ref": "#/components/schemas/B"}, "B": {}, "Unused": {}}},
    }
    raw = json.dumps(source).encode()
    trimmed = jira_spec.trim(source, raw, [JiraCall("GET", "/a/{id}")])
    assert list(trimmed["paths"]) == ["/a/{id}"]
    assert trimmed["components"] == {"schemas": {"A": {"$ref": "#/components/schemas/B"}, "B": {}}}
    assert trimmed["x-unserved-paths"] == {"GET": ["/a/literal"]}
    assert trimmed["x-trimmed-from"]["sha256"] == hashlib.sha256(raw).hexdigest()
    with pytest.raises(jira_spec.SpecError, match=r"DELETE /a/\{id\} is not in the source spec"):
        jira_spec.trim(source, raw, [JiraCall("DELETE", "/a/{id}")])


# ---- The validator can fail (mechanics, on a small spec of its own) ----------------

_MECHANICS_SPEC: dict[str, Any] = {
    "openapi": "3.0.1",
    "paths": {
        "/items/{id}": {
            "post": {
                "parameters": [{"in": "query", "name": "limit", "schema": {"type": "integer"}}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Item"}}
                    },
                },
                "responses": {},
            }
        },
        "/items/bulk": {"post": {"responses": {}}},
        "/old": {"post": {"deprecated": True, "responses": {}}},
    },
    "components": {
        "schemas": {
            "Item": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "count": {"type": "integer"},
                    "id": {"type": "string", "readOnly": True},
                    "note": {"type": "string", "nullable": True},
                },
            }
        }
    },
}


@pytest.fixture
def mechanics_spec(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    spec = tmp_path / "mechanics.json"
    spec.write_text(json.dumps(_MECHANICS_SPEC))
    monkeypatch.setenv(jira_openapi.SPEC_ENV_VAR, str(spec))


@pytest.mark.usefixtures("mechanics_spec")
def test_validator_rejects_a_path_that_is_not_in_the_spec() -> None:
    problems = validate_request("POST", "/items/1/comments", body=b"{}")
    assert problems == ["POST /items/1/comments matches no operation in the Jira OpenAPI spec"]


@pytest.mark.usefixtures("mechanics_spec")
def test_validator_rejects_a_deprecated_operation() -> None:
    assert any("deprecated" in p for p in validate_request("POST", "/old"))


@pytest.mark.usefixtures("mechanics_spec")
def test_validator_rejects_a_missing_required_body() -> None:
    assert validate_request("POST", "/items/1", body=None) == [
        "POST /items/{id}: the request body is required"
    ]


@pytest.mark.usefixtures("mechanics_spec")
def test_validator_rejects_a_missing_required_field() -> None:
    problems = validate_request("POST", "/items/1", body=b'{"count": 1}')
    assert any("'name' is a required property" in p for p in problems)


@pytest.mark.usefixtures("mechanics_spec")
def test_validator_rejects_wrong_types_and_unknown_properties() -> None:
    body = json.dumps({"name": "x", "count": "50", "colour": "red"})
    problems = validate_request("POST", "/items/1", body=body)
    assert any("body.count '50' is not of type 'integer'" in p for p in problems)
    assert any("'colour' was unexpected" in p for p in problems)


@pytest.mark.usefixtures("mechanics_spec")
def test_validator_rejects_read_only_properties_in_a_request() -> None:
    problems = validate_request("POST", "/items/1", body=json.dumps({"name": "x", "id": "7"}))
    assert any("body.id is read-only" in p for p in problems)


@pytest.mark.usefixtures("mechanics_spec")
def test_validator_accepts_null_for_a_nullable_property() -> None:
    assert validate_request("POST", "/items/1", body=json.dumps({"name": "x", "note": None})) == []


@pytest.mark.usefixtures("mechanics_spec")
def test_validator_checks_query_parameter_types_and_names() -> None:
    problems = validate_request("POST", "/items/1?limit=ten&bogus=1", body=b'{"name": "x"}')
    assert any("'limit' must be an integer" in p for p in problems)
    assert any("unknown query parameter 'bogus'" in p for p in problems)


@pytest.mark.usefixtures("mechanics_spec")
def test_validator_rejects_a_body_that_is_not_json() -> None:
    problems = validate_request("POST", "/items/1", body=b"{not json")
    assert any("not valid JSON" in p for p in problems)


@pytest.mark.usefixtures("mechanics_spec")
def test_validator_rejects_a_wrong_content_type() -> None:
    problems = validate_request("POST", "/items/1", body=b"name=x", content_type="text/plain")
    assert any("Content-Type 'text/plain' is not accepted" in p for p in problems)


@pytest.mark.usefixtures("mechanics_spec")
def test_literal_paths_win_over_templates() -> None:
    found = jira_openapi.find_operation("POST", "/items/bulk")
    assert found is not None
    assert found.template == "/items/bulk"


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
