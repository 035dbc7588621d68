"""Which Jira webhook deliveries start a request, decide one, or are ignored."""

from __future__ import annotations

from dataclasses import dataclass

from jira_workflow.domain.requests import ApprovalDecision, Decision
from jira_workflow.models.jira_webhook import JiraWebhook
from jira_workflow.models.settings import TriggerSettings

ISSUE_CREATED = "jira:issue_created"
ISSUE_UPDATED = "jira:issue_updated"


@dataclass(frozen=True)
class StartRequest:
    issue_key: str


@dataclass(frozen=True)
class DecideApproval:
    decision: ApprovalDecision


@dataclass(frozen=True)
class Ignore:
    reason: str


WebhookAction = StartRequest | DecideApproval | Ignore


def classify(webhook: JiraWebhook, rule: TriggerSettings) -> WebhookAction:
    """Apply the trigger rule to one delivery."""
    if webhook.webhook_event not in (ISSUE_CREATED, ISSUE_UPDATED):
        return Ignore(f"event {webhook.webhook_event} is not handled")
    issue = webhook.issue
    if rule.project_keys and issue.project_key not in rule.project_keys:
        return Ignore(f"project {issue.project_key} is not configured")
    if rule.issue_types and issue.issue_type not in rule.issue_types:
        return Ignore(f"issue type {issue.issue_type} is not configured")
    if webhook.webhook_event == ISSUE_CREATED:
        return StartRequest(issue.key)
    return _classify_status_change(webhook, rule)


def _classify_status_change(webhook: JiraWebhook, rule: TriggerSettings) -> WebhookAction:
    new_status = webhook.new_status()
    if new_status is None:
        return Ignore("no status change")
    if _same_status(new_status, rule.trigger_status):
        return StartRequest(webhook.issue.key)
    decisions = {rule.approve_status: Decision.APPROVED, rule.reject_status: Decision.REJECTED}
    for status, decision in decisions.items():
        if _same_status(new_status, status):
            return DecideApproval(
                ApprovalDecision(
                    issue_key=webhook.issue.key,
                    decision=decision,
                    actor=webhook.actor(),
                    comment=f"status changed to {new_status} in Jira",
                    source="webhook",
                )
            )
    return Ignore(f"status change to {new_status} is not a trigger")


def _same_status(actual: str, configured: str) -> bool:
    return bool(configured) and actual.casefold() == configured.casefold()
