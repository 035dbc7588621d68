"""What operators do to stuck approvals (docs/runbooks/stuck-approvals.md), through the
same table, executions, approvals and Jira client as the functions, with their clock and
settings: list, remind, decide on the approvers' behalf, cancel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from jira_workflow.adapters.executions import Executions
from jira_workflow.adapters.jira import JiraClient
from jira_workflow.adapters.requests_table import RequestsTable
from jira_workflow.domain import messages
from jira_workflow.domain.errors import NoPendingApproval, RequestNotFound
from jira_workflow.domain.finalisation import FAILURE_COMMENT_MARKER
from jira_workflow.domain.lifecycle import Event
from jira_workflow.domain.requests import (
    ApprovalDecision,
    Decision,
    RequestRecord,
    RequestState,
)
from jira_workflow.models.settings import Settings
from jira_workflow.services.approvals import Approvals

# The error a cancelled execution or approval task ends with (its `Error`, in the history).
CANCEL_ERROR = "OperatorCancelled"


@dataclass(frozen=True)
class PendingApproval:
    record: RequestRecord
    age_hours: float
    token_expires_at: int | None
    token_expired: bool


class Operations:
    def __init__(
        self,
        settings: Settings,
        table: RequestsTable,
        executions: Executions,
        approvals: Approvals,
        jira: Callable[[], JiraClient],
        now: Callable[[], str],
        epoch_seconds: Callable[[], int],
    ) -> None:
        self._settings = settings
        self._table = table
        self._executions = executions
        self._approvals = approvals
        self._jira = jira
        self._now = now
        self._epoch_seconds = epoch_seconds

    def pending(self, older_than_hours: float = 0.0) -> list[PendingApproval]:
        """Requests awaiting approval for at least `older_than_hours`, oldest first."""
        now = self._epoch_seconds()
        found = []
        for record in self._table.list_by_state(RequestState.AWAITING_APPROVAL):
            age = _age_hours(record.updated_at, now)
            if age < older_than_hours:
                continue
            token = self._table.get_token(record.issue_key)
            expires_at = token.expires_at if token else None
            expired = expires_at is not None and expires_at < now
            found.append(PendingApproval(record, age, expires_at, expired))
        return sorted(found, key=lambda p: p.record.updated_at)

    def approval_text(self, issue_key: str) -> str:
        """The workflow's own approval comment, with the deployment's statuses and timeout."""
        return messages.approval_needed(
            issue_key,
            self._settings.trigger.approve_status,
            self._settings.trigger.reject_status,
            wait_seconds=self._settings.approval_timeout_seconds,
        )

    def remind(self, issue_key: str, resend: bool) -> str:
        """Comment on the issue again; `resend` posts the original approval text and marks
        it sent, for an approval comment that never arrived. Returns the comment id."""
        record = self._table.get(issue_key)
        if record is None or record.state is not RequestState.AWAITING_APPROVAL:
            state = record.state.value if record else "no request"
            raise NoPendingApproval(f"{issue_key} is not awaiting approval ({state})")
        text = self.approval_text(issue_key)
        if not resend:
            text = f"Reminder: this request is still waiting for a decision.\n{text}"
        comment_id = self._jira().add_comment(issue_key, text)
        if resend:
            now = self._now()
            self._table.update(issue_key, record.execution_name, now, approval_comment_at=now)
        return comment_id

    def decide_on_behalf(
        self, issue_key: str, decision: Decision, operator: str, note: str
    ) -> RequestRecord:
        """Decide through the callback's own service (one decision wins), then leave the
        audit trail in Jira."""
        record = self._approvals.decide(
            ApprovalDecision(
                issue_key, decision, f"operations:{operator}", comment=note, source="operator"
            )
        )
        self._jira().add_comment(
            issue_key,
            f"Operations ({operator}) recorded the decision '{decision.value}' on behalf of "
            f"the approvers.\nReason: {note}",
        )
        return record

    def cancel(self, issue_key: str, operator: str, note: str, force: bool) -> str:
        """Fail the approval task, so the workflow's failure path records the reason and tells
        Jira; without a task of the request's execution, or with `force`, stop the execution
        and do both here. Returns what was done."""
        record = self._table.get(issue_key)
        if record is None or record.is_terminal:
            state = record.state.value if record else "no request"
            raise RequestNotFound(f"{issue_key} has no request to cancel ({state})")
        cause = f"cancelled by operations ({operator}): {note}"
        token = self._table.get_token(issue_key)
        if token is not None and token.execution_name == record.execution_name and not force:
            self._executions.fail(token.task_token, CANCEL_ERROR, cause)
            self._table.delete_token(issue_key, record.execution_name)
            return "approval task failed: the workflow's failure path reports to Jira"
        execution_arn = record.execution_arn or self._executions.execution_arn(
            record.execution_name
        )
        self._executions.stop(execution_arn, CANCEL_ERROR, cause)
        # Through the life cycle: a request fulfilled outside is never made FAILED.
        self._table.advance(
            issue_key, record.execution_name, Event.FAILED, self._now(), failure_cause=cause
        )
        self._table.delete_token(issue_key, record.execution_name)
        # The finaliser, on the stop's ABORTED event, may have told Jira already.
        if self._table.claim_once(
            issue_key, record.execution_name, FAILURE_COMMENT_MARKER, self._now()
        ):
            self._jira().add_comment(issue_key, messages.failed(cause))
        return "execution stopped, request marked FAILED, Jira told"


def _age_hours(timestamp: str, now_epoch_seconds: int) -> float:
    try:
        then = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    return round((now_epoch_seconds - then.timestamp()) / 3600, 1)
