"""The state machine's task steps, one method each (handlers are thin wrappers)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jira_workflow.adapters.adf import adf_to_text
from jira_workflow.adapters.artifacts import artifact_key
from jira_workflow.domain import messages
from jira_workflow.domain.errors import (
    InvalidRequest,
    JiraTransitionUnavailable,
    JiraUnavailable,
    TransitionRefused,
    WorkflowError,
    workflow_error_names,
)
from jira_workflow.domain.lifecycle import Event, JiraNotice, Reporting
from jira_workflow.domain.requests import (
    JiraRequest,
    RequestRecord,
    RequestState,
    is_auto_approved,
    validation_problems,
)
from jira_workflow.models.settings import Settings
from jira_workflow.models.tasks import (
    ApprovalInput,
    EnrichInput,
    FailureInput,
    FulfilInput,
    ReportInput,
    StoreInput,
    ValidateInput,
)
from jira_workflow.observability import count, logger
from jira_workflow.services.ports import ArtifactsPort, ExternalApiPort, JiraPort, RequestStore

AUTO_APPROVER = "auto-approval"
OUTCOME_EVENTS = {
    "fulfilled": Event.FULFILLED,
    "rejected": Event.REJECTION_REPORTED,
    "approval_timed_out": Event.APPROVAL_TIMED_OUT,
}
# The token outlives the approval window a little, so a late decision finds it and is
# told 410 by Step Functions rather than 404 by us.
TOKEN_GRACE_SECONDS = 3600


class WorkflowSteps:
    def __init__(
        self,
        settings: Settings,
        table: RequestStore,
        artifacts: ArtifactsPort,
        external_api: Callable[[], ExternalApiPort],
        jira: Callable[[], JiraPort],
        now: Callable[[], str],
        epoch_seconds: Callable[[], int],
        finish_decision: Callable[[RequestRecord], bool] | None = None,
    ) -> None:
        self._settings = settings
        self._table = table
        self._artifacts = artifacts
        self._external_api = external_api
        self._jira = jira
        self._now = now
        self._epoch = epoch_seconds
        # Sends a decision recorded against an earlier attempt's token (Approvals).
        self._finish_decision = finish_decision

    # ---- validate -------------------------------------------------------------------

    def validate(self, task: ValidateInput) -> dict[str, Any]:
        self._table.advance(
            task.issue_key,
            task.execution_name,
            Event.STARTED,
            self._now(),
            execution_arn=task.execution_arn,
        )
        request = request_from_payload(self._artifacts.get_json(task.payload_key))
        if request.issue_key != task.issue_key:
            raise InvalidRequest(f"payload describes {request.issue_key}, not {task.issue_key}")
        trigger = self._settings.trigger
        problems = validation_problems(
            request, trigger.project_keys, trigger.issue_types, self._settings.required_fields
        )
        if problems:
            raise InvalidRequest("; ".join(problems))
        key = self._artifacts.put_json(
            artifact_key(task.issue_key, task.execution_name, "request.json"),
            request_document(request),
        )
        return {"requestKey": key}

    # ---- enrich ---------------------------------------------------------------------

    def enrich(self, task: EnrichInput) -> dict[str, Any]:
        request = self._artifacts.get_json(task.request_key)
        enrichment = self._external_api().enrich(request)
        risk = enrichment.get("riskScore")
        if not isinstance(risk, int) or isinstance(risk, bool) or not 0 <= risk <= 100:
            raise InvalidRequest("the enrichment service returned no valid riskScore (0-100)")
        key = self._artifacts.put_json(
            artifact_key(task.issue_key, task.execution_name, "enrichment.json"), enrichment
        )
        return {"enrichmentKey": key, "riskScore": risk}

    # ---- store artifacts and apply the auto-approval rule ---------------------------

    def store(self, task: StoreInput) -> dict[str, Any]:
        manifest_key = artifact_key(task.issue_key, task.execution_name, "manifest.json")
        keys = [task.request_key, task.enrichment_key, manifest_key]
        self._artifacts.put_json(
            manifest_key,
            {
                "issueKey": task.issue_key,
                "execution": task.execution_name,
                "artifacts": keys,
                "riskScore": task.risk_score,
                "storedAt": self._now(),
            },
        )
        auto = is_auto_approved(task.risk_score, self._settings.auto_approve_max_risk)
        decided: dict[str, Any] = {}
        if auto:
            now = self._now()
            decided = {"decision": "approved", "actor": AUTO_APPROVER, "decided_at": now}
            decided["decision_source"] = "rule"
        if auto:
            self._table.advance(
                task.issue_key,
                task.execution_name,
                Event.AUTO_APPROVED,
                self._now(),
                artifact_keys=keys,
                risk_score=task.risk_score,
                **decided,
            )
            count("AutoApprovals")
            self._comment_once(
                task, JiraNotice.AUTO_APPROVAL, messages.auto_approved(task.risk_score)
            )
        else:
            self._table.update(
                task.issue_key,
                task.execution_name,
                self._now(),
                artifact_keys=keys,
                risk_score=task.risk_score,
            )
        return {"manifestKey": manifest_key, "autoApproved": auto}

    # ---- request approval (.waitForTaskToken) ---------------------------------------

    def request_approval(self, task: ApprovalInput) -> dict[str, Any]:
        timeout = self._settings.approval_timeout_seconds
        # The token first, then the record: a decision recorded meanwhile either finds
        # this token or is found below (both sides write, then read).
        self._table.store_token(
            task.issue_key,
            task.execution_name,
            task.task_token,
            expires_at=self._epoch() + timeout + TOKEN_GRACE_SECONDS,
            approval_deadline=self._epoch() + timeout,
        )
        record = self._table.advance(
            task.issue_key,
            task.execution_name,
            Event.APPROVAL_REQUESTED,
            self._now(),
            approval_requested_at=self._now(),
        )
        if record.decision is not None:
            # A retried attempt: the decision reached the previous attempt's token.
            logger.info("decision already recorded; completing this attempt with it")
            if self._finish_decision is not None:
                try:
                    self._finish_decision(record)
                except WorkflowError as exc:
                    # Failing here would fail the task; it waits instead, and the caller's
                    # retry or the reconciler sends the recorded decision to this token.
                    logger.warning("recorded decision not sent yet", extra={"error": str(exc)})
            return {"awaiting": False}
        if not task.tell_jira:
            # Jira stayed unreachable through the retries: the request waits all the same;
            # once Jira answers, operations post the approval comment or decide (runbook).
            logger.warning("awaiting approval without telling Jira: it did not answer")
            count("ApprovalsNotAnnounced")
            return {"awaiting": True}
        self.announce_approval(task.issue_key, task.execution_name)
        return {"awaiting": True}

    def announce_approval(self, issue_key: str, execution_name: str) -> None:
        """Tell Jira the request waits for a decision: move the issue where the workflow
        has it wait (if configured) and post the approval comment, once per execution."""
        trigger = self._settings.trigger
        if trigger.approval_pending_status:
            self._move_issue(issue_key, trigger.approval_pending_status)
        text = messages.approval_needed(
            issue_key,
            trigger.approve_status,
            trigger.reject_status,
            wait_seconds=self._settings.approval_timeout_seconds,
        )
        self._comment_once(_Once(issue_key, execution_name), JiraNotice.APPROVAL_NEEDED, text)

    # ---- fulfil ---------------------------------------------------------------------

    def fulfil(self, task: FulfilInput) -> dict[str, Any]:
        request = self._artifacts.get_json(task.request_key)
        # One key per execution: a retried task (or a redriven execution) fulfils once.
        result = self._external_api().fulfil(request, idempotency_key=task.execution_name)
        fulfilment_id = str(result.get("fulfilmentId") or "")
        if not fulfilment_id:
            raise InvalidRequest("the fulfilment service returned no fulfilmentId")
        key = self._artifacts.put_json(
            artifact_key(task.issue_key, task.execution_name, "fulfilment.json"), result
        )
        record = self._table.get_request(task.issue_key, task.execution_name)
        keys = [*(record.artifact_keys if record else ()), key]
        self._table.update(
            task.issue_key,
            task.execution_name,
            self._now(),
            fulfilment_id=fulfilment_id,
            artifact_keys=sorted(set(keys)),
        )
        return {"fulfilmentId": fulfilment_id, "fulfilmentKey": key}

    # ---- report the outcome to Jira -------------------------------------------------

    def report(self, task: ReportInput) -> dict[str, Any]:
        """Record the outcome first: once recorded it is final, and telling Jira (comment,
        transition) is reporting, retried by the state machine and never a failed request."""
        record = self._table.advance(
            task.issue_key,
            task.execution_name,
            OUTCOME_EVENTS[task.outcome],
            self._now(),
            reporting=Reporting.PENDING.value,
        )
        actor = record.actor or "unknown"
        trigger = self._settings.trigger
        if task.outcome == "fulfilled":
            status = trigger.done_status
            text = messages.fulfilled(task.fulfilment_id or record.fulfilment_id, actor)
        elif task.outcome == "rejected":
            status = trigger.reject_status
            text = messages.rejected(actor, record.decision_comment)
        else:
            status, text = "", messages.approval_timed_out()
            count("ApprovalsTimedOut")
        self._comment_once(task, JiraNotice.OUTCOME, text)
        if status:
            self._move_issue(task.issue_key, status)
        self._table.update(
            task.issue_key, task.execution_name, self._now(), reporting=Reporting.DONE.value
        )
        logger.info("outcome reported", extra={"outcome": task.outcome})
        return {"outcome": task.outcome, "state": record.state.value}

    # ---- failure path ---------------------------------------------------------------

    def record_failure(self, task: FailureInput) -> dict[str, Any]:
        """FAILED, unless the request already has its outcome: that stands, and only the
        reporting of it failed (`reporting: failed`, metric OutcomeReportsFailed)."""
        reason = failure_reason(task.error, task.cause)
        try:
            self._table.advance(
                task.issue_key,
                task.execution_name,
                Event.FAILED,
                self._now(),
                failure_cause=f"{task.error}: {reason}",
            )
        except TransitionRefused:
            record = self._table.get_request(task.issue_key, task.execution_name)
            if record is None:
                raise
            return self._outcome_stands(task, record, reason)
        # The full cause, for operators; people get `reason` (no AWS identifiers).
        logger.error("request failed", extra={"error": task.error, "cause": task.cause[:4000]})
        count("RequestsFailed")
        self._comment_once(task, JiraNotice.FAILURE, messages.failed(reason))
        if self._settings.trigger.failed_status:
            self._move_issue(task.issue_key, self._settings.trigger.failed_status)
        return {"state": RequestState.FAILED.value, "error": task.error}

    def _outcome_stands(
        self, task: FailureInput, record: RequestRecord, reason: str
    ) -> dict[str, Any]:
        problem = f"{task.error}: {reason}"
        if record.state is RequestState.APPROVED and record.fulfilment_id:
            # Fulfilled outside, though ReportFulfilment never recorded it: it is FULFILLED.
            record = self._table.advance(
                task.issue_key,
                task.execution_name,
                Event.FULFILLED,
                self._now(),
                reporting=Reporting.FAILED.value,
                reporting_problem=problem,
            )
        elif record.is_terminal:
            self._table.update(
                task.issue_key,
                task.execution_name,
                self._now(),
                reporting=Reporting.FAILED.value,
                reporting_problem=problem,
            )
        else:
            raise TransitionRefused(f"cannot record a failure on a {record.state.value} request")
        logger.error(
            "outcome reached but not reported",
            extra={"state": record.state.value, "error": task.error, "cause": task.cause[:4000]},
        )
        count("OutcomeReportsFailed")
        return {"state": record.state.value, "error": task.error}

    # ---- shared ---------------------------------------------------------------------

    def _move_issue(self, issue_key: str, status: str) -> bool:
        """Move the issue to `status` if its workflow allows that from where it is.

        The workflow is Jira's to define (docs/runbooks/configure-jira.md): where it has no
        such transition, the comment already posted is how people are told, and the
        request's outcome stands.
        """
        try:
            return self._jira().transition_to(issue_key, status)
        except JiraTransitionUnavailable as exc:
            logger.warning(
                "jira transition not available", extra={"status": status, "reason": str(exc)}
            )
            count("JiraTransitionsUnavailable")
            return False

    def _comment_once(self, task: Any, marker: JiraNotice, text: str) -> None:
        """Post at most once per request and notice, even when the task is retried."""
        if not self._table.claim_once(task.issue_key, task.execution_name, marker, self._now()):
            return
        try:
            self._jira().add_comment(task.issue_key, text)
        except WorkflowError as exc:
            if isinstance(exc, JiraUnavailable) and exc.may_have_applied:
                # Sent but unanswered: keeping the claim means a retry cannot post it twice.
                logger.warning(
                    "comment may have been posted; kept its claim", extra={"marker": marker}
                )
            else:
                self._table.release_once(task.issue_key, task.execution_name, marker)
            raise


@dataclass(frozen=True)
class _Once:
    """What `_comment_once` reads of a task: whose comment, in which execution."""

    issue_key: str
    execution_name: str


def request_from_payload(payload: Any) -> JiraRequest:
    """The request a webhook (or reconciler) payload describes; InvalidRequest if none."""
    try:
        issue = payload["issue"]
        fields = issue["fields"]
        return JiraRequest(
            issue_key=str(issue["key"]),
            project_key=str(fields["project"]["key"]),
            issue_type=str(fields["issuetype"]["name"]),
            summary=str(fields.get("summary") or ""),
            description=adf_to_text(fields.get("description")),
            reporter=str((fields.get("reporter") or {}).get("displayName") or ""),
            priority=str((fields.get("priority") or {}).get("name") or ""),
            labels=tuple(str(label) for label in fields.get("labels") or ()),
        )
    except KeyError as exc:
        raise InvalidRequest(f"the stored payload misses {exc}") from None
    except (TypeError, AttributeError):
        raise InvalidRequest("the stored payload has a field of the wrong type") from None


def request_document(request: JiraRequest) -> dict[str, Any]:
    return {
        "issueKey": request.issue_key,
        "projectKey": request.project_key,
        "issueType": request.issue_type,
        "summary": request.summary,
        "description": request.description,
        "reporter": request.reporter,
        "priority": request.priority,
        "labels": list(request.labels),
    }


def failure_reason(error: str, cause: str) -> str:
    """The human part of a Step Functions error cause (Lambda wraps it in JSON).

    Messages of our own error types are shown; another exception's text (a refused AWS
    call names our account and roles) is replaced by its type, and stays in the logs.
    """
    try:
        parsed = json.loads(cause)
    except (json.JSONDecodeError, TypeError):
        return messages.short_reason(cause or error)
    if not isinstance(parsed, dict):
        return messages.short_reason(cause)
    error_type = str(parsed.get("errorType") or error)
    if parsed.get("errorMessage") and error_type not in workflow_error_names():
        return messages.short_reason(messages.internal_failure(error_type))
    return messages.short_reason(str(parsed.get("errorMessage") or error))
