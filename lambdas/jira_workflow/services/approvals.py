"""Decide a pending approval: the one path for the callback, the webhook and the reconciler."""

from __future__ import annotations

from collections.abc import Callable

from jira_workflow.adapters.executions import Executions
from jira_workflow.adapters.jira import JiraClient
from jira_workflow.adapters.requests_table import RequestsTable
from jira_workflow.domain import messages
from jira_workflow.domain.errors import ApprovalExpired, NoPendingApproval, WorkflowError
from jira_workflow.domain.requests import ApprovalDecision, RequestRecord, RequestState
from jira_workflow.observability import count, logger


class Approvals:
    def __init__(
        self,
        table: RequestsTable,
        executions: Executions,
        jira: Callable[[], JiraClient],
        now: Callable[[], str],
    ) -> None:
        self._table = table
        self._executions = executions
        self._jira = jira
        self._now = now

    def decide(self, decision: ApprovalDecision) -> RequestRecord:
        """Exactly one decision wins (a conditional write), then the task is completed.

        Raises RequestNotFound, NoPendingApproval, ApprovalAlreadyDecided or
        ApprovalExpired; a throttled completion is withdrawn so the caller can retry.
        """
        try:
            record = self._table.record_decision(decision, self._now())
        except ApprovalExpired:
            self._tell_jira_too_late(decision)
            raise
        token = self._table.get_token(decision.issue_key)
        if token is None or token.execution_name != record.execution_name:
            self._table.withdraw_decision(record, self._now(), RequestState.AWAITING_APPROVAL)
            raise NoPendingApproval(f"no task is waiting for {decision.issue_key}")
        try:
            self._executions.complete(
                token.task_token,
                {
                    "decision": decision.decision.value,
                    "actor": decision.actor,
                    "comment": decision.comment,
                    "source": decision.source,
                    "decidedAt": record.decided_at,
                },
            )
        except ApprovalExpired:
            self._table.withdraw_decision(record, self._now(), RequestState.APPROVAL_TIMED_OUT)
            self._tell_jira_too_late(decision)
            raise
        except Exception:
            self._table.withdraw_decision(record, self._now(), RequestState.AWAITING_APPROVAL)
            raise
        self._table.delete_token(decision.issue_key, record.execution_name)
        count("Decisions")
        logger.info(
            "approval decided",
            extra={"decision": decision.decision.value, "source": decision.source},
        )
        return record

    def _tell_jira_too_late(self, decision: ApprovalDecision) -> None:
        # Best effort: the caller's 410 must not turn into a 5xx because Jira is down.
        count("LateDecisions")
        try:
            self._jira().add_comment(decision.issue_key, messages.late_decision(decision))
        except WorkflowError as exc:
            logger.warning("could not tell Jira about a late decision", extra={"error": str(exc)})
