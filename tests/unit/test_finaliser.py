"""The finaliser's rules against in-memory ports: races and Jira failures in milliseconds."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from jira_workflow.domain.errors import JiraTransitionUnavailable, JiraUnavailable
from jira_workflow.domain.finalisation import (
    OPEN_STATES,
    EndedExecution,
    ExecutionEnd,
    closing_reason,
    reason_of_cause,
)
from jira_workflow.domain.requests import TERMINAL_STATES, RequestRecord, RequestState
from jira_workflow.services.finalise import Finaliser

MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:wf"
NOW = "2026-11-28T10:00:00.000Z"


@dataclass
class FakeTable:
    records: dict[str, RequestRecord] = field(default_factory=dict)
    markers: set[tuple[str, str, str]] = field(default_factory=set)
    tokens: set[tuple[str, str]] = field(default_factory=set)
    # Written by "someone else" just before our conditional close is evaluated.
    write_before_close: RequestRecord | None = None

    def get_request(self, issue_key: str, execution_name: str) -> RequestRecord | None:
        record = self.records.get(issue_key)  # one request per issue is enough here
        return record if record is not None and record.execution_name == execution_name else None

    def close_if_open(self, issue_key: str, execution_name: str, cause: str, now: str) -> bool:
        if self.write_before_close is not None:
            self.records[issue_key] = self.write_before_close
        record = self.records.get(issue_key)
        if record is None or record.execution_name != execution_name or record.is_terminal:
            return False
        self.records[issue_key] = replace(
            record, state=RequestState.FAILED, failure_cause=cause, updated_at=now
        )
        return True

    def claim_once(self, issue_key: str, execution_name: str, marker: str, now: str) -> bool:
        record = self.records.get(issue_key)
        key = (issue_key, execution_name, marker)
        if record is None or record.execution_name != execution_name or key in self.markers:
            return False
        self.markers.add(key)
        return True

    def release_once(self, issue_key: str, execution_name: str, marker: str) -> None:
        self.markers.discard((issue_key, execution_name, marker))

    def delete_token(self, issue_key: str, execution_name: str) -> None:
        self.tokens.discard((issue_key, execution_name))


@dataclass
class FakeExecutions:
    known: dict[str, EndedExecution] = field(default_factory=dict)

    def describe(self, execution_arn: str) -> EndedExecution | None:
        return self.known.get(execution_arn)


@dataclass
class FakeJira:
    comments: list[tuple[str, str]] = field(default_factory=list)
    moved: list[tuple[str, str]] = field(default_factory=list)
    comment_error: Exception | None = None
    transition_error: Exception | None = None

    def add_comment(self, issue_key: str, text: str) -> str:
        if self.comment_error is not None:
            raise self.comment_error
        self.comments.append((issue_key, text))
        return str(len(self.comments))

    def transition_to(self, issue_key: str, name: str) -> bool:
        if self.transition_error is not None:
            raise self.transition_error
        self.moved.append((issue_key, name))
        return True


def record(
    state: RequestState = RequestState.RUNNING, execution: str = "OPS-1-d1"
) -> RequestRecord:
    return RequestRecord("OPS-1", state, execution, "2026-11-28T09:00:00.000Z", NOW)


def ended(status: str = "ABORTED", execution: str = "OPS-1-d1", **kw: str) -> EndedExecution:
    arn = f"arn:aws:states:eu-west-1:123456789012:execution:wf:{execution}"
    return EndedExecution(execution, arn, status, issue_key=kw.pop("issue_key", "OPS-1"), **kw)


@pytest.fixture
def table() -> FakeTable:
    return FakeTable(records={"OPS-1": record()}, tokens={("OPS-1", "OPS-1-d1")})


@pytest.fixture
def jira() -> FakeJira:
    return FakeJira()


@pytest.fixture
def executions() -> FakeExecutions:
    return FakeExecutions()


@pytest.fixture
def finaliser(table: FakeTable, jira: FakeJira, executions: FakeExecutions) -> Finaliser:
    return Finaliser(table, executions, lambda: jira, lambda: NOW, MACHINE, "Failed")


@pytest.mark.parametrize("state", OPEN_STATES)
@pytest.mark.parametrize("status", ["FAILED", "TIMED_OUT", "ABORTED"])
def test_every_open_state_closes_on_every_closing_end(
    finaliser: Finaliser, table: FakeTable, jira: FakeJira, state: RequestState, status: str
) -> None:
    table.records["OPS-1"] = record(state)

    result = finaliser.finalise(ended(status))

    assert (result.closed, result.told) == (True, True)
    assert table.records["OPS-1"].state is RequestState.FAILED
    assert table.tokens == set()
    assert len(jira.comments) == 1
    assert jira.moved == [("OPS-1", "Failed")]


@pytest.mark.parametrize("state", sorted(TERMINAL_STATES - {RequestState.FAILED}))
def test_an_outcome_stands_and_nobody_is_told(
    finaliser: Finaliser, table: FakeTable, jira: FakeJira, state: RequestState
) -> None:
    table.records["OPS-1"] = record(state)

    result = finaliser.finalise(ended("FAILED"))

    assert result.left == f"outcome {state.value} stands"
    assert table.records["OPS-1"].state is state
    assert jira.comments == []


def test_succeeded_or_running_executions_close_nothing(
    finaliser: Finaliser, table: FakeTable, jira: FakeJira
) -> None:
    for status in ("SUCCEEDED", "RUNNING", "PENDING_REDRIVE"):
        assert finaliser.finalise(ended(status)).left == f"execution {status}"
    assert table.records["OPS-1"].state is RequestState.RUNNING
    assert jira.comments == []


def test_outcome_written_between_read_and_close_is_kept(
    finaliser: Finaliser, table: FakeTable, jira: FakeJira
) -> None:
    table.write_before_close = record(RequestState.FULFILLED)

    result = finaliser.finalise(ended("TIMED_OUT"))

    assert not result.closed
    assert table.records["OPS-1"].state is RequestState.FULFILLED
    assert jira.comments == []


def test_newer_request_written_between_read_and_close_is_not_touched(
    finaliser: Finaliser, table: FakeTable, jira: FakeJira
) -> None:
    table.write_before_close = record(RequestState.RECEIVED, execution="OPS-1-d2")

    result = finaliser.finalise(ended("ABORTED"))

    assert result.left == "removed meanwhile"
    assert table.records["OPS-1"].state is RequestState.RECEIVED
    assert jira.comments == []


def test_record_failures_own_comment_is_not_repeated(
    finaliser: Finaliser, table: FakeTable, jira: FakeJira
) -> None:
    table.records["OPS-1"] = record(RequestState.FAILED)
    table.markers.add(("OPS-1", "OPS-1-d1", "failure_comment_at"))

    result = finaliser.finalise(ended("FAILED"))

    assert (result.closed, result.told) == (False, False)
    assert jira.comments == []


def test_jira_down_gives_the_claim_back_so_the_redelivered_event_comments_once(
    finaliser: Finaliser, table: FakeTable, jira: FakeJira
) -> None:
    jira.comment_error = JiraUnavailable("Jira answered 503")
    with pytest.raises(JiraUnavailable):
        finaliser.finalise(ended("ABORTED"))
    assert table.records["OPS-1"].state is RequestState.FAILED

    jira.comment_error = None
    retried = finaliser.finalise(ended("ABORTED"))
    again = finaliser.finalise(ended("ABORTED"))

    assert (retried.closed, retried.told) == (False, True)
    assert (again.closed, again.told) == (False, False)
    assert len(jira.comments) == 1


def test_a_comment_that_may_have_been_posted_is_not_posted_again(
    finaliser: Finaliser, jira: FakeJira
) -> None:
    jira.comment_error = JiraUnavailable("no answer", may_have_applied=True)
    with pytest.raises(JiraUnavailable):
        finaliser.finalise(ended("ABORTED"))
    jira.comment_error = None

    assert finaliser.finalise(ended("ABORTED")).told is False
    assert jira.comments == []


def test_a_status_jira_refuses_does_not_fail_the_close(
    finaliser: Finaliser, jira: FakeJira
) -> None:
    jira.transition_error = JiraTransitionUnavailable("no way to Failed")

    result = finaliser.finalise(ended("TIMED_OUT"))

    assert (result.closed, result.told) == (True, True)


def test_an_event_without_input_reads_the_issue_key_from_step_functions(
    finaliser: Finaliser, table: FakeTable, executions: FakeExecutions
) -> None:
    event = ended("ABORTED", issue_key="")
    executions.known[event.arn] = replace(event, issue_key="OPS-1")

    assert finaliser.on_status_change(event, MACHINE).closed
    assert table.records["OPS-1"].state is RequestState.FAILED


def test_an_execution_whose_issue_cannot_be_read_is_left(
    finaliser: Finaliser, table: FakeTable
) -> None:
    result = finaliser.on_status_change(ended("ABORTED", issue_key=""), MACHINE)

    assert result.left == "the execution's input names no issue"
    assert table.records["OPS-1"].state is RequestState.RUNNING


# ---- what people read ----------------------------------------------------------------


def test_reasons_carry_no_aws_identifiers_or_tracebacks() -> None:
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:wf-record-failure"
    failed = ended("FAILED", error="Lambda.Unknown", cause=f"Traceback ... {arn}")
    stopped = ended("ABORTED", cause=f"stopped by ops after {arn} hung\nsecond line")

    failed_reason = closing_reason(failed, ExecutionEnd.FAILED)
    stopped_reason = closing_reason(stopped, ExecutionEnd.ABORTED)

    assert failed_reason == (
        "an internal step failed (Lambda.Unknown); the operators have the details"
    )
    assert stopped_reason == "the workflow was stopped: stopped by ops after <AWS resource> hung"
    assert closing_reason(ended("ABORTED"), ExecutionEnd.ABORTED) == "the workflow was stopped"


def test_the_reason_part_of_a_stored_cause_is_what_people_read() -> None:
    assert reason_of_cause("InvalidRequest: the issue has no summary") == (
        "the issue has no summary"
    )
    assert reason_of_cause("cancelled by operations (ann): dup") == (
        "cancelled by operations (ann): dup"
    )
