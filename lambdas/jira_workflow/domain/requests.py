"""The request's life cycle and the rules that move it: pure Python, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

# Jira issue keys: project key (letter first), dash, number. Strict, because the key ends
# up in S3 keys, DynamoDB keys and JQL.
ISSUE_KEY_PATTERN = r"^[A-Z][A-Z0-9_]{0,49}-[1-9][0-9]{0,17}$"


class RequestState(StrEnum):
    RECEIVED = "RECEIVED"  # webhook accepted, execution being started
    RUNNING = "RUNNING"  # execution started: validating, enriching, storing
    AWAITING_APPROVAL = "AWAITING_APPROVAL"
    APPROVED = "APPROVED"  # decision recorded, fulfilment under way
    REJECTED = "REJECTED"
    FULFILLED = "FULFILLED"
    APPROVAL_TIMED_OUT = "APPROVAL_TIMED_OUT"
    FAILED = "FAILED"


TERMINAL_STATES = frozenset(
    {
        RequestState.REJECTED,
        RequestState.FULFILLED,
        RequestState.APPROVAL_TIMED_OUT,
        RequestState.FAILED,
    }
)


class Decision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ApprovalDecision:
    issue_key: str
    decision: Decision
    actor: str
    comment: str = ""
    source: str = "callback"  # callback | webhook | reconciler | operator
    decided_at: str = ""  # when it was taken, if earlier than recorded (Jira's changelog)


@dataclass(frozen=True)
class JiraRequest:
    """What a Jira issue asks for, as the workflow sees it."""

    issue_key: str
    project_key: str
    issue_type: str
    summary: str
    description: str = ""
    reporter: str = ""
    priority: str = ""
    labels: tuple[str, ...] = field(default_factory=tuple)


MAX_SUMMARY_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 32_000


def validation_problems(
    request: JiraRequest, allowed_projects: tuple[str, ...], allowed_types: tuple[str, ...]
) -> list[str]:
    """Every reason the request cannot be worked on; empty when it is valid."""
    problems = []
    if not request.summary.strip():
        problems.append("the issue has no summary")
    if len(request.summary) > MAX_SUMMARY_LENGTH:
        problems.append(f"the summary is longer than {MAX_SUMMARY_LENGTH} characters")
    if not request.description.strip():
        problems.append("the issue has no description: say what is requested and why")
    if len(request.description) > MAX_DESCRIPTION_LENGTH:
        problems.append(f"the description is longer than {MAX_DESCRIPTION_LENGTH} characters")
    if allowed_projects and request.project_key not in allowed_projects:
        problems.append(f"project {request.project_key} is not handled by this workflow")
    if allowed_types and request.issue_type not in allowed_types:
        problems.append(f"issue type {request.issue_type!r} is not handled by this workflow")
    return problems


def is_auto_approved(risk_score: int, max_auto_approve_risk: int) -> bool:
    """Low-risk requests skip the human decision; -1 turns auto-approval off."""
    return max_auto_approve_risk >= 0 and 0 <= risk_score <= max_auto_approve_risk


@dataclass(frozen=True)
class RequestRecord:
    """One issue's request as stored: the workflow's source of truth for its state."""

    issue_key: str
    state: RequestState
    execution_name: str
    created_at: str
    updated_at: str
    delivery_id: str = ""
    payload_key: str = ""
    execution_arn: str = ""
    decision: Decision | None = None
    actor: str = ""
    decided_at: str = ""
    decision_comment: str = ""
    decision_source: str = ""
    risk_score: int | None = None
    artifact_keys: tuple[str, ...] = ()
    fulfilment_id: str = ""
    failure_cause: str = ""
    approval_comment_at: str = ""

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES
