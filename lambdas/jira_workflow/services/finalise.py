"""Close the request of an execution that ended without recording its outcome, and tell
Jira once. Run by the finaliser function on Step Functions' status change events (FAILED,
TIMED_OUT, ABORTED) and by the reconciler for records whose execution is closed.

Safe to run any number of times for one execution: the close is a conditional write that
only moves an open record of that very execution, and the comment is claimed with the same
marker RecordFailure uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any, Protocol

from jira_workflow.domain import messages
from jira_workflow.domain.errors import JiraTransitionUnavailable, JiraUnavailable, WorkflowError
from jira_workflow.domain.finalisation import (
    FAILURE_COMMENT_MARKER,
    OPEN_STATES,
    EndedExecution,
    closing_error,
    closing_reason,
    reason_of_cause,
)
from jira_workflow.domain.lifecycle import JiraNotice
from jira_workflow.domain.requests import RequestRecord, RequestState
from jira_workflow.observability import count, logger

# ---- ports ----------------------------------------------------------------------------


class FinalisationTable(Protocol):
    def get_request(self, issue_key: str, execution_name: str) -> RequestRecord | None: ...

    def close_if_open(self, issue_key: str, execution_name: str, cause: str, now: str) -> bool: ...

    def claim_once(
        self, issue_key: str, execution_name: str, notice: JiraNotice, now: str
    ) -> bool: ...

    def release_once(self, issue_key: str, execution_name: str, notice: JiraNotice) -> None: ...

    def delete_token(self, issue_key: str, execution_name: str) -> None: ...


class ExecutionReader(Protocol):
    def describe(self, execution_arn: str) -> EndedExecution | None: ...


class JiraNotifier(Protocol):
    def add_comment(self, issue_key: str, text: str) -> str: ...

    def transition_to(self, issue_key: str, name: str) -> bool: ...


# ---- the use case ---------------------------------------------------------------------


@dataclass(frozen=True)
class Finalisation:
    """What finalising one ended execution did: `closed` the record, `told` Jira, or neither
    (`left`, with the reason)."""

    issue_key: str
    execution: str
    closed: bool = False
    told: bool = False
    left: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Finaliser:
    def __init__(
        self,
        table: FinalisationTable,
        executions: ExecutionReader,
        jira: Callable[[], JiraNotifier],
        now: Callable[[], str],
        state_machine_arn: str,
        failed_status: str,
    ) -> None:
        self._table = table
        self._executions = executions
        self._jira = jira
        self._now = now
        self._state_machine_arn = state_machine_arn
        self._failed_status = failed_status

    def on_status_change(self, ended: EndedExecution, state_machine_arn: str) -> Finalisation:
        """An event from EventBridge: ours only, and with the issue key read from Step
        Functions when the event left the execution's input out."""
        if state_machine_arn != self._state_machine_arn:
            return Finalisation("", ended.name, left="another state machine's execution")
        if not ended.issue_key:
            described = self._executions.describe(ended.arn)
            ended = replace(ended, issue_key=described.issue_key if described else "")
        if not ended.issue_key:
            logger.warning("ended execution names no issue", extra={"execution": ended.name})
            return Finalisation("", ended.name, left="the execution's input names no issue")
        return self.finalise(ended)

    def finalise(self, ended: EndedExecution) -> Finalisation:
        """Close the issue's request if it is this execution's and still open; then tell
        Jira, unless someone already did."""
        end = ended.end
        if end is None:
            return Finalisation(ended.issue_key, ended.name, left=f"execution {ended.status}")
        # The execution's own request: a newer one on the issue has an item of its own.
        record = self._table.get_request(ended.issue_key, ended.name)
        if record is None:
            return Finalisation(ended.issue_key, ended.name, left="no request of this execution")
        reason = closing_reason(ended, end)
        closed = False
        if record.state in OPEN_STATES:
            cause = f"{closing_error(ended, end)}: {reason}"
            closed = self._table.close_if_open(
                record.issue_key, record.execution_name, cause, self._now()
            )
            if closed:
                self._closed(record, ended)
                record = replace(record, state=RequestState.FAILED, failure_cause=cause)
            else:  # written meanwhile: read what it became
                reread = self._table.get_request(ended.issue_key, ended.name)
                if reread is None:
                    return Finalisation(ended.issue_key, ended.name, left="removed meanwhile")
                record = reread
        if record.state is not RequestState.FAILED:
            # An outcome was reached (fulfilled once is fulfilled): nothing to close or say.
            return Finalisation(
                ended.issue_key, ended.name, closed, left=f"outcome {record.state.value} stands"
            )
        told = self._tell_jira_once(record, reason_of_cause(record.failure_cause) or reason)
        return Finalisation(ended.issue_key, ended.name, closed, told)

    def _closed(self, record: RequestRecord, ended: EndedExecution) -> None:
        count("StuckRequestsClosed")
        # The full cause, for operators; Jira gets the sanitised reason.
        logger.warning(
            "request closed from its execution's end",
            extra={
                "issue_key": record.issue_key,
                "execution": record.execution_name,
                "was": record.state.value,
                "now": RequestState.FAILED.value,
                "status": ended.status,
                "error": ended.error,
                "cause": ended.cause[:4000],
            },
        )
        # A task token of a closed execution can never be answered.
        self._table.delete_token(record.issue_key, record.execution_name)

    def _tell_jira_once(self, record: RequestRecord, reason: str) -> bool:
        """One failure comment per request (RecordFailure claims the same marker)."""
        if not self._table.claim_once(
            record.issue_key, record.execution_name, FAILURE_COMMENT_MARKER, self._now()
        ):
            return False
        try:
            self._jira().add_comment(record.issue_key, messages.failed(reason))
        except WorkflowError as exc:
            if not (isinstance(exc, JiraUnavailable) and exc.may_have_applied):
                # Not posted: give the claim back so the redelivered event posts it.
                self._table.release_once(
                    record.issue_key, record.execution_name, FAILURE_COMMENT_MARKER
                )
            raise
        self._move_to_failed_status(record.issue_key)
        return True

    def _move_to_failed_status(self, issue_key: str) -> None:
        """Best effort: the comment has told people; a status Jira refuses changes nothing."""
        if not self._failed_status:
            return
        try:
            self._jira().transition_to(issue_key, self._failed_status)
        except (JiraTransitionUnavailable, JiraUnavailable) as exc:
            count("JiraTransitionsUnavailable")
            logger.warning("issue not moved to its failed status", extra={"error": str(exc)})
