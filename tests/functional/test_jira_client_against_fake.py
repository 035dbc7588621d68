"""The real Jira client against the fake Jira Cloud over HTTP on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
import requests

from jira_workflow.adapters.jira import JiraClient, JiraCredentials
from jira_workflow.domain.errors import (
    JiraIssueNotFound,
    JiraRequestRejected,
    JiraTransitionUnavailable,
    JiraUnavailable,
)
from local_cloud.fake_jira.fake import FakeJira
from local_cloud.fake_jira.model import DEFAULT_STATUSES, RUNBOOK_TRANSITIONS, Workflow

EMAIL = "bot@acme.test"
TOKEN = "fake-token-for-tests"


@pytest.fixture
def jira() -> Iterator[FakeJira]:
    with FakeJira(email=EMAIL, api_token=TOKEN) as fake:
        yield fake
    # The fake's own answers must match the spec too, or these tests prove nothing.
    assert fake.response_problems == []


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(jira: FakeJira, sleeps: list[float]) -> JiraClient:
    return JiraClient(
        jira.url,
        JiraCredentials(EMAIL, TOKEN),
        timeout_seconds=5,
        max_attempts=3,
        sleep=sleeps.append,
        jitter=lambda: 1.0,
    )


def test_comment_is_stored_as_adf_and_reads_back_as_text(
    jira: FakeJira, client: JiraClient
) -> None:
    key = jira.create_issue("OPS", "Laptop")

    comment_id = client.add_comment(key, "Approval needed\nby the team lead")

    assert comment_id
    assert jira.comments(key) == ["Approval needed\nby the team lead"]
    assert jira.issue(key).comments[0].body["type"] == "doc"


def test_get_issue_reads_every_field_the_workflow_uses(jira: FakeJira, client: JiraClient) -> None:
    key = jira.create_issue(
        "OPS",
        "Laptop",
        issue_type="Task",
        status="Submitted",
        description="16GB RAM\nUSB-C",
        labels=["hardware"],
        reporter="Alice Reporter",
        priority="High",
    )

    issue = client.get_issue(key)

    assert (issue.key, issue.status, issue.issue_type, issue.project_key) == (
        key,
        "Submitted",
        "Task",
        "OPS",
    )
    assert issue.summary == "Laptop"
    assert issue.description == "16GB RAM\nUSB-C"
    assert issue.labels == ("hardware",)
    assert issue.reporter_name == "Alice Reporter"
    assert issue.reporter_account_id
    assert issue.priority == "High"


def test_changelog_shows_who_moved_the_issue_and_when(jira: FakeJira, client: JiraClient) -> None:
    jira.workflow = Workflow.build(
        DEFAULT_STATUSES, [*RUNBOOK_TRANSITIONS, ("Undo", ("Approved",), "Awaiting Approval")]
    )
    key = jira.create_issue("OPS", "Laptop", status="Awaiting Approval")
    jira.transition(key, "Approved", actor="Bob Approver")
    jira.transition(key, "Awaiting Approval", actor="Undo Uma")
    jira.transition(key, "Approved", actor="Carol Lead")

    issue = client.get_issue(key, fields=("status",), expand=("changelog",))
    plain = client.get_issue(key, fields=("status",))

    last = issue.last_move_into(issue.status)
    assert last is not None
    assert last.author_name == "Carol Lead"
    assert last.author_account_id == jira.user("Carol Lead").account_id
    assert last.created == jira.issue(key).histories[-1].created.replace(
        microsecond=jira.issue(key).histories[-1].created.microsecond // 1000 * 1000
    )
    assert [c.author_name for c in issue.status_changes] == [
        "Carol Lead",
        "Undo Uma",
        "Bob Approver",
    ]
    assert plain.status_changes == ()  # only when asked: it is not free


def test_transition_by_name(jira: FakeJira, client: JiraClient) -> None:
    key = jira.create_issue("OPS", "Laptop", status="Submitted")
    assert client.transition_to(key, "Request approval") is True
    assert jira.status(key) == "Awaiting Approval"


def test_transition_by_target_status_and_again_is_a_no_op(
    jira: FakeJira, client: JiraClient
) -> None:
    key = jira.create_issue("OPS", "Laptop", status="Approved")

    assert client.transition_to(key, "done") is True
    assert client.transition_to(key, "Done") is False
    assert jira.status(key) == "Done"


def test_unknown_transition_names_the_available_ones(jira: FakeJira, client: JiraClient) -> None:
    key = jira.create_issue("OPS", "Laptop")
    with pytest.raises(JiraTransitionUnavailable, match="Submit -> Submitted"):
        client.transition_to(key, "Teleport")


def test_unknown_issue_is_not_found(client: JiraClient) -> None:
    with pytest.raises(JiraIssueNotFound):
        client.get_issue("OPS-999")


def test_search_pages_through_every_match(jira: FakeJira, client: JiraClient) -> None:
    wanted = [jira.create_issue("OPS", f"r{i}", status="Submitted") for i in range(5)]
    jira.create_issue("OPS", "not yet", status="To Do")
    jira.create_issue("OPS", "other type", status="Submitted", issue_type="Bug")

    found = client.search_issues(
        'project in (OPS) AND issuetype in ("Service Request") AND status = "Submitted" '
        "ORDER BY created ASC",
        max_results=2,
    )

    assert [i.key for i in found] == wanted
    searches = [c for c in jira.api_calls if c[1] == "/rest/api/3/search/jql"]
    assert len(searches) == 3


def test_injected_503_is_retried_then_succeeds(
    jira: FakeJira, client: JiraClient, sleeps: list[float]
) -> None:
    key = jira.create_issue("OPS", "Laptop")
    jira.fail_next(2, status=503)

    assert client.get_issue(key).key == key
    assert len(sleeps) == 2


def test_429_retry_after_is_honoured(
    jira: FakeJira, client: JiraClient, sleeps: list[float]
) -> None:
    key = jira.create_issue("OPS", "Laptop")
    jira.fail_next(1, status=429, retry_after=4)

    client.add_comment(key, "hello")

    assert sleeps == [4.0]
    assert jira.comments(key) == ["hello"]


def test_jira_down_for_good_raises_unavailable(jira: FakeJira, client: JiraClient) -> None:
    key = jira.create_issue("OPS", "Laptop")
    jira.fail_next(3, status=503)
    with pytest.raises(JiraUnavailable):
        client.add_comment(key, "hello")
    assert jira.comments(key) == []


def test_latency_beyond_the_timeout_is_retried_then_unavailable(jira: FakeJira) -> None:
    key = jira.create_issue("OPS", "Laptop")
    jira.set_latency(0.3)
    slow_client = JiraClient(
        jira.url,
        JiraCredentials(EMAIL, TOKEN),
        timeout_seconds=0.05,
        max_attempts=2,
        sleep=lambda _: None,
    )
    with pytest.raises(JiraUnavailable):
        slow_client.get_issue(key)
    jira.set_latency(0)


def test_bad_credentials_get_401_and_no_retry(jira: FakeJira, sleeps: list[float]) -> None:
    key = jira.create_issue("OPS", "Laptop")
    wrong = JiraClient(jira.url, JiraCredentials(EMAIL, "wrong"), sleep=sleeps.append)

    with pytest.raises(JiraRequestRejected, match="401") as raised:
        wrong.get_issue(key)
    assert "wrong" not in str(raised.value)
    assert sleeps == []


def test_a_request_that_violates_the_spec_gets_400_naming_the_problem(jira: FakeJira) -> None:
    key = jira.create_issue("OPS", "Laptop")
    response = requests.post(
        f"{jira.url}/rest/api/3/issue/{key}/transitions",
        json={"transition": {"id": 31}},
        auth=(EMAIL, TOKEN),
        timeout=5,
    )
    assert response.status_code == 400
    assert any("is not of type 'string'" in m for m in response.json()["errorMessages"])
    assert jira.status(key) == "To Do"


def test_the_deprecated_search_endpoint_is_refused(jira: FakeJira) -> None:
    response = requests.post(
        f"{jira.url}/rest/api/3/search",
        json={"jql": "project = OPS"},
        auth=(EMAIL, TOKEN),
        timeout=5,
    )
    # Atlassian removed it; the committed spec holds only what we use, so it matches nothing.
    assert response.status_code == 400
    assert "POST /rest/api/3/search matches no operation" in response.text


def test_a_comment_body_that_is_not_adf_is_rejected(jira: FakeJira) -> None:
    key = jira.create_issue("OPS", "Laptop")
    response = requests.post(
        f"{jira.url}/rest/api/3/issue/{key}/comment",
        json={"body": "plain text is the v2 API"},
        auth=(EMAIL, TOKEN),
        timeout=5,
    )
    assert response.status_code == 400
    assert "ADF" in response.json()["errors"]["comment"]


def _budget(seconds: float) -> Callable[[], float]:
    """The invocation's time left, as the deadline reports it: `seconds` from now."""
    ends_at = time.monotonic() + seconds
    return lambda: ends_at - time.monotonic()


class _WaitedTimeClock:
    """An invocation's clock on which only waiting takes time, so the retry sequence
    depends on Retry-After and the budget alone, never on how loaded the machine is."""

    def __init__(self, budget_seconds: float) -> None:
        self.budget = budget_seconds
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)

    def remaining(self) -> float:
        return self.budget - sum(self.waits)


def test_unprompted_429s_are_waited_out_as_retry_after_asks_within_the_time_left(
    jira: FakeJira,
) -> None:
    key = jira.create_issue("OPS", "Laptop")
    jira.throttle(retry_after=0.5)
    clock = _WaitedTimeClock(budget_seconds=1.8)
    throttled = JiraClient(
        jira.url,
        JiraCredentials(EMAIL, TOKEN),
        max_attempts=10,
        sleep=clock.sleep,
        remaining=clock.remaining,
        min_attempt_seconds=0.2,
    )

    with pytest.raises(JiraUnavailable, match="no time left to wait and retry"):
        throttled.get_issue(key)

    # Each wait as long as Jira asked; a fourth would leave 0.3 - 0.5 s, under the minimum.
    assert clock.waits == [0.5, 0.5, 0.5]
    assert [status for *_, status in jira.api_calls] == [429] * 4
    jira.clear_faults()
    assert throttled.get_issue(key).key == key  # the throttle is off: the next call is served


def test_a_retry_after_longer_than_the_time_left_is_not_waited_for(jira: FakeJira) -> None:
    key = jira.create_issue("OPS", "Laptop")
    jira.throttle(retry_after=5)
    waits: list[float] = []
    throttled = JiraClient(
        jira.url, JiraCredentials(EMAIL, TOKEN), sleep=waits.append, remaining=_budget(3)
    )

    with pytest.raises(JiraUnavailable, match="no time left"):
        throttled.add_comment(key, "hello")

    assert waits == []
    assert len(jira.api_calls) == 1
    assert jira.comments(key) == []


def test_jira_not_answering_at_all_gives_up_before_the_invocation_ends(jira: FakeJira) -> None:
    key = jira.create_issue("OPS", "Laptop")
    jira.stop_answering(after_seconds=2)
    patient = JiraClient(
        jira.url,
        JiraCredentials(EMAIL, TOKEN),
        timeout_seconds=0.5,
        max_attempts=10,
        sleep=lambda _: None,
        remaining=_budget(1.6),
        min_attempt_seconds=0.2,
    )
    started = time.monotonic()

    with pytest.raises(JiraUnavailable):
        patient.get_issue(key)
    assert time.monotonic() - started < 1.6
    # A comment that may have reached Jira is not sent twice; this one was never applied.
    with pytest.raises(JiraUnavailable) as raised:
        JiraClient(
            jira.url, JiraCredentials(EMAIL, TOKEN), timeout_seconds=0.5, max_attempts=3
        ).add_comment(key, "hello")
    assert raised.value.may_have_applied
    jira.clear_faults()
    ends = time.monotonic() + 10
    while not any(method == "POST" for method, *_ in jira.api_calls) and time.monotonic() < ends:
        time.sleep(0.1)  # the held calls end, unanswered
    assert {status for *_, status in jira.api_calls} == {0}
    assert [method for method, *_ in jira.api_calls].count("POST") == 1
    assert jira.comments(key) == []


# ---- the bot's project permissions, enforced as Jira does -----------------------------


def test_a_bot_without_transition_issues_sees_no_transitions_and_cannot_transition(
    jira: FakeJira, client: JiraClient
) -> None:
    key = jira.create_issue("OPS", "Laptop", status="Submitted")
    jira.bot_permissions.discard("TRANSITION_ISSUES")

    assert client.list_transitions(key) == []
    with pytest.raises(JiraTransitionUnavailable, match="Transition issues permission"):
        client.transition_to(key, "Awaiting Approval")
    refused = requests.post(
        f"{jira.url}/rest/api/3/issue/{key}/transitions",
        json={"transition": {"id": "21"}},
        auth=(EMAIL, TOKEN),
        timeout=5,
    )
    assert refused.status_code == 400
    assert "permission" in refused.json()["errorMessages"][0]
    assert jira.status(key) == "Submitted"


def test_a_bot_without_add_comments_gets_403_and_no_retry(
    jira: FakeJira, client: JiraClient, sleeps: list[float]
) -> None:
    key = jira.create_issue("OPS", "Laptop")
    jira.bot_permissions.discard("ADD_COMMENTS")

    with pytest.raises(JiraRequestRejected, match=r"403.*permission to comment"):
        client.add_comment(key, "hello")
    assert sleeps == []
    assert jira.comments(key) == []


def test_a_bot_that_cannot_browse_the_project_finds_no_issue(
    jira: FakeJira, client: JiraClient
) -> None:
    key = jira.create_issue("OPS", "Laptop", status="Submitted")
    jira.bot_permissions.discard("BROWSE_PROJECTS")

    with pytest.raises(JiraIssueNotFound):
        client.get_issue(key)
    assert list(client.search_issues('status = "Submitted"')) == []
