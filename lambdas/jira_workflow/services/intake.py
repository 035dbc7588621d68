"""Jira webhook intake: verify, classify, and start (or decide) exactly once per delivery."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jira_workflow.adapters.artifacts import ArtifactStore, webhook_payload_key
from jira_workflow.adapters.executions import Executions
from jira_workflow.adapters.requests_table import RequestsTable
from jira_workflow.domain import trigger
from jira_workflow.domain.errors import (
    ApprovalAlreadyDecided,
    ApprovalExpired,
    BodyTooLarge,
    MalformedBody,
    NoPendingApproval,
    RequestNotFound,
)
from jira_workflow.domain.execution_name import execution_name
from jira_workflow.domain.requests import RequestState
from jira_workflow.domain.signature import verify_signature
from jira_workflow.models.jira_webhook import JiraWebhook, WebhookEvent
from jira_workflow.models.json_body import json_document
from jira_workflow.models.validation import parse_body
from jira_workflow.observability import count, logger
from jira_workflow.services.approvals import Approvals
from jira_workflow.services.approvers import ApproverCheck

DELIVERY_HEADER = "x-atlassian-webhook-identifier"
SIGNATURE_HEADER = "x-hub-signature"
MAX_DELIVERY_ID_LENGTH = 128


@dataclass(frozen=True)
class IntakeResult:
    """What the webhook answers: a status code and a small JSON body."""

    status_code: int
    body: dict[str, Any]


class Intake:
    def __init__(
        self,
        rule: trigger.TriggerRule,
        max_body_bytes: int,
        webhook_secrets: Callable[[], tuple[str, ...]],
        table: RequestsTable,
        artifacts: ArtifactStore,
        executions: Executions,
        approvals: Approvals,
        now: Callable[[], str],
        approvers: ApproverCheck | None = None,
    ) -> None:
        """`approvers`: who may decide by moving the issue; None lets anyone (tests)."""
        self._rule = rule
        self._max_body_bytes = max_body_bytes
        self._webhook_secrets = webhook_secrets
        self._table = table
        self._artifacts = artifacts
        self._executions = executions
        self._approvals = approvals
        self._now = now
        self._approvers = approvers

    def receive(self, body: bytes, headers: Mapping[str, str]) -> IntakeResult:
        """Raises BodyTooLarge, BadSignature, MalformedBody or StartThrottled."""
        if len(body) > self._max_body_bytes:
            raise BodyTooLarge(f"body is {len(body)} bytes; the limit is {self._max_body_bytes}")
        lower = {name.lower(): value for name, value in headers.items()}
        verify_signature(body, lower.get(SIGNATURE_HEADER), self._webhook_secrets())
        delivery_id = _delivery_id(lower)
        document = _json_object(body)
        event = parse_body(WebhookEvent, document)
        if event.webhook_event not in (trigger.ISSUE_CREATED, trigger.ISSUE_UPDATED):
            return _ignored(f"event {event.webhook_event} is not handled")
        webhook = parse_body(JiraWebhook, document)
        logger.append_keys(issue_key=webhook.issue.key)
        action = trigger.classify(webhook.issue_change(), self._rule)
        if isinstance(action, trigger.Ignore):
            return _ignored(action.reason)
        if isinstance(action, trigger.DecideApproval):
            return self._decide(action)
        return self._start(action.issue_key, delivery_id, body)

    def _start(self, issue_key: str, delivery_id: str, body: bytes) -> IntakeResult:
        name = execution_name(issue_key, delivery_id)
        payload_key = webhook_payload_key(issue_key, name)
        claim = self._table.claim(issue_key, name, delivery_id, payload_key, self._now())
        if not claim.claimed and not claim.same_delivery:
            return _ignored(
                "a request for this issue is already in progress",
                executionArn=claim.record.execution_arn,
                state=claim.record.state.value,
            )
        if claim.same_delivery and claim.record.state is not RequestState.RECEIVED:
            count("DuplicateDeliveries")
            return IntakeResult(200, _started(claim.record.execution_arn, issue_key, True))
        # First delivery, or a retry of one whose start did not finish: finish it.
        self._artifacts.put_raw(payload_key, body)
        started = self._executions.start(
            name,
            {"issueKey": issue_key, "payloadKey": payload_key, "deliveryId": delivery_id},
        )
        self._table.update(issue_key, name, self._now(), execution_arn=started.execution_arn)
        count("DuplicateDeliveries" if started.already_existed else "RequestsStarted")
        logger.info("request started", extra={"duplicate": started.already_existed})
        status = 200 if started.already_existed else 202
        return IntakeResult(
            status, _started(started.execution_arn, issue_key, started.already_existed)
        )

    def _decide(self, action: trigger.DecideApproval) -> IntakeResult:
        # Jira retries any 4xx/5xx a webhook gets, so outcomes that retrying cannot
        # change are answered 200 with the reason.
        if self._approvers is not None:
            refusal = self._approvers.refusal(
                action.decision, action.actor_account_id, action.change_id
            )
            if refusal is not None:
                return _ignored(refusal)
        try:
            record = self._approvals.decide(action.decision)
        except ApprovalAlreadyDecided as exc:
            return _ignored(f"already decided: {exc.decision} by {exc.actor}")
        except (NoPendingApproval, RequestNotFound, ApprovalExpired) as exc:
            return _ignored(str(exc))
        return IntakeResult(
            200,
            {"issueKey": record.issue_key, "decision": action.decision.decision.value},
        )


def _delivery_id(headers: Mapping[str, str]) -> str:
    delivery_id = headers.get(DELIVERY_HEADER, "").strip()
    if not delivery_id:
        raise MalformedBody("missing X-Atlassian-Webhook-Identifier header")
    if len(delivery_id) > MAX_DELIVERY_ID_LENGTH:
        raise MalformedBody("X-Atlassian-Webhook-Identifier header is too long")
    return delivery_id


def _json_object(body: bytes) -> dict[str, Any]:
    document = json_document(body)
    if not isinstance(document, dict):
        raise MalformedBody("body must be a JSON object")
    return document


def _ignored(reason: str, **extra: Any) -> IntakeResult:
    return IntakeResult(200, {"ignored": reason, **extra})


def _started(execution_arn: str, issue_key: str, duplicate: bool) -> dict[str, Any]:
    return {"issueKey": issue_key, "executionArn": execution_arn, "duplicate": duplicate}
