"""The operators' service with in-memory stand-ins: its clock, its defaults, its choices."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from jira_workflow.adapters.requests_table import PendingToken
from jira_workflow.clock import iso
from jira_workflow.container import Container
from jira_workflow.domain import lifecycle, messages
from jira_workflow.domain.errors import NoPendingApproval
from jira_workflow.domain.lifecycle import Event
from jira_workflow.domain.requests import RequestRecord, RequestState
from jira_workflow.models.settings import Settings
from jira_workflow.services.operations import CANCEL_ERROR, Operations

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:workflow"


class Table:
    """The calls Operations makes on RequestsTable, over two dicts."""

    def __init__(self) -> None:
        self.records: dict[str, RequestRecord] = {}
        self.tokens: dict[str, PendingToken] = {}
        self.markers: set[tuple[str, str, str]] = set()

    def get(self, issue_key: str) -> RequestRecord | None:
        return self.records.get(issue_key)

    def get_token(self, issue_key: str) -> PendingToken | None:
        return self.tokens.get(issue_key)

    def list_by_state(self, state: RequestState) -> list[RequestRecord]:
        return [r for r in self.records.values() if r.state is state]

    def update(
        self,
        issue_key: str,
        execution_name: str,
        now: str,
        state: RequestState | None = None,
        **attributes: Any,
    ) -> None:
        record = self.records[issue_key]
        assert record.execution_name == execution_name
        changes = {**attributes, "updated_at": now, **({"state": state} if state else {})}
        self.records[issue_key] = replace(record, **changes)

    def claim_once(self, issue_key: str, execution_name: str, marker: str, now: str) -> bool:
        claimed = (issue_key, execution_name, marker) not in self.markers
        self.markers.add((issue_key, execution_name, marker))
        return claimed

    def advance(
        self, issue_key: str, execution_name: str, event: Event, now: str, **attributes: Any
    ) -> RequestRecord:
        state = lifecycle.next_state(event, self.records[issue_key].state)
        self.update(issue_key, execution_name, now, state=state, **attributes)
        return self.records[issue_key]

    def delete_token(self, issue_key: str, execution_name: str) -> None:
        if issue_key in self.tokens and self.tokens[issue_key].execution_name == execution_name:
            del self.tokens[issue_key]


class StepFunctions:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def execution_arn(self, name: str) -> str:
        return f"arn:aws:states:eu-west-1:123456789012:execution:workflow:{name}"

    def fail(self, task_token: str, error: str, cause: str) -> None:
        self.calls.append(("fail", task_token, error, cause))

    def stop(self, execution_arn: str, error: str, cause: str) -> None:
        self.calls.append(("stop", execution_arn, error, cause))


class Jira:
    def __init__(self) -> None:
        self.comments: list[tuple[str, str]] = []

    def add_comment(self, issue_key: str, text: str) -> str:
        self.comments.append((issue_key, text))
        return str(len(self.comments))


@pytest.fixture
def table() -> Table:
    return Table()


@pytest.fixture
def sfn() -> StepFunctions:
    return StepFunctions()


@pytest.fixture
def jira() -> Jira:
    return Jira()


def operations(table: Table, sfn: StepFunctions, jira: Jira, **environment: str) -> Operations:
    return Operations(
        Settings.from_env(environment),
        table,  # type: ignore[arg-type]
        sfn,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]  # decisions are the functional tests' (Approvals)
        lambda: jira,  # type: ignore[arg-type,return-value]
        lambda: iso(NOW),
        lambda: int(NOW.timestamp()),
    )


def waiting(table: Table, key: str, hours_ago: float, token_expires_in: int | None = 3600) -> None:
    updated = iso(NOW.fromtimestamp(NOW.timestamp() - hours_ago * 3600, UTC))
    table.records[key] = RequestRecord(
        key, RequestState.AWAITING_APPROVAL, f"exec-{key}", updated, updated
    )
    if token_expires_in is not None:
        expires = int(NOW.timestamp()) + token_expires_in
        table.tokens[key] = PendingToken(f"token-{key}", f"exec-{key}", expires)


def test_pending_measures_age_and_token_expiry_on_the_workflows_clock(
    table: Table, sfn: StepFunctions, jira: Jira
) -> None:
    waiting(table, "OPS-1", hours_ago=30, token_expires_in=-60)
    waiting(table, "OPS-2", hours_ago=2.5, token_expires_in=None)
    waiting(table, "OPS-3", hours_ago=0.2)

    found = operations(table, sfn, jira).pending(older_than_hours=1)

    assert [(p.record.issue_key, p.age_hours) for p in found] == [("OPS-1", 30.0), ("OPS-2", 2.5)]
    assert [p.token_expired for p in found] == [True, False]
    assert found[1].token_expires_at is None


def test_approval_text_falls_back_to_the_workflows_own_defaults(
    table: Table, sfn: StepFunctions, jira: Jira
) -> None:
    defaults = Settings.from_env({})

    text = operations(table, sfn, jira).approval_text("OPS-1")

    assert text == messages.approval_needed(
        "OPS-1",
        defaults.trigger.approve_status,
        defaults.trigger.reject_status,
        defaults.approval_timeout_seconds,
    )
    assert "waits 1 day" in text


def test_resend_marks_the_comment_sent_with_the_workflows_timestamp(
    table: Table, sfn: StepFunctions, jira: Jira
) -> None:
    waiting(table, "OPS-1", hours_ago=3)

    operations(table, sfn, jira, APPROVAL_TIMEOUT_SECONDS="7200").remind("OPS-1", resend=True)

    assert jira.comments[-1][1].startswith("Approval needed for OPS-1.")
    assert "waits 2 hours" in jira.comments[-1][1]
    record = table.records["OPS-1"]
    assert record.approval_comment_at == record.updated_at == "2026-11-29T12:00:00.000Z"


def test_remind_refuses_a_request_past_approval(
    table: Table, sfn: StepFunctions, jira: Jira
) -> None:
    waiting(table, "OPS-1", hours_ago=3)
    table.records["OPS-1"] = replace(table.records["OPS-1"], state=RequestState.APPROVED)

    with pytest.raises(NoPendingApproval, match=r"OPS-1 is not awaiting approval \(APPROVED\)"):
        operations(table, sfn, jira).remind("OPS-1", resend=False)
    assert jira.comments == []


def test_cancel_fails_the_task_and_leaves_reporting_to_the_workflow(
    table: Table, sfn: StepFunctions, jira: Jira
) -> None:
    waiting(table, "OPS-1", hours_ago=3)

    operations(table, sfn, jira).cancel("OPS-1", "alice", "raised twice", force=False)

    cause = "cancelled by operations (alice): raised twice"
    assert sfn.calls == [("fail", "token-OPS-1", CANCEL_ERROR, cause)]
    assert "OPS-1" not in table.tokens
    assert table.records["OPS-1"].state is RequestState.AWAITING_APPROVAL  # the workflow moves it
    assert jira.comments == []


def test_cancel_stops_the_execution_when_the_token_is_an_older_executions(
    table: Table, sfn: StepFunctions, jira: Jira
) -> None:
    waiting(table, "OPS-1", hours_ago=3)
    table.tokens["OPS-1"] = replace(table.tokens["OPS-1"], execution_name="exec-older")

    outcome = operations(table, sfn, jira).cancel("OPS-1", "alice", "stuck", force=False)

    assert outcome == "execution stopped, request marked FAILED, Jira told"
    assert sfn.calls[0][:3] == ("stop", sfn.execution_arn("exec-OPS-1"), CANCEL_ERROR)
    record = table.records["OPS-1"]
    assert (record.state, record.updated_at) == (RequestState.FAILED, iso(NOW))
    assert table.tokens["OPS-1"].execution_name == "exec-older"  # not this request's to delete
    assert jira.comments == [("OPS-1", messages.failed("cancelled by operations (alice): stuck"))]


def test_container_builds_adapters_with_the_given_client_factory() -> None:
    asked: list[str] = []

    def clients(service: str) -> object:
        asked.append(service)
        return SimpleNamespace(service=service)

    container = Container(Settings(state_machine_arn=MACHINE), clients=clients)

    assert container.operations is container.operations
    assert asked == []  # each client is made when first called
    client: Any = container.executions._client
    assert client.service == "stepfunctions"
    assert asked == ["stepfunctions"]
