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
    REJECTING = "REJECTING"  # decision recorded, being reported (then REJECTED)
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
class CompletionRequest:
    """A recorded decision to complete with its task token; `resend` when the winner's
    retry asks again (its first send may have been applied)."""

    issue_key: str
    execution_name: str
    decided_at: str
    resend: bool = False


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

# The request fields a rule may require, and how each one reads off a request.
REQUIRABLE_FIELDS: dict[str, str] = {
    "summary": "summary",
    "description": "description",
    "reporter": "reporter",
    "priority": "priority",
    "labels": "labels",
}
ANY = "*"


@dataclass(frozen=True)
class RequiredFields:
    """Which fields a request must have, per project and issue type.

    Written as `;`-separated rules `SCOPE=field,field`, where SCOPE is `PROJECT/Issue type`,
    `PROJECT`, `*/Issue type` or `*`; a rule without `SCOPE=` is the `*` rule. The most
    specific scope wins (project and type, then project, then type, then `*`):

        "summary"                                    every request needs a summary
        "OPS/Service Request=summary,description;*=summary"
    """

    rules: tuple[tuple[str, str, tuple[str, ...]], ...] = ((ANY, ANY, ("summary",)),)

    @classmethod
    def parse(cls, text: str) -> RequiredFields:
        """The rules `text` states; ValueError naming the first part that does not parse."""
        rules: list[tuple[str, str, tuple[str, ...]]] = []
        seen: set[tuple[str, str]] = set()
        for part in (p.strip() for p in text.split(";")):
            if not part:
                continue
            scope, _, listed = part.partition("=") if "=" in part else (ANY, "", part)
            project, _, issue_type = scope.partition("/")
            project, issue_type = project.strip(), issue_type.strip() or ANY
            names = tuple(name.strip().lower() for name in listed.split(",") if name.strip())
            if not project or any(name not in REQUIRABLE_FIELDS for name in names):
                raise ValueError(f"cannot read required-fields rule {part!r}")
            if (project, issue_type) in seen:
                raise ValueError(f"required-fields rule {part!r} repeats a scope")
            seen.add((project, issue_type))
            rules.append((project, issue_type, names))
        if not rules:
            raise ValueError("no required-fields rule given")
        return cls(rules=tuple(rules))

    def __str__(self) -> str:
        """The rules in the syntax `parse` reads."""
        return ";".join(
            f"{p}/{t}={','.join(names)}" if t != ANY else f"{p}={','.join(names)}"
            for p, t, names in self.rules
        )

    def for_request(self, project_key: str, issue_type: str) -> tuple[str, ...]:
        """The fields required of a request in that project with that issue type."""
        ranked = {(p, t): names for p, t, names in self.rules}
        for scope in (
            (project_key, issue_type),
            (project_key, ANY),
            (ANY, issue_type),
            (ANY, ANY),
        ):
            if scope in ranked:
                return ranked[scope]
        return ()


def validation_problems(
    request: JiraRequest,
    allowed_projects: tuple[str, ...],
    allowed_types: tuple[str, ...],
    required: RequiredFields | None = None,
) -> list[str]:
    """Every reason the request cannot be worked on; empty when it is valid."""
    problems = []
    rules = required or RequiredFields()
    for name in rules.for_request(request.project_key, request.issue_type):
        value = getattr(request, REQUIRABLE_FIELDS[name])
        if not (value.strip() if isinstance(value, str) else value):
            problems.append(
                f"the issue has no {name}, which {request.project_key}/{request.issue_type} "
                "requests need"
            )
    if len(request.summary) > MAX_SUMMARY_LENGTH:
        problems.append(f"the summary is longer than {MAX_SUMMARY_LENGTH} characters")
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
    """One request (one execution) as stored: the workflow's source of truth for its state.

    The `*_comment_at` fields claim each Jira notice once (see lifecycle.JiraNotice);
    `reporting` says whether Jira was told the outcome, which never changes the outcome.
    """

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
    approval_requested_at: str = ""
    approval_comment_at: str = ""
    auto_approval_comment_at: str = ""
    outcome_comment_at: str = ""
    failure_comment_at: str = ""
    late_decision_comment_at: str = ""
    completion_resent_at: str = ""
    reporting: str = ""
    reporting_problem: str = ""

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES
