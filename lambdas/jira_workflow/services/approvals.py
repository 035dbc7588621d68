"""Decide a pending approval: the one path for the callback, the webhook and the reconciler."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jira_workflow.domain import messages
from jira_workflow.domain.errors import (
    ApprovalAlreadyDecided,
    ApprovalExpired,
    CompletionUnconfirmed,
    NoPendingApproval,
    WorkflowError,
)
from jira_workflow.domain.lifecycle import JiraNotice
from jira_workflow.domain.requests import (
    ApprovalDecision,
    CompletionRequest,
    RequestRecord,
    RequestState,
)
from jira_workflow.observability import count, logger

if TYPE_CHECKING:
    from jira_workflow.adapters.requests_table import PendingToken
    from jira_workflow.services.ports import ExecutionsPort, JiraPort, RequestStore

# A retried approval step stores a new token per attempt; the ASL makes at most this many.
MAX_TOKEN_ATTEMPTS = 8


class Approvals:
    def __init__(
        self,
        table: RequestStore,
        executions: ExecutionsPort,
        jira: Callable[[], JiraPort],
        now: Callable[[], str],
        epoch_seconds: Callable[[], int] = lambda: int(time.time()),
    ) -> None:
        self._table = table
        self._executions = executions
        self._jira = jira
        self._now = now
        self._epoch = epoch_seconds

    def decide(self, decision: ApprovalDecision) -> RequestRecord:
        """Exactly one decision wins (a conditional write), then the task is completed.

        Raises RequestNotFound, NoPendingApproval, ApprovalAlreadyDecided or
        ApprovalExpired. A completion Step Functions refused is withdrawn so the caller can
        retry; one it never answered stays recorded (CompletionUnconfirmed, a 503), and a
        retry of the same decision sends it again.
        """
        try:
            record = self.record(decision)
        except ApprovalAlreadyDecided as already:
            return self._finish_retried_decision(decision, already)
        return self.complete_recorded(record)

    def record(self, decision: ApprovalDecision) -> RequestRecord:
        """Only the conditional write: the webhook records, a role that reads tokens completes.

        Raises RequestNotFound, NoPendingApproval, ApprovalAlreadyDecided or
        ApprovalExpired (Jira is told, once, that the decision came too late).
        """
        try:
            return self._table.record_decision(decision, self._now())
        except ApprovalExpired:
            self._tell_jira_too_late(decision)
            raise

    def retried_record(
        self, decision: ApprovalDecision, already: ApprovalAlreadyDecided
    ) -> RequestRecord:
        """The winner's own retry gets its record back (its completion is sent again);
        anyone else is told who won. Raises `already`, or ApprovalExpired once it ended."""
        record = self._table.get(decision.issue_key)
        if record is None or not _is_retry_of(record, decision):
            raise already
        if record.state in (RequestState.APPROVAL_TIMED_OUT, RequestState.FAILED):
            # Had the first send been applied, the request could not have ended so.
            self._tell_jira_too_late(decision)
            raise ApprovalExpired(
                f"the request for {decision.issue_key} ended ({record.state.value}) first"
            )
        return record

    def complete_recorded(self, record: RequestRecord) -> RequestRecord:
        """Complete the task with a decision just recorded; give it back if that cannot be.

        Raises NoPendingApproval, ApprovalExpired, CompletionUnconfirmed or WorkflowError.
        """
        decision = _decision_of(record)
        token = self._table.get_token(record.issue_key)
        if token is None or token.execution_name != record.execution_name:
            self._table.withdraw_decision(record, self._now(), RequestState.AWAITING_APPROVAL)
            raise NoPendingApproval(f"no task is waiting for {record.issue_key}")
        try:
            self._complete_newest(token, record)
        except CompletionUnconfirmed:
            # No answer: SendTaskSuccess may have been applied, and withdrawing could let a
            # second, different decision win here while the execution goes on with this one.
            raise
        except ApprovalExpired:
            self._withdraw(record, RequestState.APPROVAL_TIMED_OUT)
            self._tell_jira_too_late(decision)
            raise
        except WorkflowError:
            # Step Functions answered no: the task is still open, so the decision is free.
            self._withdraw(record, RequestState.AWAITING_APPROVAL)
            raise
        self._table.delete_token(record.issue_key, record.execution_name)
        count("Decisions")
        logger.info(
            "approval decided",
            extra={"decision": decision.decision.value, "source": decision.source},
        )
        return record

    def complete_requested(self, request: CompletionRequest) -> str:
        """complete_decision's work: complete the decision the webhook recorded.

        Returns what happened. A completion without an answer stays recorded with its
        token (the reconciler's unconfirmed-completion phase finishes it), so nothing
        is raised for Lambda to retry.
        """
        record = self._table.get_request(request.issue_key, request.execution_name)
        if record is None or record.decision is None or record.decided_at != request.decided_at:
            return "nothing to complete: the decision was withdrawn or replaced"
        try:
            if request.resend:
                finished = self.finish_unconfirmed(record)
                return "completed" if finished else "nothing left to complete"
            self.complete_recorded(record)
        except WorkflowError as exc:
            return f"not completed: {exc}"
        return "completed"

    def finish_unconfirmed(self, record: RequestRecord) -> bool:
        """Send a recorded decision again while its task token is still stored.

        The token is deleted only once the completion is confirmed, so a stored token means
        the first send's outcome is unknown. Sending the same output again is harmless: a
        closed task (ApprovalExpired) means the first send was applied. False when nothing is
        left to finish: no token of the record's execution, or the decision was withdrawn.
        """
        token = self._table.get_token(record.issue_key)
        if token is None or token.execution_name != record.execution_name:
            return False
        if not self._table.mark_resending(record, self._now()):
            return False  # withdrawn meanwhile: Step Functions refused the first send
        try:
            self._complete(token.task_token, record)
        except ApprovalExpired:
            logger.info("unconfirmed completion had been applied", extra={"state": record.state})
        self._table.delete_token(record.issue_key, record.execution_name)
        count("UnconfirmedCompletionsFinished")
        return True

    def _complete_newest(self, token: PendingToken, record: RequestRecord) -> None:
        """Complete the approval with its newest token.

        A retried RequestApproval closes the task the token was issued for and stores a
        new token: a closed token is retried against the newest one. A task closed before
        its deadline with no newer token yet means the step is between attempts; the
        decision stays recorded, and the next attempt completes its own token with it.
        """
        for _ in range(MAX_TOKEN_ATTEMPTS):
            try:
                self._complete(token.task_token, record)
                return
            except ApprovalExpired:
                newest = self._table.get_token(record.issue_key)
                if (
                    newest is not None
                    and newest.execution_name == record.execution_name
                    and newest.task_token != token.task_token
                ):
                    count("DecisionsSentToRetriedApproval")
                    token = newest
                    continue
                if self._epoch() < token.approval_deadline:
                    _warn_unconfirmed(record)
                    raise CompletionUnconfirmed(
                        "the approval step is being retried; the decision stays recorded "
                        "and completes its next attempt"
                    ) from None
                raise
        raise CompletionUnconfirmed("the approval step keeps being retried; retry later")

    def _complete(self, task_token: str, record: RequestRecord) -> None:
        """Send the recorded decision; without an answer, warn and raise CompletionUnconfirmed."""
        try:
            self._executions.complete(task_token, completion_output(record))
        except CompletionUnconfirmed:
            _warn_unconfirmed(record)
            raise

    def _finish_retried_decision(
        self, decision: ApprovalDecision, already: ApprovalAlreadyDecided
    ) -> RequestRecord:
        """The winner's own retry finishes its completion; anyone else is told who won (409)."""
        record = self.retried_record(decision, already)
        if not self.finish_unconfirmed(record):
            raise already
        return record

    def _withdraw(self, record: RequestRecord, state: RequestState) -> None:
        """Give a refused decision back, unless a resend of it may have been applied."""
        if not self._table.withdraw_decision(record, self._now(), state):
            _warn_unconfirmed(record)
            raise CompletionUnconfirmed("the decision is being sent again; retry for the outcome")

    def _tell_jira_too_late(self, decision: ApprovalDecision) -> None:
        """One comment per request, however often a late decision is replayed or retried."""
        count("LateDecisions")
        record = self._table.get(decision.issue_key)
        notice = JiraNotice.LATE_DECISION
        if record is None or not self._table.claim_once(
            record.issue_key, record.execution_name, notice, self._now()
        ):
            return
        # The life cycle's own mark, not a comment's: only a request that reached the
        # approval step had an approval to close.
        ever_awaited = bool(record.approval_requested_at)
        try:
            self._jira().add_comment(
                decision.issue_key, messages.late_decision(decision, record.state, ever_awaited)
            )
        except WorkflowError as exc:
            # Best effort: the caller's 410 must not turn into a 5xx because Jira is down.
            self._table.release_once(record.issue_key, record.execution_name, notice)
            logger.warning("could not tell Jira about a late decision", extra={"error": str(exc)})


def completion_output(record: RequestRecord) -> dict[str, Any]:
    """The task's output, built from the record so every resend carries the same decision."""
    return {
        "decision": record.decision.value if record.decision else "",
        "actor": record.actor,
        "comment": record.decision_comment,
        "source": record.decision_source,
        "decidedAt": record.decided_at,
    }


def _decision_of(record: RequestRecord) -> ApprovalDecision:
    """The decision as recorded: what a late decision's Jira comment names."""
    assert record.decision is not None, "only a recorded decision is completed"
    return ApprovalDecision(
        issue_key=record.issue_key,
        decision=record.decision,
        actor=record.actor,
        comment=record.decision_comment,
        source=record.decision_source,
        decided_at=record.decided_at,
    )


def _is_retry_of(record: RequestRecord, decision: ApprovalDecision) -> bool:
    # The actor and its note too: a different approver agreeing is not a retry, and is
    # told who won (callers sharing one decide key differ by the note in the comment).
    return (
        record.decision is decision.decision
        and record.actor == decision.actor
        and record.decision_comment == decision.comment
    )


def _warn_unconfirmed(record: RequestRecord) -> None:
    # Never the task token: only what an operator needs to find the request.
    count("UnconfirmedCompletions")
    logger.warning(
        "decision recorded but its task completion is unconfirmed; it will be sent again",
        extra={"issue_key": record.issue_key, "execution": record.execution_name},
    )
