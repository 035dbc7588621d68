"""Jira webhook intake: verify, classify, and start (or decide) exactly once per delivery.

Each delivery is answered from its own item (adapters.deliveries): the first copy starts
(or is ignored), every other copy, concurrent or years late, gets the same answer. A
delivery older than the issue's current request, or than the window, acts on nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jira_workflow.adapters.artifacts import ArtifactStore
from jira_workflow.adapters.completions import DecisionCompletions
from jira_workflow.adapters.deliveries import Deliveries, DeliveryRecord
from jira_workflow.adapters.executions import Executions
from jira_workflow.adapters.requests_table import RequestsTable
from jira_workflow.clock import iso
from jira_workflow.domain import freshness, trigger
from jira_workflow.domain.errors import (
    ApprovalAlreadyDecided,
    ApprovalExpired,
    BodyTooLarge,
    MalformedBody,
    NoPendingApproval,
    RequestNotFound,
)
from jira_workflow.domain.requests import ApprovalDecision, RequestRecord, RequestState
from jira_workflow.domain.signature import verify_signature
from jira_workflow.models.jira_webhook import JiraWebhook, WebhookEvent
from jira_workflow.models.json_body import json_document
from jira_workflow.observability import count, logger
from jira_workflow.services.approvals import Approvals
from jira_workflow.services.approvers import ApproverCheck
from jira_workflow.services.start import RequestStart, RequestStarter

DELIVERY_HEADER = "x-atlassian-webhook-identifier"
SIGNATURE_HEADER = "x-hub-signature"
MAX_DELIVERY_ID_LENGTH = 128
# How long one copy of a delivery holds its start before another copy may take it over:
# longer than the webhook function's timeout (25 s, terraform/locals.tf), so a start still
# running is never taken over, and short enough for Jira's next retry to finish a dead one.
START_LEASE_SECONDS = 30


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
        deliveries: Deliveries,
        max_webhook_age: timedelta = freshness.DEFAULT_MAX_AGE,
        approvers: ApproverCheck | None = None,
        *,
        completions: DecisionCompletions,
    ) -> None:
        """`approvers`: who may decide by moving the issue; None lets anyone (tests)."""
        self._rule = rule
        self._max_body_bytes = max_body_bytes
        self._webhook_secrets = webhook_secrets
        self._table = table
        self._executions = executions
        self._approvals = approvals
        self._completions = completions
        self._now = now
        self._approvers = approvers
        self._deliveries = deliveries
        self._max_age = max_webhook_age
        self._starter = RequestStarter(table, artifacts, executions, now)

    def receive(self, body: bytes, headers: Mapping[str, str]) -> IntakeResult:
        """Raises BodyTooLarge, BadSignature, MalformedBody or StartThrottled."""
        if len(body) > self._max_body_bytes:
            raise BodyTooLarge(f"body is {len(body)} bytes; the limit is {self._max_body_bytes}")
        lower = {name.lower(): value for name, value in headers.items()}
        verify_signature(body, lower.get(SIGNATURE_HEADER), self._webhook_secrets())
        delivery_id = _delivery_id(lower)
        document = _json_object(body)
        event = WebhookEvent.from_document(document)
        if event.webhook_event not in (trigger.ISSUE_CREATED, trigger.ISSUE_UPDATED):
            return _ignored(f"event {event.webhook_event} is not handled")
        webhook = JiraWebhook.from_document(document)
        logger.append_keys(issue_key=webhook.issue.key)
        action = trigger.classify(webhook.issue_change(), self._rule)
        if isinstance(action, trigger.Ignore):
            return _ignored(action.reason)
        received = Received(
            sent=freshness.sent_at(webhook.timestamp), now=datetime.fromisoformat(self._now())
        )
        if isinstance(action, trigger.DecideApproval):
            return self._decide(action, received)
        return self._start(RequestStart.of(action.issue_key, delivery_id), body, received)

    def _start(self, start: RequestStart, body: bytes, received: Received) -> IntakeResult:
        """One copy of a delivery wins its item; every other copy is answered from it."""
        lease = received.epoch + START_LEASE_SECONDS
        claim = self._deliveries.claim(
            start.delivery_id,
            start.issue_key,
            start.execution_name,
            iso(received.now),
            lease,
            freshness.delivery_expiry(received.now, self._max_age),
        )
        if claim.first:
            return self._start_holding_lease(start, body, received, lease)
        return self._answer_copy(claim.record, start, body, received, lease)

    def _answer_copy(
        self,
        delivery: DeliveryRecord,
        start: RequestStart,
        body: bytes,
        received: Received,
        lease: int,
    ) -> IntakeResult:
        """A retry (or a concurrent copy) of a delivery already seen: never the issue's record,
        which may belong to a newer request by now."""
        if delivery.ignored:
            return _ignored(delivery.ignored, duplicate=True)
        if not delivery.execution_arn and self._deliveries.take_over(
            delivery, received.epoch, lease
        ):
            # The start of an earlier copy failed or was abandoned: finish it.
            return self._start_holding_lease(start, body, received, lease)
        # Started, or being started by a copy holding the lease: the execution's name is
        # the delivery's, so its ARN is known either way.
        count("DuplicateDeliveries")
        arn = delivery.execution_arn or self._executions.execution_arn(start.execution_name)
        return IntakeResult(200, _started(arn, start.issue_key, True))

    def _start_holding_lease(
        self, start: RequestStart, body: bytes, received: Received, lease: int
    ) -> IntakeResult:
        """Run by the holder of the delivery's lease only; a failure gives the lease back,
        so Jira's next retry takes it at once (the reconciler covers a retry that never comes).
        """
        try:
            return self._start_once(start, body, received)
        except Exception:
            self._deliveries.release(start.delivery_id, lease)
            raise

    def _start_once(self, start: RequestStart, body: bytes, received: Received) -> IntakeResult:
        stale = self._stale_reason(start.issue_key, received, own_execution=start.execution_name)
        if stale:
            count("StaleDeliveries")
            self._deliveries.ignored(start.delivery_id, stale)
            return _ignored(stale)
        claim = self._starter.claim(start)
        if not claim.claimed and not claim.same_delivery:
            reason = "a request for this issue is already in progress"
            self._deliveries.ignored(start.delivery_id, reason)
            return _ignored(
                reason,
                executionArn=claim.record.execution_arn,
                state=claim.record.state.value,
            )
        if claim.same_delivery and claim.record.state is not RequestState.RECEIVED:
            # An earlier copy started it, then stopped before noting it on the delivery.
            self._deliveries.started(start.delivery_id, claim.record.execution_arn)
            count("DuplicateDeliveries")
            return IntakeResult(200, _started(claim.record.execution_arn, start.issue_key, True))
        started = self._starter.launch(start, body)
        self._deliveries.started(start.delivery_id, started.execution_arn)
        if started.already_existed:
            count("DuplicateDeliveries")
            answer = _started(started.execution_arn, start.issue_key, True)
            return IntakeResult(200, {**answer, "executionStatus": started.status})
        count("RequestsStarted")
        logger.info("request started")
        return IntakeResult(202, _started(started.execution_arn, start.issue_key, False))

    def _stale_reason(
        self, issue_key: str, received: Received, own_execution: str = ""
    ) -> str | None:
        """Why a delivery is too old to act on (freshness.stale_reason), or None."""
        current = self._table.get(issue_key)
        created = (
            datetime.fromisoformat(current.created_at)
            if current is not None and current.execution_name != own_execution
            else None
        )
        return freshness.stale_reason(received.sent, received.now, self._max_age, created)

    def _decide(self, action: trigger.DecideApproval, received: Received) -> IntakeResult:
        # Jira retries any 4xx/5xx a webhook gets, so outcomes that retrying cannot
        # change are answered 200 with the reason.
        stale = self._stale_reason(action.decision.issue_key, received)
        if stale:
            count("StaleDeliveries")
            return _ignored(stale)
        if self._approvers is not None:
            refusal = self._approvers.refusal(
                action.decision, action.actor_account_id, action.change_id
            )
            if refusal is not None:
                return _ignored(refusal)
        try:
            record, resend = self._record_decision(action.decision)
        except ApprovalAlreadyDecided as exc:
            return _ignored(f"already decided: {exc.decision} by {exc.actor}")
        except (NoPendingApproval, RequestNotFound, ApprovalExpired) as exc:
            return _ignored(str(exc))
        # This role cannot read task tokens: complete_decision's can, and completes it.
        self._completions.request(record, resend=resend)
        return IntakeResult(
            200,
            {"issueKey": record.issue_key, "decision": action.decision.decision.value},
        )

    def _record_decision(self, decision: ApprovalDecision) -> tuple[RequestRecord, bool]:
        """The recorded decision, and whether it is the winner's retry (sent again)."""
        try:
            return self._approvals.record(decision), False
        except ApprovalAlreadyDecided as already:
            return self._approvals.retried_record(decision, already), True


@dataclass(frozen=True)
class Received:
    """When the delivery's event happened (its signed `timestamp`), and when it arrived."""

    sent: datetime
    now: datetime

    @property
    def epoch(self) -> int:
        return int(self.now.timestamp())


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
