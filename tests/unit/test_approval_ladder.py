"""Every rung of the decision ladder (services/approvals.py), raced over in-memory ports."""

from __future__ import annotations

import pytest

from jira_workflow.domain.errors import (
    ApprovalAlreadyDecided,
    ApprovalExpired,
    CompletionUnconfirmed,
    NoPendingApproval,
    RequestNotFound,
    TaskCompletionFailed,
)
from jira_workflow.domain.lifecycle import Event
from jira_workflow.domain.requests import ApprovalDecision, Decision, RequestState
from jira_workflow.models.settings import Settings
from jira_workflow.models.tasks import ApprovalInput
from jira_workflow.services.approvals import Approvals
from jira_workflow.services.steps import WorkflowSteps
from tests.support.fakes import (
    FakeExecutions,
    FakeJiraComments,
    InMemoryRequests,
    NoAnswer,
    closed_task,
    jira_down,
)

NOW = "2026-11-29T12:00:00Z"
EPOCH = 1_795_000_000
KEY = "OPS-1"
NAME = "OPS-1-delivery"
APPROVE = ApprovalDecision(KEY, Decision.APPROVED, "Carol Lead", comment="ok")
REJECT = ApprovalDecision(KEY, Decision.REJECTED, "Dana")


class Ports:
    def __init__(self) -> None:
        self.table = InMemoryRequests()
        self.executions = FakeExecutions()
        self.jira = FakeJiraComments()
        self.clock = EPOCH

    def approvals(self) -> Approvals:
        return Approvals(
            self.table, self.executions, lambda: self.jira, lambda: NOW, lambda: self.clock
        )

    def steps(self) -> WorkflowSteps:
        return WorkflowSteps(
            Settings.from_env({"APPROVAL_TIMEOUT_SECONDS": "3600"}),
            self.table,
            None,  # type: ignore[arg-type]  # the approval step reads no artifacts
            lambda: None,  # type: ignore[arg-type,return-value]
            lambda: self.jira,
            lambda: NOW,
            lambda: self.clock,
            finish_decision=self.approvals().finish_unconfirmed,
        )

    def running(self, name: str = NAME) -> None:
        self.table.claim(KEY, name, "delivery", "payload", NOW)
        self.table.advance(KEY, name, Event.STARTED, NOW)

    def awaiting(self, token: str = "token-1", deadline_in: int = 3600) -> None:  # noqa: S107
        """As RequestApproval leaves it: token stored, request awaiting, Jira asked."""
        self.running()
        self.table.store_token(KEY, NAME, token, EPOCH + deadline_in + 60, EPOCH + deadline_in)
        self.table.advance(KEY, NAME, Event.APPROVAL_REQUESTED, NOW, approval_requested_at=NOW)

    def state(self) -> RequestState:
        record = self.table.get(KEY)
        assert record is not None
        return record.state

    def late_comments(self) -> list[str]:
        return [c for c in self.jira.on(KEY) if "was not applied" in c]


def approval_task(token: str) -> ApprovalInput:
    return ApprovalInput.from_event({"issueKey": KEY, "executionName": NAME, "taskToken": token})


@pytest.fixture
def ports() -> Ports:
    return Ports()


# ---- who may decide ---------------------------------------------------------------------


def test_a_decision_for_an_issue_without_a_request_is_not_found(ports: Ports) -> None:
    with pytest.raises(RequestNotFound):
        ports.approvals().decide(APPROVE)


def test_a_request_not_yet_awaiting_approval_has_nothing_to_decide(ports: Ports) -> None:
    ports.running()

    with pytest.raises(NoPendingApproval):
        ports.approvals().decide(APPROVE)

    assert ports.state() is RequestState.RUNNING
    assert ports.jira.comments == []


def test_the_first_decision_completes_the_task_and_clears_the_token(ports: Ports) -> None:
    ports.awaiting()

    record = ports.approvals().decide(APPROVE)

    assert (record.state, record.actor) == (RequestState.APPROVED, "Carol Lead")
    assert [token for token, _ in ports.executions.sent] == ["token-1"]
    assert ports.executions.sent[0][1]["decision"] == "approved"
    assert ports.table.get_token(KEY) is None


def test_a_rejection_waits_in_rejecting_until_it_is_reported(ports: Ports) -> None:
    ports.awaiting()

    ports.approvals().decide(REJECT)

    assert ports.state() is RequestState.REJECTING


def test_a_second_decision_is_told_who_won(ports: Ports) -> None:
    ports.awaiting()
    ports.approvals().decide(REJECT)

    with pytest.raises(ApprovalAlreadyDecided) as lost:
        ports.approvals().decide(APPROVE)

    assert (lost.value.decision, lost.value.actor) == ("rejected", "Dana")
    assert len(ports.executions.sent) == 1


def test_a_decision_without_a_stored_token_is_withdrawn(ports: Ports) -> None:
    ports.awaiting()
    del ports.table.tokens[KEY]

    with pytest.raises(NoPendingApproval):
        ports.approvals().decide(APPROVE)

    record = ports.table.get(KEY)
    assert record is not None
    assert (record.state, record.decision) == (RequestState.AWAITING_APPROVAL, None)


# ---- what Step Functions answers ------------------------------------------------------


def test_no_answer_keeps_the_decision_and_the_winners_retry_sends_it_again(
    ports: Ports,
) -> None:
    ports.awaiting()
    ports.executions.faults.plan("complete", NoAnswer())

    with pytest.raises(CompletionUnconfirmed):
        ports.approvals().decide(APPROVE)
    assert ports.state() is RequestState.APPROVED
    record = ports.approvals().decide(APPROVE)  # the caller's retry

    assert record.decision is Decision.APPROVED
    assert [token for token, _ in ports.executions.sent] == ["token-1", "token-1"]
    assert ports.table.get_token(KEY) is None


def test_a_refused_completion_frees_the_decision_for_a_retry(ports: Ports) -> None:
    ports.awaiting()
    ports.executions.faults.plan("complete", TaskCompletionFailed("refused"))

    with pytest.raises(TaskCompletionFailed):
        ports.approvals().decide(APPROVE)
    assert ports.state() is RequestState.AWAITING_APPROVAL
    ports.approvals().decide(REJECT)

    assert ports.state() is RequestState.REJECTING


def test_a_refusal_after_a_resend_began_keeps_the_decision(ports: Ports) -> None:
    ports.awaiting()
    approvals = ports.approvals()

    def resend_lands_first() -> None:
        record = ports.table.get(KEY)
        assert record is not None
        ports.table.mark_resending(record, NOW)

    ports.executions.faults.before("complete", resend_lands_first)
    ports.executions.faults.plan("complete", TaskCompletionFailed("refused"))

    with pytest.raises(CompletionUnconfirmed):
        approvals.decide(APPROVE)

    assert ports.state() is RequestState.APPROVED


def test_a_decision_after_the_approval_timed_out_is_too_late_and_jira_is_told_once(
    ports: Ports,
) -> None:
    ports.awaiting(deadline_in=-1)  # the attempt's TimeoutSeconds has passed
    ports.executions.faults.plan("complete", closed_task(), closed_task(), closed_task())

    for decision in (APPROVE, APPROVE, REJECT):
        with pytest.raises(ApprovalExpired):
            ports.approvals().decide(decision)

    assert ports.state() is RequestState.APPROVAL_TIMED_OUT
    assert len(ports.late_comments()) == 1
    assert "after its approval had closed" in ports.late_comments()[0]


# ---- case 5: late decisions on closed requests ----------------------------------------


def test_replayed_decisions_on_a_request_that_never_awaited_post_one_honest_comment(
    ports: Ports,
) -> None:
    ports.running()
    ports.table.advance(KEY, NAME, Event.FAILED, NOW, failure_cause="InvalidRequest: no summary")

    for _ in range(3):
        with pytest.raises(ApprovalExpired):
            ports.approvals().decide(APPROVE)

    told = ports.late_comments()
    assert len(told) == 1
    assert "before it ever waited for a decision" in told[0]
    assert "approval had closed" not in told[0]


def test_an_approval_comment_alone_does_not_make_a_request_one_that_awaited(
    ports: Ports,
) -> None:
    # The life cycle's own mark says whether approval was reached, not a comment's claim.
    ports.running()
    ports.table.update(KEY, NAME, NOW, approval_comment_at=NOW)
    ports.table.advance(KEY, NAME, Event.FAILED, NOW)

    with pytest.raises(ApprovalExpired):
        ports.approvals().decide(APPROVE)

    assert "before it ever waited" in ports.late_comments()[0]


def test_jira_down_while_telling_a_late_decision_leaves_it_for_the_next_replay(
    ports: Ports,
) -> None:
    ports.running()
    ports.table.advance(KEY, NAME, Event.FAILED, NOW)
    ports.jira.faults.plan("add_comment", jira_down())

    for _ in range(3):
        with pytest.raises(ApprovalExpired):
            ports.approvals().decide(APPROVE)

    assert len(ports.late_comments()) == 1


# ---- case 6: a decision while the approval step is retried ----------------------------


def test_a_decision_reaching_a_retried_approval_completes_with_the_newest_token(
    ports: Ports,
) -> None:
    ports.awaiting(token="token-1")

    def retried_step_stores_its_token() -> None:
        ports.table.store_token(KEY, NAME, "token-2", EPOCH + 3660, EPOCH + 3600)

    ports.executions.faults.before("complete", retried_step_stores_its_token)
    ports.executions.faults.plan("complete", closed_task(), None)

    record = ports.approvals().decide(APPROVE)

    assert record.state is RequestState.APPROVED
    assert [token for token, _ in ports.executions.sent] == ["token-1", "token-2"]
    assert ports.late_comments() == []
    assert ports.table.get_token(KEY) is None


def test_a_decision_between_approval_attempts_is_completed_by_the_next_attempt(
    ports: Ports,
) -> None:
    ports.awaiting(token="token-1")
    ports.executions.faults.plan("complete", closed_task())

    with pytest.raises(CompletionUnconfirmed):  # 503: the caller may retry; nothing is lost
        ports.approvals().decide(APPROVE)
    assert ports.state() is RequestState.APPROVED
    assert ports.late_comments() == []

    answer = ports.steps().request_approval(approval_task("token-2"))

    assert answer == {"awaiting": False}
    assert [token for token, _ in ports.executions.sent] == ["token-1", "token-2"]
    assert ports.executions.sent[1][1]["actor"] == "Carol Lead"
    assert ports.state() is RequestState.APPROVED
    assert not any("Approval needed" in c for c in ports.jira.on(KEY)[1:])


def test_a_retried_attempt_whose_send_gets_no_answer_still_waits_for_the_resend(
    ports: Ports,
) -> None:
    ports.awaiting(token="token-1")
    ports.executions.faults.plan("complete", closed_task(), NoAnswer())
    with pytest.raises(CompletionUnconfirmed):
        ports.approvals().decide(APPROVE)

    ports.steps().request_approval(approval_task("token-2"))  # must not fail the task

    pending = ports.table.get_token(KEY)
    assert pending is not None and pending.task_token == "token-2"
    assert ports.state() is RequestState.APPROVED
    assert ports.approvals().decide(APPROVE).decision is Decision.APPROVED  # caller's retry
    assert [token for token, _ in ports.executions.sent] == ["token-1", "token-2", "token-2"]


def test_a_retried_approval_without_a_decision_waits_as_before(ports: Ports) -> None:
    ports.running()
    steps = ports.steps()

    for token in ("token-1", "token-2"):
        steps.request_approval(approval_task(token))

    assert ports.state() is RequestState.AWAITING_APPROVAL
    pending = ports.table.get_token(KEY)
    assert pending is not None
    assert (pending.task_token, pending.approval_deadline) == ("token-2", EPOCH + 3600)
    assert sum("Approval needed" in c for c in ports.jira.on(KEY)) == 1
    assert ports.executions.sent == []
