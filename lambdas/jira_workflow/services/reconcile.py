"""The safety net run on a schedule: nothing is lost when Jira gives up retrying a webhook.

Phases, each run on its own (one failing, say a Jira search, does not stop the others;
the run then raises ReconcileIncomplete after all of them, so the function's Errors alarm
fires and the schedule's retry runs them again):
1. Decisions recorded whose task completion Step Functions never confirmed (no answer to
   SendTaskSuccess, and no retry by the caller) are sent again. No Jira: first.
1b. Open requests (RECEIVED, RUNNING, AWAITING_APPROVAL, APPROVED) untouched for
   STUCK_AFTER whose execution is closed (FAILED, TIMED_OUT, ABORTED) are closed and Jira
   told, as the finaliser does on the status change event (which may have been lost).
2. Requests stuck in RECEIVED (the start failed and Jira stopped retrying) are started.
3. Issues the trigger rule starts that have no request (the webhook never arrived) are
   started: newest update first, within RECONCILE_LOOKBACK_HOURS, at most
   MAX_ISSUES_PER_RUN read per run.
4. Approvals whose Jira status already shows a decision (the webhook was lost) are
   decided, with the actor and time of the status change from the issue's changelog.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from jira_workflow.adapters.artifacts import ArtifactStore
from jira_workflow.adapters.executions import Executions
from jira_workflow.adapters.jira import JiraClient, JiraIssue
from jira_workflow.adapters.requests_table import RequestsTable
from jira_workflow.clock import iso
from jira_workflow.domain.errors import JiraUnavailable, ReconcileIncomplete, WorkflowError
from jira_workflow.domain.execution_name import reconciler_delivery_id
from jira_workflow.domain.finalisation import OPEN_STATES
from jira_workflow.domain.requests import ApprovalDecision, Decision, RequestState
from jira_workflow.domain.trigger import TriggerRule, actor_name
from jira_workflow.observability import count, logger
from jira_workflow.services.approvals import Approvals
from jira_workflow.services.approvers import ApproverCheck
from jira_workflow.services.finalise import Finaliser
from jira_workflow.services.start import RequestStart, RequestStarter

STUCK_AFTER = timedelta(minutes=5)
# Issues read from the search per run (those with a request are skipped, but count): the
# bound on one run's Jira reads and starts. Newest first, so a backlog never hides new ones.
MAX_ISSUES_PER_RUN = 200
# Recorded when the changelog does not show who moved the issue (e.g. created decided).
UNKNOWN_ACTOR = "jira (reconciled)"
# A decide() in flight records, sends and deletes the token within seconds: leave it alone
# (resending early would be safe, see RequestsTable.mark_resending, only wasted).
UNCONFIRMED_GRACE = timedelta(seconds=60)
# The states record_decision writes: where a decision waits for its completion.
DECIDED_STATES = (RequestState.APPROVED, RequestState.REJECTING)
# Lower bound of the by_state index's updated_at range: before any record.
EPOCH = "1970-01-01T00:00:00.000Z"


@dataclass
class ReconcileReport:
    started: list[str] = field(default_factory=list)
    restarted: list[str] = field(default_factory=list)
    decided: list[str] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failed_phases: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "started": self.started,
            "restarted": self.restarted,
            "decided": self.decided,
            "completed": self.completed,
            "closed": self.closed,
            "errors": self.errors,
            "failedPhases": self.failed_phases,
        }


class Reconciler:
    def __init__(
        self,
        rule: TriggerRule,
        table: RequestsTable,
        artifacts: ArtifactStore,
        executions: Executions,
        approvals: Approvals,
        jira: Callable[[], JiraClient],
        now: Callable[[], str],
        approval_timeout: timedelta,
        lookback_hours: int,
        approvers: ApproverCheck | None = None,
        *,
        finaliser: Finaliser,
    ) -> None:
        self._rule = rule
        self._table = table
        self._executions = executions
        self._starter = RequestStarter(table, artifacts, executions, now)
        self._approvals = approvals
        self._jira = jira
        self._now = now
        # A decision older than the approval timeout belongs to a task that is closed
        # either way; the bound also keeps the query on REJECTED (only grows) short.
        self._unconfirmed_lookback = approval_timeout
        # Older issues in the trigger status are left alone: after a deploy, the first run
        # does not start every issue that ever sat there.
        self._lookback_hours = lookback_hours
        # Who may decide by moving the issue (None: anyone, as before approver groups).
        self._approvers = approvers
        self._finaliser = finaliser

    def run(self) -> ReconcileReport:
        """Run every phase; raises ReconcileIncomplete (with the report) if any failed."""
        report = ReconcileReport()
        phases: tuple[tuple[str, Callable[[ReconcileReport], None]], ...] = (
            ("finish_unconfirmed_completions", self._finish_unconfirmed_completions),
            ("close_ended_executions", self._close_ended_executions),
            ("restart_stuck", self._restart_stuck),
            ("start_missing", self._start_missing),
            ("decide_from_jira_status", self._decide_from_jira_status),
        )
        for name, phase in phases:
            try:
                phase(report)
            except Exception as exc:  # one phase's failure must not cost the others their run
                report.failed_phases.append(f"{name} ({type(exc).__name__})")
                count("ReconcilePhaseFailures")
                logger.exception("reconcile phase failed", extra={"phase": name})
        count("ReconcilerStarts", len(report.started) + len(report.restarted))
        logger.info("reconciled", extra=report.as_dict())
        if report.failed_phases:
            raise ReconcileIncomplete(*report.failed_phases, report=report.as_dict())
        return report

    def _start_missing(self, report: ReconcileReport) -> None:
        jql = self._rule.search_jql(self._lookback_hours)
        for issue in self._jira().search_issues(jql, limit=MAX_ISSUES_PER_RUN):
            if not self._rule.starts_request(
                issue.project_key, issue.issue_type, issue.status, issue.status_id
            ):
                continue  # the search and the rule are one rule; this guards their wording
            if self._table.get(issue.key) is not None:
                continue  # webhooks own resubmissions; only never-seen issues are ours
            try:
                self._start(issue)
                report.started.append(issue.key)
            except WorkflowError as exc:
                report.errors.append(f"{issue.key}: {exc}")

    def _start(self, issue: JiraIssue) -> None:
        delivery = reconciler_delivery_id(issue.key, self._now()[:10])
        start = RequestStart.of(issue.key, delivery)
        if not self._starter.claim(start).claimed:
            return
        self._starter.launch(start, payload_from_issue(issue))

    def _restart_stuck(self, report: ReconcileReport) -> None:
        cutoff = iso(datetime.fromisoformat(self._now()) - STUCK_AFTER)
        for record in self._table.list_by_state(RequestState.RECEIVED):
            if record.updated_at > cutoff:
                continue  # its webhook may still be starting it
            try:
                started = self._starter.launch(RequestStart.of_record(record), None)
            except WorkflowError as exc:
                report.errors.append(f"{record.issue_key}: {exc}")
                continue
            if started.closed:
                # Its execution ran and ended without the record hearing of it: nothing
                # to restart; closing the record is finalisation's work, not a start.
                report.errors.append(
                    f"{record.issue_key}: execution {record.execution_name} already "
                    f"ended ({started.status})"
                )
                continue
            report.restarted.append(record.issue_key)

    def _close_ended_executions(self, report: ReconcileReport) -> None:
        """Open records whose execution has ended: the status change event never closed them
        (lost, or its function failed). Before restart_stuck, which would otherwise keep
        "restarting" a RECEIVED record whose execution is long closed."""
        cutoff = iso(datetime.fromisoformat(self._now()) - STUCK_AFTER)
        for state in OPEN_STATES:
            for record in self._table.list_by_state(state, updated_between=(EPOCH, cutoff)):
                arn = record.execution_arn or self._executions.execution_arn(record.execution_name)
                try:
                    ended = self._executions.describe(arn)
                    if ended is None or ended.end is None:
                        continue  # not started yet (restart_stuck's), or still running
                    ended = replace(ended, issue_key=record.issue_key)
                    if self._finaliser.finalise(ended).closed:
                        report.closed.append(record.issue_key)
                except WorkflowError as exc:
                    report.errors.append(f"{record.issue_key}: {exc}")

    def _decide_from_jira_status(self, report: ReconcileReport) -> None:
        for record in self._table.list_by_state(RequestState.AWAITING_APPROVAL):
            try:
                issue = self._jira().get_issue(
                    record.issue_key, fields=("status",), expand=("changelog",)
                )
                decision = self._rule.decision_for(issue.status, issue.status_id)
                if decision is None:
                    continue
                decided = _decision_from_changelog(issue, decision)
                if self._refused(issue, decided, report):
                    continue
                self._approvals.decide(decided)
                report.decided.append(record.issue_key)
            except JiraUnavailable:
                raise  # Jira is down: fail the phase rather than wait out every record
            except WorkflowError as exc:
                report.errors.append(f"{record.issue_key}: {exc}")

    def _refused(
        self, issue: JiraIssue, decided: ApprovalDecision, report: ReconcileReport
    ) -> bool:
        """Whether the move into the decided status was not an approver's (Jira is told)."""
        if self._approvers is None:
            return False
        change = issue.last_move_into(issue.status)
        refusal = self._approvers.refusal(
            decided,
            change.author_account_id if change else None,
            change.history_id if change else "",
        )
        if refusal is not None:
            report.errors.append(f"{issue.key}: {refusal}")
        return refusal is not None

    def _finish_unconfirmed_completions(self, report: ReconcileReport) -> None:
        now = datetime.fromisoformat(self._now())
        window = (iso(now - self._unconfirmed_lookback), iso(now - UNCONFIRMED_GRACE))
        for state in DECIDED_STATES:
            # Newest first: a busy day can hold more decisions than one page, and the
            # recent ones are those whose task can still be completed.
            records = self._table.list_by_state(state, updated_between=window, newest_first=True)
            for record in records:
                if record.decision is None:
                    continue
                try:
                    if self._approvals.finish_unconfirmed(record):
                        report.completed.append(record.issue_key)
                except WorkflowError as exc:
                    report.errors.append(f"{record.issue_key}: {exc}")


def _decision_from_changelog(issue: JiraIssue, decision: Decision) -> ApprovalDecision:
    """Who moved the issue into its decided status, and when, as its changelog says."""
    change = issue.last_move_into(issue.status)
    if change is None:
        actor, decided_at = UNKNOWN_ACTOR, ""
    else:
        actor = actor_name(change.author_name, change.author_account_id)
        decided_at = iso(change.created) if change.created is not None else ""
    return ApprovalDecision(
        issue_key=issue.key,
        decision=decision,
        actor=actor,
        comment=f"Jira shows {issue.status}; the webhook for it never arrived",
        source="reconciler",
        decided_at=decided_at,
    )


def payload_from_issue(issue: JiraIssue) -> dict[str, Any]:
    """A webhook-shaped payload, so validation reads one format whoever started it."""
    return {
        "webhookEvent": "reconciler:issue_found",
        "issue": {
            "key": issue.key,
            "fields": {
                "project": {"key": issue.project_key},
                "issuetype": {"name": issue.issue_type},
                "status": {"name": issue.status},
                "summary": issue.summary,
                "description": issue.description,
                "labels": list(issue.labels),
                "reporter": {"displayName": issue.reporter_name or ""},
                "priority": {"name": issue.priority or ""},
            },
        },
    }
