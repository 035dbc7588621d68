"""The state machine's task steps, one method each (handlers are thin wrappers)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jira_workflow.adapters.adf import adf_to_text
from jira_workflow.adapters.artifacts import ArtifactStore, artifact_key
from jira_workflow.adapters.external_api import ExternalApi
from jira_workflow.adapters.jira import JiraClient
from jira_workflow.adapters.requests_table import RequestsTable
from jira_workflow.domain import messages
from jira_workflow.domain.errors import (
    InvalidRequest,
    JiraTransitionUnavailable,
    JiraUnavailable,
    WorkflowError,
    workflow_error_names,
)
from jira_workflow.domain.requests import (
    JiraRequest,
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

AUTO_APPROVER = "auto-approval"
# Outcomes a late failure (telling Jira, say) must not turn into FAILED.
OUTCOMES_REACHED = frozenset(
    {RequestState.FULFILLED, RequestState.REJECTED, RequestState.APPROVAL_TIMED_OUT}
)
# The token outlives the approval window a little, so a late decision finds it and is
# told 410 by Step Functions rather than 404 by us.
TOKEN_GRACE_SECONDS = 3600


class WorkflowSteps:
    def __init__(
        self,
        settings: Settings,
        table: RequestsTable,
        artifacts: ArtifactStore,
        external_api: Callable[[], ExternalApi],
        jira: Callable[[], JiraClient],
        now: Callable[[], str],
        epoch_seconds: Callable[[], int],
    ) -> None:
        self._settings = settings
        self._table = table
        self._artifacts = artifacts
        self._external_api = external_api
        self._jira = jira
        self._now = now
        self._epoch = epoch_seconds

    # ---- validate -------------------------------------------------------------------

    def validate(self, task: ValidateInput) -> dict[str, Any]:
        self._table.update(
            task.issue_key,
            task.execution_name,
            self._now(),
            state=RequestState.RUNNING,
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
        self._table.update(
            task.issue_key,
            task.execution_name,
            self._now(),
            state=RequestState.APPROVED if auto else None,
            artifact_keys=keys,
            risk_score=task.risk_score,
            **decided,
        )
        if auto:
            count("AutoApprovals")
            self._comment_once(
                task, "auto_approval_comment_at", messages.auto_approved(task.risk_score)
            )
        return {"manifestKey": manifest_key, "autoApproved": auto}

    # ---- request approval (.waitForTaskToken) ---------------------------------------

    def request_approval(self, task: ApprovalInput) -> dict[str, Any]:
        timeout = self._settings.approval_timeout_seconds
        self._table.store_token(
            task.issue_key,
            task.execution_name,
            task.task_token,
            expires_at=self._epoch() + timeout + TOKEN_GRACE_SECONDS,
        )
        self._table.update(
            task.issue_key, task.execution_name, self._now(), state=RequestState.AWAITING_APPROVAL
        )
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
        self._comment_once(_Once(issue_key, execution_name), "approval_comment_at", text)

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
        record = self._table.get(task.issue_key)
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
        record = self._table.get(task.issue_key)
        actor = record.actor if record else ""
        trigger = self._settings.trigger
        if task.outcome == "fulfilled":
            state, status = RequestState.FULFILLED, trigger.done_status
            text = messages.fulfilled(task.fulfilment_id, actor or "unknown")
        elif task.outcome == "rejected":
            state, status = RequestState.REJECTED, trigger.reject_status
            text = messages.rejected(actor or "unknown", record.decision_comment if record else "")
        else:
            state, status = RequestState.APPROVAL_TIMED_OUT, ""
            text = messages.approval_timed_out()
            count("ApprovalsTimedOut")
        self._table.update(task.issue_key, task.execution_name, self._now(), state=state)
        self._comment_once(task, "outcome_comment_at", text)
        if status:
            self._move_issue(task.issue_key, status)
        logger.info("outcome reported", extra={"outcome": task.outcome})
        return {"outcome": task.outcome, "state": state.value}

    # ---- failure path ---------------------------------------------------------------

    def record_failure(self, task: FailureInput) -> dict[str, Any]:
        reason = failure_reason(task.error, task.cause)
        record = self._table.get(task.issue_key)
        if (
            record is not None
            and record.execution_name == task.execution_name
            and record.state in OUTCOMES_REACHED
        ):
            # The outcome stands (fulfilled once is fulfilled); only telling Jira failed.
            logger.error(
                "outcome reached but not reported",
                extra={
                    "state": record.state.value,
                    "error": task.error,
                    "cause": task.cause[:4000],
                },
            )
            count("OutcomeReportsFailed")
            return {"state": record.state.value, "error": task.error}
        # The full cause, for operators; people get `reason` (no AWS identifiers).
        logger.error("request failed", extra={"error": task.error, "cause": task.cause[:4000]})
        self._table.update(
            task.issue_key,
            task.execution_name,
            self._now(),
            state=RequestState.FAILED,
            failure_cause=f"{task.error}: {reason}",
        )
        count("RequestsFailed")
        self._comment_once(task, "failure_comment_at", messages.failed(reason))
        if self._settings.trigger.failed_status:
            self._move_issue(task.issue_key, self._settings.trigger.failed_status)
        return {"state": RequestState.FAILED.value, "error": task.error}

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

    def _comment_once(self, task: Any, marker: str, text: str) -> None:
        """Post at most once per execution and marker, even when the task is retried."""
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
