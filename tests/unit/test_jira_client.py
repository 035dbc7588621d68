"""Jira client behaviour against `responses`: requests, retries, errors, no leaked secrets."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses
from responses import matchers
from urllib3.exceptions import MaxRetryError, NewConnectionError

from jira_workflow.adapters.jira import JiraClient, JiraCredentials, JiraTransition
from jira_workflow.deadline import Deadline
from jira_workflow.domain.errors import JiraIssueNotFound, JiraRequestRejected, JiraUnavailable

BASE = "https://acme.atlassian.net"
TOKEN = "ATATT-super-secret-token"
CREDS = JiraCredentials("bot@acme.test", TOKEN)
ISSUE_URL = f"{BASE}/rest/api/3/issue/OPS-1"
TRANSITIONS_URL = f"{ISSUE_URL}/transitions"
SEARCH_URL = f"{BASE}/rest/api/3/search/jql"

TRANSITIONS = {
    "transitions": [
        {"id": "21", "name": "Request approval", "to": {"name": "Awaiting Approval"}},
        {"id": "31", "name": "Approve", "to": {"name": "Approved"}},
        {"id": "51", "name": "Complete", "to": {"name": "Done"}},
    ]
}


def issue_body(key: str = "OPS-1", status: str = "Submitted") -> dict[str, Any]:
    return {
        "id": "10001",
        "key": key,
        "fields": {
            "summary": "Need a laptop",
            "status": {"name": status},
            "issuetype": {"name": "Service Request"},
            "project": {"key": "OPS"},
            "description": {
                "type": "doc",
                "version": 1,
                "content": [{"type": "paragraph", "content": [{"type": "text", "text": "16GB"}]}],
            },
            "labels": ["hardware"],
            "reporter": {"displayName": "Alice", "accountId": "acc-1"},
            "priority": {"name": "High"},
        },
    }


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(sleeps: Sleeps) -> JiraClient:
    return JiraClient(BASE, CREDS, max_attempts=3, sleep=sleeps, jitter=lambda: 0.5)


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


# ---- Requests ------------------------------------------------------------------------


def test_add_comment_posts_an_adf_body_with_basic_auth_and_json_headers(
    client: JiraClient, mocked: responses.RequestsMock
) -> None:
    mocked.post(f"{ISSUE_URL}/comment", json={"id": "10100"}, status=201)

    comment_id = client.add_comment("OPS-1", "Approval needed\nby Bob")

    assert comment_id == "10100"
    sent = mocked.calls[0].request
    expected_auth = base64.b64encode(f"bot@acme.test:{TOKEN}".encode()).decode()
    assert sent.headers["Authorization"] == f"Basic {expected_auth}"
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["Content-Type"] == "application/json"
    body = json.loads(sent.body or b"")
    assert body["body"]["type"] == "doc"
    assert [p["content"][0]["text"] for p in body["body"]["content"]] == [
        "Approval needed",
        "by Bob",
    ]


def test_every_call_carries_a_timeout(sleeps: Sleeps, mocked: responses.RequestsMock) -> None:
    seen: list[object] = []

    class RecordingSession(requests.Session):
        def request(self, *args: Any, **kwargs: Any) -> requests.Response:
            seen.append(kwargs.get("timeout"))
            return super().request(*args, **kwargs)

    mocked.get(ISSUE_URL, json=issue_body())
    client = JiraClient(BASE, CREDS, session=RecordingSession(), timeout_seconds=3.5, sleep=sleeps)
    client.get_issue("OPS-1")
    assert seen == [3.5]


def test_get_issue_returns_a_typed_issue_with_plain_text_description(
    client: JiraClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(
        ISSUE_URL,
        json=issue_body(),
        match=[matchers.query_param_matcher({"fields": "summary,status"})],
    )

    issue = client.get_issue("OPS-1", fields=["summary", "status"])

    assert issue.key == "OPS-1"
    assert issue.status == "Submitted"
    assert issue.issue_type == "Service Request"
    assert issue.project_key == "OPS"
    assert issue.description == "16GB"
    assert issue.labels == ("hardware",)
    assert (issue.reporter_name, issue.reporter_account_id) == ("Alice", "acc-1")
    assert issue.priority == "High"


def _history(history_id: str, created: str, items: list[dict[str, Any]], **author: str) -> Any:
    return {"id": history_id, "author": author, "created": created, "items": items}


def test_get_issue_with_changelog_reads_status_moves_in_jira_clouds_shape(
    client: JiraClient, mocked: responses.RequestsMock
) -> None:
    """Most recent first, as Jira Cloud pages `expand=changelog`; `Status` or `status`."""
    to = {"fieldtype": "jira", "fieldId": "status", "from": "10001", "to": "10003"}
    histories = [
        _history("3", "2026-11-29T10:05:00.000+0000", [{"field": "summary", "toString": "x"}]),
        _history(
            "2",
            "2026-11-29T10:00:00.250+0100",
            [{**to, "field": "Status", "fromString": "Awaiting Approval", "toString": "Approved"}],
            displayName="Bob Approver",
            accountId="557058:bob",
        ),
        _history(
            "1",
            "2026-11-28T09:00:00.000+0000",
            [{**to, "field": "status", "fromString": "Submitted", "toString": "Approved"}],
            accountId="557058:early",
        ),
        _history(
            "0",
            "2026-11-29T11:00:00.000+0000",
            [{"field": "status", "fieldId": "customfield_1", "toString": "Approved"}],
            displayName="Custom Field",
        ),
    ]
    body = {**issue_body(status="Approved"), "changelog": {"histories": histories}}
    mocked.get(
        ISSUE_URL,
        json=body,
        match=[matchers.query_param_matcher({"fields": "status", "expand": "changelog"})],
    )

    issue = client.get_issue("OPS-1", fields=("status",), expand=("changelog",))

    assert [c.author_name for c in issue.status_changes] == ["Bob Approver", None]
    last = issue.last_move_into("approved")
    assert last is not None
    assert (last.author_name, last.author_account_id) == ("Bob Approver", "557058:bob")
    assert last.created is not None
    assert last.created.isoformat() == "2026-11-29T10:00:00.250000+01:00"
    assert issue.last_move_into("Rejected") is None


def test_get_issue_tolerates_missing_optional_fields(
    client: JiraClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(ISSUE_URL, json={"id": "1", "key": "OPS-1", "fields": {"description": None}})
    issue = client.get_issue("OPS-1")
    assert (issue.status, issue.description, issue.priority, issue.reporter_name) == (
        "",
        "",
        None,
        None,
    )


def test_credentials_callable_is_read_per_call_so_rotation_is_picked_up(
    sleeps: Sleeps, mocked: responses.RequestsMock
) -> None:
    tokens = iter(["first", "second"])

    def current() -> JiraCredentials:
        return JiraCredentials("bot@acme.test", next(tokens))

    mocked.get(ISSUE_URL, json=issue_body())
    client = JiraClient(BASE, current, sleep=sleeps)
    client.get_issue("OPS-1")
    client.get_issue("OPS-1")
    auths = [base64.b64decode(c.request.headers["Authorization"][6:]) for c in mocked.calls]
    assert auths == [b"bot@acme.test:first", b"bot@acme.test:second"]


def test_issue_key_is_quoted_into_the_path(
    client: JiraClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(f"{BASE}/rest/api/3/issue/OPS-1%2F..%2Fx", status=404, json={})
    with pytest.raises(JiraIssueNotFound):
        client.get_issue("OPS-1/../x")


# ---- Transitions ---------------------------------------------------------------------


def test_list_transitions_returns_id_name_and_target_status(
    client: JiraClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(TRANSITIONS_URL, json=TRANSITIONS)
    assert client.list_transitions("OPS-1")[1] == JiraTransition("31", "Approve", "Approved")


@pytest.mark.parametrize("wanted", ["Approve", "approve", "Approved", "APPROVED"])
def test_transition_to_matches_name_or_target_status_case_insensitively(
    client: JiraClient, mocked: responses.RequestsMock, wanted: str
) -> None:
    mocked.get(ISSUE_URL, json=issue_body(status="Awaiting Approval"))
    mocked.get(TRANSITIONS_URL, json=TRANSITIONS)
    posted = mocked.post(
        TRANSITIONS_URL,
        status=204,
        match=[matchers.json_params_matcher({"transition": {"id": "31"}})],
    )

    assert client.transition_to("OPS-1", wanted) is True
    assert posted.call_count == 1


def test_transition_to_current_status_does_nothing(
    client: JiraClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(ISSUE_URL, json=issue_body(status="Done"))
    posted = mocked.post(TRANSITIONS_URL, status=204)

    assert client.transition_to("OPS-1", "done") is False
    assert posted.call_count == 0


def test_unknown_transition_is_rejected_naming_the_available_ones(
    client: JiraClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(ISSUE_URL, json=issue_body())
    mocked.get(TRANSITIONS_URL, json=TRANSITIONS)

    with pytest.raises(JiraRequestRejected) as raised:
        client.transition_to("OPS-1", "Teleport")
    assert "Teleport" in str(raised.value)
    assert "Approve -> Approved" in str(raised.value)


# ---- Search --------------------------------------------------------------------------


def test_search_follows_next_page_token_until_the_last_page(
    client: JiraClient, mocked: responses.RequestsMock
) -> None:
    mocked.post(
        SEARCH_URL,
        json={"issues": [issue_body("OPS-1"), issue_body("OPS-2")], "nextPageToken": "p2"},
        match=[matchers.json_params_matcher({"jql": "project = OPS"}, strict_match=False)],
    )
    mocked.post(
        SEARCH_URL,
        json={"issues": [issue_body("OPS-3")], "isLast": True},
        match=[matchers.json_params_matcher({"nextPageToken": "p2"}, strict_match=False)],
    )

    keys = [i.key for i in client.search_issues("project = OPS", ["status"], max_results=2)]

    assert keys == ["OPS-1", "OPS-2", "OPS-3"]
    first = json.loads(mocked.calls[0].request.body or b"")
    assert first == {"jql": "project = OPS", "fields": ["status"], "maxResults": 2}


def test_search_limit_stops_without_fetching_more_pages(
    client: JiraClient, mocked: responses.RequestsMock
) -> None:
    mocked.post(
        SEARCH_URL,
        json={"issues": [issue_body("OPS-1"), issue_body("OPS-2")], "nextPageToken": "p2"},
    )
    keys = [i.key for i in client.search_issues("project = OPS", limit=1)]
    assert keys == ["OPS-1"]
    assert len(mocked.calls) == 1


def test_search_stops_on_an_empty_page_even_with_a_token(
    client: JiraClient, mocked: responses.RequestsMock
) -> None:
    mocked.post(SEARCH_URL, json={"issues": [], "nextPageToken": "again"})
    assert list(client.search_issues("project = OPS")) == []
    assert len(mocked.calls) == 1


# ---- Retries and errors --------------------------------------------------------------


def test_503_is_retried_with_exponential_backoff_then_succeeds(
    client: JiraClient, mocked: responses.RequestsMock, sleeps: Sleeps
) -> None:
    mocked.get(ISSUE_URL, status=503)
    mocked.get(ISSUE_URL, status=502)
    mocked.get(ISSUE_URL, json=issue_body())

    assert client.get_issue("OPS-1").key == "OPS-1"
    # Full jitter with jitter()=0.5: half of 0.5 s, then half of 1 s.
    assert sleeps.calls == [0.25, 0.5]


def test_429_honours_retry_after_seconds(
    client: JiraClient, mocked: responses.RequestsMock, sleeps: Sleeps
) -> None:
    mocked.get(ISSUE_URL, status=429, headers={"Retry-After": "7"})
    mocked.get(ISSUE_URL, json=issue_body())

    client.get_issue("OPS-1")
    assert sleeps.calls == [7.0]


def test_retry_after_beyond_the_longest_wait_is_left_to_the_state_machine(
    sleeps: Sleeps, mocked: responses.RequestsMock
) -> None:
    # Calling again before Retry-After is up would only be throttled again.
    mocked.get(ISSUE_URL, status=429, headers={"Retry-After": "3600"})
    mocked.get(ISSUE_URL, json=issue_body())
    client = JiraClient(BASE, CREDS, sleep=sleeps, max_delay_seconds=15)
    with pytest.raises(JiraUnavailable, match="Retry-After 3600 s"):
        client.get_issue("OPS-1")
    assert sleeps.calls == []
    assert len(mocked.calls) == 1


def test_connection_errors_and_timeouts_are_retried(
    client: JiraClient, mocked: responses.RequestsMock, sleeps: Sleeps
) -> None:
    mocked.get(ISSUE_URL, body=requests.ConnectionError("refused"))
    mocked.get(ISSUE_URL, body=requests.ReadTimeout("slow"))
    mocked.get(ISSUE_URL, json=issue_body())

    assert client.get_issue("OPS-1").key == "OPS-1"
    assert len(sleeps.calls) == 2


def test_jira_unavailable_after_the_last_attempt(
    client: JiraClient, mocked: responses.RequestsMock, sleeps: Sleeps
) -> None:
    mocked.post(f"{ISSUE_URL}/comment", status=503)

    with pytest.raises(JiraUnavailable) as raised:
        client.add_comment("OPS-1", "hi")
    assert len(mocked.calls) == 3
    assert len(sleeps.calls) == 2  # no pointless sleep after the last attempt
    assert "3 attempts" in str(raised.value)


def test_404_raises_issue_not_found_without_retrying(
    client: JiraClient, mocked: responses.RequestsMock, sleeps: Sleeps
) -> None:
    mocked.get(
        ISSUE_URL,
        status=404,
        json={"errorMessages": ["Issue does not exist or you do not have permission to see it."]},
    )
    with pytest.raises(JiraIssueNotFound, match="Issue does not exist"):
        client.get_issue("OPS-1")
    assert sleeps.calls == []


@pytest.mark.parametrize("status", [400, 401, 403, 409])
def test_other_4xx_raise_rejected_with_status_and_jira_messages_not_credentials(
    client: JiraClient, mocked: responses.RequestsMock, status: int
) -> None:
    mocked.post(
        f"{ISSUE_URL}/comment",
        status=status,
        json={"errorMessages": ["Nope"], "errors": {"comment": "Comment body is not valid!"}},
    )
    with pytest.raises(JiraRequestRejected) as raised:
        client.add_comment("OPS-1", "hi")
    message = str(raised.value)
    assert not isinstance(raised.value, JiraIssueNotFound)
    assert str(status) in message
    assert "Nope" in message
    assert "comment: Comment body is not valid!" in message
    assert TOKEN not in message


def test_non_json_error_body_still_gives_a_readable_error(
    client: JiraClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(ISSUE_URL, status=400, body="<html>bad</html>")
    with pytest.raises(JiraRequestRejected, match="400"):
        client.get_issue("OPS-1")


def test_the_token_never_reaches_logs_or_reprs(
    client: JiraClient, mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    mocked.get(ISSUE_URL, status=503)
    mocked.get(ISSUE_URL, body=requests.ConnectionError(f"boom {TOKEN}"))
    mocked.get(ISSUE_URL, status=503)

    with pytest.raises(JiraUnavailable):
        client.get_issue("OPS-1")

    encoded = base64.b64encode(f"bot@acme.test:{TOKEN}".encode()).decode()
    logged = caplog.text + " ".join(str(r.__dict__) for r in caplog.records)
    assert TOKEN not in logged
    assert encoded not in logged
    assert TOKEN not in repr(CREDS)


def test_max_attempts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        JiraClient(BASE, CREDS, max_attempts=0)


# ---- Bounded by the invocation's remaining time ----------------------------------------
# A fake clock that only moves when the client waits or an attempt times out, so these
# tests check the arithmetic of a 30 s function in milliseconds.

STEP_FUNCTION_SECONDS = 30
MARGIN_SECONDS = 3.0


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Context:
    """A Lambda context whose remaining time is what the fake clock leaves."""

    def __init__(self, clock: Clock, seconds: float) -> None:
        self._clock = clock
        self._ends_at = clock.now + seconds

    def get_remaining_time_in_millis(self) -> int:
        return int((self._ends_at - self._clock.now) * 1000)


def scripted_response(status: int, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers or {})
    response._content = b"{}"
    return response


class ScriptedSession(requests.Session):
    """Plays outcomes in order; an exception first spends the attempt's whole timeout."""

    def __init__(self, clock: Clock, outcomes: list[requests.Response | Exception]) -> None:
        super().__init__()
        self._clock = clock
        self._outcomes = outcomes
        self.sent: list[tuple[str, float]] = []

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        timeout = float(kwargs["timeout"])
        self.sent.append((str(method), timeout))
        outcome = self._outcomes.pop(0) if len(self._outcomes) > 1 else self._outcomes[0]
        if isinstance(outcome, Exception):
            self._clock.now += timeout
            raise outcome
        return outcome


def bounded_client(
    clock: Clock, session: ScriptedSession, deadline: Deadline, **options: Any
) -> JiraClient:
    return JiraClient(
        BASE,
        CREDS,
        session=session,
        timeout_seconds=10.0,
        max_attempts=4,
        sleep=clock.sleep,
        jitter=lambda: 0.5,
        remaining=deadline.remaining,
        **options,
    )


def refused() -> requests.ConnectionError:
    """What requests raises when nothing listens: the request never left."""
    return requests.ConnectionError(
        MaxRetryError(None, "/", NewConnectionError(None, "Connection refused"))  # type: ignore[arg-type]
    )


def test_every_attempt_timing_out_ends_before_the_deadline_with_jira_unavailable() -> None:
    clock = Clock()
    deadline = Deadline(MARGIN_SECONDS, clock)
    session = ScriptedSession(clock, [requests.ReadTimeout("slow")])
    client = bounded_client(clock, session, deadline)

    with (
        deadline.bounded_by(Context(clock, STEP_FUNCTION_SECONDS)),
        pytest.raises(JiraUnavailable, match="no time left"),
    ):
        client.get_issue("OPS-1")

    assert clock.now <= STEP_FUNCTION_SECONDS - MARGIN_SECONDS
    # Two full attempts, then the third gets only what remains; no fourth is started.
    assert [timeout for _, timeout in session.sent] == [10.0, 10.0, 6.25]


def test_no_attempt_is_started_with_less_than_a_second_left() -> None:
    clock = Clock()
    deadline = Deadline(MARGIN_SECONDS, clock)
    session = ScriptedSession(clock, [scripted_response(200)])
    client = bounded_client(clock, session, deadline)

    with deadline.bounded_by(Context(clock, MARGIN_SECONDS + 0.5)), pytest.raises(JiraUnavailable):
        client.get_issue("OPS-1")
    assert session.sent == []


def test_a_retry_after_longer_than_the_time_left_is_not_waited_for() -> None:
    clock = Clock()
    deadline = Deadline(MARGIN_SECONDS, clock)
    session = ScriptedSession(clock, [scripted_response(429, {"Retry-After": "30"})])
    client = bounded_client(clock, session, deadline, max_delay_seconds=60)

    with (
        deadline.bounded_by(Context(clock, STEP_FUNCTION_SECONDS)),
        pytest.raises(JiraUnavailable, match="no time left to wait"),
    ):
        client.get_issue("OPS-1")

    assert clock.sleeps == []
    assert len(session.sent) == 1
    assert clock.now < 1


def test_a_retry_after_that_fits_is_waited_for_within_the_deadline() -> None:
    clock = Clock()
    deadline = Deadline(MARGIN_SECONDS, clock)
    ok = scripted_response(200)
    ok._content = json.dumps(issue_body()).encode()
    session = ScriptedSession(clock, [scripted_response(429, {"Retry-After": "5"}), ok])
    client = bounded_client(clock, session, deadline)

    with deadline.bounded_by(Context(clock, STEP_FUNCTION_SECONDS)):
        assert client.get_issue("OPS-1").key == "OPS-1"
    assert clock.sleeps == [5.0]


@pytest.mark.parametrize(
    "lost",
    [
        requests.ReadTimeout("no answer"),
        requests.ConnectionError("Connection aborted: RemoteDisconnected"),
    ],
    ids=["read-timeout", "connection-broken-after-sending"],
)
def test_a_comment_post_that_may_have_reached_jira_is_not_resent(lost: Exception) -> None:
    clock = Clock()
    session = ScriptedSession(clock, [lost, scripted_response(201)])
    client = bounded_client(clock, session, Deadline(MARGIN_SECONDS, clock))

    with pytest.raises(JiraUnavailable) as raised:
        client.add_comment("OPS-1", "Approval needed")

    assert session.sent == [("POST", 10.0)]
    assert raised.value.may_have_applied is True
    assert clock.sleeps == []


def test_a_transition_post_that_timed_out_reading_is_not_resent(
    mocked: responses.RequestsMock, sleeps: Sleeps
) -> None:
    mocked.get(ISSUE_URL, json=issue_body(status="Awaiting Approval"))
    mocked.get(TRANSITIONS_URL, json=TRANSITIONS)
    posted = mocked.post(TRANSITIONS_URL, body=requests.ReadTimeout("no answer"))
    client = JiraClient(BASE, CREDS, max_attempts=3, sleep=sleeps, jitter=lambda: 0.5)

    with pytest.raises(JiraUnavailable) as raised:
        client.transition_to("OPS-1", "Approved")
    assert posted.call_count == 1
    assert raised.value.may_have_applied is True


@pytest.mark.parametrize(
    "unsent",
    [requests.ConnectTimeout("connect timed out"), refused()],
    ids=["connect-timeout", "connection-refused"],
)
def test_a_post_that_never_connected_is_retried(unsent: Exception) -> None:
    clock = Clock()
    created = scripted_response(201)
    created._content = b'{"id": "10100"}'
    session = ScriptedSession(clock, [unsent, created])
    client = bounded_client(clock, session, Deadline(MARGIN_SECONDS, clock))

    assert client.add_comment("OPS-1", "Approval needed") == "10100"
    assert [method for method, _ in session.sent] == ["POST", "POST"]


def test_a_search_post_is_read_only_and_retried_after_a_read_timeout(
    client: JiraClient, mocked: responses.RequestsMock
) -> None:
    mocked.post(SEARCH_URL, body=requests.ReadTimeout("slow"))
    mocked.post(SEARCH_URL, json={"issues": [issue_body("OPS-1")], "isLast": True})

    assert [i.key for i in client.search_issues("project = OPS")] == ["OPS-1"]
