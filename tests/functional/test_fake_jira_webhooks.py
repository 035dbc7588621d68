"""The fake Jira's webhooks: Jira-shaped payloads, signatures, retries, duplicates, drops."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from local_cloud.fake_jira.fake import FakeJira
from local_cloud.fake_jira.jql import JqlError, JqlFilter
from local_cloud.fake_jira.model import DEFAULT_STATUSES, GLOBAL_TRANSITIONS, Workflow
from local_cloud.fake_jira.webhooks import sign

SECRET = "webhook-secret-for-tests"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)  # type: ignore[no-any-return]

    def signed_with(self, secret: str) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers["X-Hub-Signature"], expected)


@dataclass
class Receiver:
    """A webhook endpoint on 127.0.0.1 that answers from a script of status codes."""

    answers: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    url: str = ""

    def next_status(self) -> int:
        return self.answers.pop(0) if self.answers else 200


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append(Received(dict(self.headers.items()), body))
            self.send_response(state.next_status())
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/jira/webhook"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def jira(receiver: Receiver) -> Iterator[FakeJira]:
    with FakeJira(webhook_retry_delays=(0.01, 0.01, 0.01)) as fake:
        fake.register_webhook(receiver.url, SECRET)
        yield fake
    assert fake.response_problems == []


def test_issue_created_sends_a_jira_shaped_signed_payload(
    jira: FakeJira, receiver: Receiver
) -> None:
    key = jira.create_issue(
        "OPS", "Laptop", status="Submitted", description="16GB", labels=["hw"], priority="High"
    )
    jira.wait_for_deliveries()

    [got] = receiver.received
    assert got.signed_with(SECRET)
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["X-Atlassian-Webhook-Identifier"] == jira.deliveries[0].identifier
    assert "X-Atlassian-Webhook-Retry" not in got.headers
    payload = got.payload
    assert payload["webhookEvent"] == "jira:issue_created"
    assert isinstance(payload["timestamp"], int)
    assert "changelog" not in payload
    issue = payload["issue"]
    assert issue["key"] == key
    assert issue["id"]
    fields = issue["fields"]
    assert fields["summary"] == "Laptop"
    assert fields["issuetype"]["name"] == "Service Request"
    assert fields["project"]["key"] == "OPS"
    assert fields["status"]["name"] == "Submitted"
    assert fields["labels"] == ["hw"]
    assert fields["reporter"]["displayName"] == "Alice Reporter"
    assert fields["reporter"]["accountId"]
    assert fields["priority"]["name"] == "High"
    assert fields["description"] == "16GB"
    assert payload["user"]["displayName"] == "Alice Reporter"


def test_transition_in_the_ui_sends_issue_updated_with_a_status_changelog(
    jira: FakeJira, receiver: Receiver
) -> None:
    key = jira.create_issue("OPS", "Laptop", status="Awaiting Approval", notify=False)

    jira.transition(key, "Approved", actor="Bob Approver")
    jira.wait_for_deliveries()

    [got] = receiver.received
    payload = got.payload
    assert payload["webhookEvent"] == "jira:issue_updated"
    assert payload["user"]["displayName"] == "Bob Approver"
    assert payload["issue"]["fields"]["status"]["name"] == "Approved"
    [item] = payload["changelog"]["items"]
    assert (item["field"], item["fromString"], item["toString"]) == (
        "status",
        "Awaiting Approval",
        "Approved",
    )
    assert payload["changelog"]["id"]


def test_transition_through_the_rest_api_also_fires_a_webhook(
    jira: FakeJira, receiver: Receiver
) -> None:
    key = jira.create_issue("OPS", "Laptop", status="Approved", notify=False)
    status, _, _ = jira.handle(
        "POST",
        f"/rest/api/3/issue/{key}/transitions",
        {"Authorization": _basic(jira), "Content-Type": "application/json"},
        json.dumps({"transition": {"id": _transition_id(jira, "Done")}}).encode(),
    )
    jira.wait_for_deliveries()

    assert status == 204
    assert receiver.received[0].payload["user"]["displayName"] == "Workflow Bot"


def test_5xx_is_retried_with_the_same_identifier_and_a_retry_header(
    jira: FakeJira, receiver: Receiver
) -> None:
    receiver.answers = [503, 500, 200]

    jira.create_issue("OPS", "Laptop")
    jira.wait_for_deliveries()

    [delivery] = jira.deliveries
    assert delivery.statuses == [503, 500, 200]
    assert delivery.delivered
    identifiers = {r.headers["X-Atlassian-Webhook-Identifier"] for r in receiver.received}
    assert identifiers == {delivery.identifier}
    assert [r.headers.get("X-Atlassian-Webhook-Retry") for r in receiver.received] == [
        None,
        "1",
        "2",
    ]
    assert all(r.signed_with(SECRET) for r in receiver.received)


@pytest.mark.parametrize("status", [408, 409, 429])
def test_jira_also_retries_on_408_409_and_429(
    jira: FakeJira, receiver: Receiver, status: int
) -> None:
    receiver.answers = [status]
    jira.create_issue("OPS", "Laptop")
    jira.wait_for_deliveries()
    assert jira.deliveries[0].statuses == [status, 200]


def test_4xx_other_than_the_retry_set_is_not_retried(jira: FakeJira, receiver: Receiver) -> None:
    receiver.answers = [401]
    jira.create_issue("OPS", "Laptop")
    jira.wait_for_deliveries()
    assert jira.deliveries[0].statuses == [401]
    assert not jira.deliveries[0].delivered


def test_retries_are_bounded(jira: FakeJira, receiver: Receiver) -> None:
    receiver.answers = [503] * 10
    jira.create_issue("OPS", "Laptop")
    jira.wait_for_deliveries()
    assert jira.deliveries[0].statuses == [503] * 4  # first try + 3 configured retries


def test_unreachable_endpoint_is_recorded_and_retried(receiver: Receiver) -> None:
    with FakeJira(webhook_retry_delays=(0.01,), webhook_timeout_seconds=1) as fake:
        fake.register_webhook("http://127.0.0.1:9/nothing-listens", SECRET)
        fake.create_issue("OPS", "Laptop")
        fake.wait_for_deliveries()
        [delivery] = fake.deliveries
    assert delivery.statuses == [None, None]
    assert delivery.attempts[0].error == "ConnectionError"


def test_duplicate_delivery_keeps_the_identifier_and_body(
    jira: FakeJira, receiver: Receiver
) -> None:
    jira.create_issue("OPS", "Laptop")
    jira.wait_for_deliveries()

    duplicate = jira.send_duplicate()
    jira.wait_for_deliveries()

    first, second = receiver.received
    assert (
        second.headers["X-Atlassian-Webhook-Identifier"]
        == first.headers["X-Atlassian-Webhook-Identifier"]
    )
    assert second.body == first.body
    assert second.signed_with(SECRET)
    assert duplicate.duplicate_of == jira.deliveries[0].identifier


def test_dropped_delivery_is_never_sent_but_is_logged(jira: FakeJira, receiver: Receiver) -> None:
    jira.drop_next_deliveries(1)
    dropped_key = jira.create_issue("OPS", "Lost")
    sent_key = jira.create_issue("OPS", "Arrives")
    jira.wait_for_deliveries()

    assert [r.payload["issue"]["key"] for r in receiver.received] == [sent_key]
    assert jira.deliveries[0].dropped
    assert jira.deliveries[0].issue_key == dropped_key
    assert jira.deliveries[0].attempts == []


def test_wrong_secret_signs_so_verification_fails(jira: FakeJira, receiver: Receiver) -> None:
    jira.sign_next_with_wrong_secret()
    jira.create_issue("OPS", "Laptop")
    jira.wait_for_deliveries()

    [got] = receiver.received
    assert got.headers["X-Hub-Signature"].startswith("sha256=")
    assert not got.signed_with(SECRET)


def test_webhooks_go_only_to_127_0_0_1() -> None:
    fake = FakeJira()
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        fake.register_webhook("https://example.com/hook", SECRET)


def test_sign_matches_hmac_sha256_hex() -> None:
    body = b'{"a":1}'
    assert sign(body, "k") == "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()


# ---- REST API details the tests above do not reach ---------------------------------


def test_requests_without_auth_get_401(jira: FakeJira) -> None:
    status, headers, _ = jira.handle("GET", "/rest/api/3/issue/OPS-1", {}, b"")
    assert status == 401
    assert "WWW-Authenticate" in headers


def test_calls_outside_the_committed_spec_get_400_naming_the_call(jira: FakeJira) -> None:
    # The committed spec holds exactly what the client calls and the fake serves, so a call
    # the fake does not implement is one the spec does not hold either.
    status, _, body = jira.handle(
        "DELETE", "/rest/api/3/issue/OPS-1", {"Authorization": _basic(jira)}, b""
    )
    assert status == 400
    assert body == {
        "errorMessages": [
            "DELETE /rest/api/3/issue/OPS-1 matches no operation in the Jira OpenAPI spec"
        ],
        "errors": {},
    }


def test_unimplemented_calls_get_501_when_spec_checks_are_off(jira: FakeJira) -> None:
    jira.api.validate_against_spec = False
    status, _, _ = jira.handle(
        "DELETE", "/rest/api/3/issue/OPS-1", {"Authorization": _basic(jira)}, b""
    )
    assert status == 501


def test_transition_id_not_available_is_400(jira: FakeJira) -> None:
    key = jira.create_issue("OPS", "Laptop", status="Done", notify=False)
    status, _, body = jira.handle(
        "POST",
        f"/rest/api/3/issue/{key}/transitions",
        {"Authorization": _basic(jira), "Content-Type": "application/json"},
        json.dumps({"transition": {"id": _transition_id(jira, "Done")}}).encode(),
    )
    assert status == 400
    assert "not valid for this issue" in json.dumps(body)


def _post_transition(jira: FakeJira, key: str, body: dict[str, Any]) -> tuple[int, object]:
    status, _, answer = jira.handle(
        "POST",
        f"/rest/api/3/issue/{key}/transitions",
        {"Authorization": _basic(jira), "Content-Type": "application/json"},
        json.dumps(body).encode(),
    )
    return status, answer


# (from, to) for every move docs/runbooks/configure-jira.md prescribes, plus "Submit".
RUNBOOK_MOVES = {
    ("To Do", "Submitted"),
    ("Submitted", "Awaiting Approval"),
    ("Awaiting Approval", "Approved"),
    ("Awaiting Approval", "Rejected"),
    ("Approved", "Done"),
    ("Approved", "Failed"),
    ("Awaiting Approval", "Failed"),
}


def test_the_default_workflow_has_only_the_runbooks_transitions() -> None:
    workflow = Workflow.default()

    moves = {
        (status, t.to_status)
        for status in workflow.statuses
        for t in workflow.available_from(status)
    }

    assert moves == RUNBOOK_MOVES
    assert len({workflow.status_id(s) for s in workflow.statuses}) == len(workflow.statuses)


@pytest.mark.parametrize(
    ("start", "target"),
    [("Submitted", "Done"), ("Awaiting Approval", "Done"), ("Submitted", "Failed")],
)
def test_a_transition_the_workflow_lacks_from_the_current_status_is_400(
    jira: FakeJira, start: str, target: str
) -> None:
    key = jira.create_issue("OPS", "Laptop", status=start, notify=False)

    listed = jira.handle(
        "GET", f"/rest/api/3/issue/{key}/transitions", {"Authorization": _basic(jira)}, b""
    )
    status, body = _post_transition(jira, key, {"transition": {"id": _transition_id(jira, target)}})

    assert target not in json.dumps(listed[2])
    assert status == 400
    assert body == {
        "errorMessages": [
            f"Transition id '{_transition_id(jira, target)}' is not valid for this issue."
        ],
        "errors": {},
    }
    assert jira.status(key) == start


def test_a_person_cannot_skip_the_workflow_either(jira: FakeJira) -> None:
    key = jira.create_issue("OPS", "Laptop", status="Submitted", notify=False)

    with pytest.raises(ValueError, match="no transition from 'Submitted' to 'Approved'"):
        jira.transition(key, "Approved")
    assert jira.status(key) == "Submitted"


def test_a_field_the_transition_screen_lacks_is_refused_with_jiras_error_shape(
    jira: FakeJira,
) -> None:
    key = jira.create_issue("OPS", "Laptop", status="Approved", notify=False)

    status, body = _post_transition(
        jira,
        key,
        {
            "transition": {"id": _transition_id(jira, "Done")},
            "fields": {"resolution": {"name": "Done"}},
        },
    )

    assert status == 400
    assert body == {
        "errorMessages": [],
        "errors": {
            "resolution": "Field 'resolution' cannot be set. It is not on the appropriate "
            "screen, or unknown."
        },
    }
    assert jira.status(key) == "Approved"


def test_a_field_on_the_transition_screen_is_accepted() -> None:
    workflow = Workflow.build(
        ["Open", "Closed"], [("Close", ("Open",), "Closed")], screens={"Close": ["resolution"]}
    )
    jira = FakeJira(workflow=workflow)
    key = jira.create_issue("OPS", "Laptop", notify=False)
    [transition] = workflow.available_from("Open")

    status, _ = _post_transition(
        jira,
        key,
        {"transition": {"id": transition.id}, "fields": {"resolution": {"name": "Fixed"}}},
    )

    assert status == 204
    assert jira.status(key) == "Closed"


def test_tests_can_still_build_a_workflow_of_global_transitions() -> None:
    workflow = Workflow.build(DEFAULT_STATUSES, GLOBAL_TRANSITIONS)

    assert {t.to_status for t in workflow.available_from("Submitted")} == set(DEFAULT_STATUSES) - {
        "Submitted"
    }


def test_search_with_unsupported_jql_is_400(jira: FakeJira) -> None:
    status, _, body = jira.handle(
        "POST",
        "/rest/api/3/search/jql",
        {"Authorization": _basic(jira), "Content-Type": "application/json"},
        json.dumps({"jql": "assignee = currentUser()"}).encode(),
    )
    assert status == 400
    assert "Error in the JQL Query" in json.dumps(body)


def test_search_with_only_ids_omits_fields(jira: FakeJira) -> None:
    jira.create_issue("OPS", "Laptop", notify=False)
    status, _, body = jira.handle(
        "POST",
        "/rest/api/3/search/jql",
        {"Authorization": _basic(jira), "Content-Type": "application/json"},
        json.dumps({"jql": "project = OPS"}).encode(),
    )
    assert status == 200
    assert isinstance(body, dict)
    assert body["isLast"] is True
    assert "fields" not in body["issues"][0]


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ("project = OPS", ["OPS-1", "OPS-2", "OPS-3"]),
        ("project in (IT)", ["IT-1"]),
        ('status in ("Submitted", Approved) ORDER BY created DESC', ["OPS-2", "OPS-1"]),
        ("project = OPS ORDER BY updated asc", ["OPS-1", "OPS-2", "OPS-3"]),
        ("project = OPS ORDER BY key DESC, created", ["OPS-3", "OPS-2", "OPS-1"]),
        ("status != Submitted AND project = OPS", ["OPS-2", "OPS-3"]),
        ("issuetype not in (Bug) and labels = urgent", ["OPS-1"]),
        ("type = Bug", ["OPS-3"]),
        ("created >= -1d AND key = OPS-2", ["OPS-2"]),
        ("updated < -1d", []),
        ("", ["OPS-1", "OPS-2", "OPS-3", "IT-1"]),
    ],
)
def test_jql_subset(jql: str, expected: list[str]) -> None:
    fake = FakeJira(projects=["OPS", "IT"])
    fake.create_issue("OPS", "a", status="Submitted", labels=["urgent"], notify=False)
    fake.create_issue("OPS", "b", status="Approved", notify=False)
    fake.create_issue("OPS", "c", status="To Do", issue_type="Bug", notify=False)
    fake.create_issue("IT", "d", status="To Do", notify=False)
    issues = [fake.issue(k) for k in ("OPS-1", "OPS-2", "OPS-3", "IT-1")]
    assert [i.key for i in JqlFilter.parse(jql).select(issues)] == expected


@pytest.mark.parametrize(
    "jql",
    ["project = A OR project = B", "summary ~ laptop", "status", "project = A ORDER BY summary"],
)
def test_jql_outside_the_subset_is_an_error(jql: str) -> None:
    with pytest.raises(JqlError):
        JqlFilter.parse(jql)


def test_custom_workflow_must_lead_to_known_statuses() -> None:
    with pytest.raises(ValueError, match="unknown statuses"):
        Workflow.build(["Open", "Closed"], [("Close", "Closed"), ("Archive", "Archived")])


def _basic(jira: FakeJira) -> str:
    return "Basic " + base64.b64encode(f"{jira.email}:{jira.api_token}".encode()).decode()


def _transition_id(jira: FakeJira, to_status: str) -> str:
    return next(t.id for t in jira.workflow.transitions if t.to_status == to_status)
