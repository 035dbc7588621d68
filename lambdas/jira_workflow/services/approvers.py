"""Who may decide a request by moving its issue in Jira: members of the approver group.

The webhook and the reconciler ask before deciding. A move by anyone else decides
nothing: Jira is told once per status change (a comment), and the issue is moved back to
the approval-pending status when one is configured, so it no longer reads as decided.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from jira_workflow.adapters.requests_table import RequestsTable
from jira_workflow.domain import messages
from jira_workflow.domain.errors import JiraRequestRejected, WorkflowError
from jira_workflow.domain.lifecycle import RefusalNotice
from jira_workflow.domain.requests import ApprovalDecision, RequestRecord, RequestState
from jira_workflow.observability import count, logger

if TYPE_CHECKING:
    from jira_workflow.adapters.jira import JiraClient

# Marks the request once Jira has been told about one refused status change.


class ApproverCheck:
    def __init__(
        self,
        group: str,
        pending_status: str,
        table: RequestsTable,
        jira: Callable[[], JiraClient],
        now: Callable[[], str],
    ) -> None:
        """`group` empty: every move decides (only where no approver group is configured)."""
        self._group = group
        self._pending_status = pending_status
        self._table = table
        self._jira = jira
        self._now = now

    def refusal(
        self, decision: ApprovalDecision, account_id: str | None, change_id: str
    ) -> str | None:
        """None when the move may decide; else why not, once Jira has been told.

        Only a request awaiting approval is guarded: for any other, deciding answers why
        it cannot be decided, and nobody needs telling twice.
        """
        if not self._group:
            return None
        record = self._table.get(decision.issue_key)
        if record is None or record.state is not RequestState.AWAITING_APPROVAL:
            return None
        if account_id and self._is_approver(account_id):
            return None
        count("DecisionsRefused")
        logger.info("status change by a non-approver refused", extra={"source": decision.source})
        marker = RefusalNotice(change_id)
        if self._table.claim_once(record.issue_key, record.execution_name, marker, self._now()):
            self._tell_jira(decision, record, marker)
        return f"{decision.actor} is not in the approver group {self._group}"

    def _is_approver(self, account_id: str) -> bool:
        try:
            return self._group in self._jira().user_groups(account_id)
        except JiraRequestRejected as exc:
            # No such user (404), or the bot may not read groups: refused, not decided.
            logger.warning("could not read the mover's groups", extra={"error": str(exc)})
            return False

    def _tell_jira(
        self, decision: ApprovalDecision, record: RequestRecord, marker: RefusalNotice
    ) -> None:
        """Best effort: the refusal stands whether or not Jira could be told."""
        issue_key = record.issue_key
        moved_back = False
        if self._pending_status:
            try:
                moved_back = self._jira().transition_to(issue_key, self._pending_status)
            except WorkflowError as exc:
                logger.warning("could not move a refused issue back", extra={"error": str(exc)})
        try:
            self._jira().add_comment(
                issue_key,
                messages.decision_refused(
                    decision, self._group, self._pending_status if moved_back else ""
                ),
            )
        except WorkflowError as exc:
            # Released, so the reconciler's next look at the issue tells Jira.
            self._table.release_once(issue_key, record.execution_name, marker)
            logger.warning(
                "could not tell Jira about a refused decision", extra={"error": str(exc)}
            )
