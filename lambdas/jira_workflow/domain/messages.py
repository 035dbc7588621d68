"""What the workflow tells people in Jira. Plain text; the Jira adapter turns it into ADF."""

from __future__ import annotations

import re

from jira_workflow.domain.requests import ApprovalDecision, Decision, RequestState

MAX_REASON_LENGTH = 300
# AWS identifiers that may ride along in an error text: ARNs (role, function, table) and
# bare 12-digit account ids. People in Jira need the reason, not our account's layout.
_AWS_ARN = re.compile(r"arn:aws[a-z-]*:[^\s\"',;)]+")
_ACCOUNT_ID = re.compile(r"(?<!\d)\d{12}(?!\d)")


def approval_needed(
    issue_key: str, approve_status: str, reject_status: str, wait_seconds: int
) -> str:
    return (
        f"Approval needed for {issue_key}.\n"
        f"Move the issue to '{approve_status}' to approve it or to '{reject_status}' to "
        f"reject it. The request waits {duration(wait_seconds)} for a decision, then closes."
    )


def duration(seconds: int) -> str:
    """`45 seconds`, `1 minute`, `2 hours`, `3 days`: the largest whole unit that fits."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} hours"
    if seconds >= 60:
        return f"{seconds / 60:.1f} minutes"
    return f"{seconds} seconds"


def auto_approved(risk_score: int) -> str:
    return f"Auto-approved: risk score {risk_score} is within the auto-approval limit."


def fulfilled(fulfilment_id: str, decided_by: str) -> str:
    return f"Request fulfilled (reference {fulfilment_id}). Approved by {decided_by}."


def rejected(decided_by: str, comment: str) -> str:
    note = f"\nNote: {comment}" if comment else ""
    return f"Request rejected by {decided_by}. Nothing was provisioned.{note}"


def approval_timed_out() -> str:
    return "No decision arrived in time: the approval closed and nothing was provisioned."


def late_decision(decision: ApprovalDecision, state: RequestState, ever_awaited: bool) -> str:
    verb = "approve" if decision.decision is Decision.APPROVED else "reject"
    when = (
        "after its approval had closed"
        if ever_awaited
        else f"but it had ended ({state.value}) before it ever waited for a decision"
    )
    return (
        f"{decision.actor} tried to {verb} this request {when}; "
        "the decision was not applied. Resubmit the issue to start a new request."
    )


def failed(reason: str) -> str:
    return f"The request could not be completed: {short_reason(reason)}"


def internal_failure(error_type: str) -> str:
    """What people read for an error we did not raise on purpose; details stay in the logs."""
    return f"an internal step failed ({error_type}); the operators have the details"


def without_aws_identifiers(text: str) -> str:
    return _ACCOUNT_ID.sub("<account>", _AWS_ARN.sub("<AWS resource>", text))


def short_reason(reason: str) -> str:
    """One line, bounded, no AWS identifiers: Jira gets the reason, never a stack trace."""
    reason = without_aws_identifiers(reason)
    first_line = reason.strip().splitlines()[0] if reason.strip() else "unknown error"
    if len(first_line) <= MAX_REASON_LENGTH:
        return first_line
    return first_line[: MAX_REASON_LENGTH - 1] + "…"


def decision_refused(decision: ApprovalDecision, group: str, back_to: str) -> str:
    verb = "approve" if decision.decision is Decision.APPROVED else "reject"
    where = f" The issue was moved back to '{back_to}'." if back_to else ""
    return (
        f"{decision.actor} tried to {verb} this request by moving the issue, but only "
        f"members of the '{group}' group may decide requests; nothing was decided.{where} "
        "The request still waits for an approver."
    )
