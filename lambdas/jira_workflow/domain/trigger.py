"""Which Jira webhook deliveries start a request, decide one, or are ignored."""

from __future__ import annotations

from dataclasses import dataclass

from jira_workflow.domain.requests import ApprovalDecision, Decision

ISSUE_CREATED = "jira:issue_created"
ISSUE_UPDATED = "jira:issue_updated"


@dataclass(frozen=True)
class TriggerRule:
    """Which Jira issues start a request and which statuses mean what.

    Empty project keys or issue types accept any; an empty status never matches.
    """

    project_keys: tuple[str, ...] = ()
    issue_types: tuple[str, ...] = ()
    trigger_status: str = "Submitted"
    approval_pending_status: str = ""
    approve_status: str = "Approved"
    reject_status: str = "Rejected"
    done_status: str = ""
    failed_status: str = ""


@dataclass(frozen=True)
class IssueChange:
    """One webhook delivery, reduced to what the trigger rule reads."""

    event: str
    issue_key: str
    project_key: str
    issue_type: str
    new_status: str | None = None  # the status the issue moved into, if it moved
    actor: str = "jira"


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


def classify(change: IssueChange, rule: TriggerRule) -> WebhookAction:
    """Apply the trigger rule to one delivery."""
    if change.event not in (ISSUE_CREATED, ISSUE_UPDATED):
        return Ignore(f"event {change.event} is not handled")
    if rule.project_keys and change.project_key not in rule.project_keys:
        return Ignore(f"project {change.project_key} is not configured")
    if rule.issue_types and change.issue_type not in rule.issue_types:
        return Ignore(f"issue type {change.issue_type} is not configured")
    if change.event == ISSUE_CREATED:
        return StartRequest(change.issue_key)
    return _classify_status_change(change, rule)


def _classify_status_change(change: IssueChange, rule: TriggerRule) -> WebhookAction:
    new_status = change.new_status
    if new_status is None:
        return Ignore("no status change")
    if _same_status(new_status, rule.trigger_status):
        return StartRequest(change.issue_key)
    decisions = {rule.approve_status: Decision.APPROVED, rule.reject_status: Decision.REJECTED}
    for status, decision in decisions.items():
        if _same_status(new_status, status):
            return DecideApproval(
                ApprovalDecision(
                    issue_key=change.issue_key,
                    decision=decision,
                    actor=change.actor,
                    comment=f"status changed to {new_status} in Jira",
                    source="webhook",
                )
            )
    return Ignore(f"status change to {new_status} is not a trigger")


def _same_status(actual: str, configured: str) -> bool:
    return bool(configured) and actual.casefold() == configured.casefold()
