"""The request's life cycle: every event, the states it may move, and where to.

This table is the one statement of the rules. The DynamoDB adapter renders each event's
sources and guard as its ConditionExpression, and the in-memory table of the unit tests
evaluates the same guard in Python, so the two cannot drift apart.

Terminal states are final: no event leads out of one (a step retried after the outcome may
repeat it, which changes nothing). Telling Jira about an outcome is *reporting*, tracked
apart from the state, so a Jira failure after FULFILLED never makes the request FAILED.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from jira_workflow.domain.requests import TERMINAL_STATES, RequestState

S = RequestState
ACTIVE_STATES = tuple(s for s in RequestState if s not in TERMINAL_STATES)


class Event(StrEnum):
    STARTED = "started"  # ValidateRequest runs
    AUTO_APPROVED = "auto_approved"  # StoreArtifacts applied the auto-approval rule
    APPROVAL_REQUESTED = "approval_requested"  # RequestApproval stored its task token
    APPROVED = "approved"  # a person's approval won
    REJECTED = "rejected"  # a person's rejection won
    DECISION_WITHDRAWN = "decision_withdrawn"  # Step Functions refused the completion
    DECISION_TOO_LATE = "decision_too_late"  # the task had closed (timed out)
    FULFILLED = "fulfilled"  # ReportFulfilment
    REJECTION_REPORTED = "rejection_reported"  # ReportRejection
    APPROVAL_TIMED_OUT = "approval_timed_out"  # ReportApprovalTimeout
    FAILED = "failed"  # RecordFailure, or the execution closed without an outcome


@dataclass(frozen=True)
class Guard:
    """What must hold of the record besides its state: attributes set, or not set."""

    present: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()

    def allows(self, attributes: Mapping[str, object]) -> bool:
        def is_set(name: str) -> bool:
            return attributes.get(name) not in (None, "", ())

        return all(is_set(n) for n in self.present) and not any(is_set(n) for n in self.absent)


NO_GUARD = Guard()
# Set while a recorded decision is being sent to Step Functions again: it may have been
# applied, so it must never be withdrawn.
COMPLETION_RESENT = "completion_resent_at"

# event -> {state it may move from: state it moves to}
TRANSITIONS: Mapping[Event, Mapping[RequestState, RequestState]] = {
    Event.STARTED: {S.RECEIVED: S.RUNNING, S.RUNNING: S.RUNNING},
    Event.AUTO_APPROVED: {S.RUNNING: S.APPROVED, S.APPROVED: S.APPROVED},
    # A retried RequestApproval may find the decision already recorded: it keeps it.
    Event.APPROVAL_REQUESTED: {
        S.RUNNING: S.AWAITING_APPROVAL,
        S.AWAITING_APPROVAL: S.AWAITING_APPROVAL,
        S.APPROVED: S.APPROVED,
        S.REJECTING: S.REJECTING,
    },
    Event.APPROVED: {S.AWAITING_APPROVAL: S.APPROVED},
    Event.REJECTED: {S.AWAITING_APPROVAL: S.REJECTING},
    Event.DECISION_WITHDRAWN: {S.APPROVED: S.AWAITING_APPROVAL, S.REJECTING: S.AWAITING_APPROVAL},
    Event.DECISION_TOO_LATE: {S.APPROVED: S.APPROVAL_TIMED_OUT, S.REJECTING: S.APPROVAL_TIMED_OUT},
    Event.FULFILLED: {S.APPROVED: S.FULFILLED, S.FULFILLED: S.FULFILLED},
    Event.REJECTION_REPORTED: {S.REJECTING: S.REJECTED, S.REJECTED: S.REJECTED},
    # The task timed out: a decision recorded but never confirmed was never applied.
    Event.APPROVAL_TIMED_OUT: {
        S.AWAITING_APPROVAL: S.APPROVAL_TIMED_OUT,
        S.APPROVED: S.APPROVAL_TIMED_OUT,
        S.REJECTING: S.APPROVAL_TIMED_OUT,
        S.APPROVAL_TIMED_OUT: S.APPROVAL_TIMED_OUT,
    },
    Event.FAILED: {**{s: S.FAILED for s in ACTIVE_STATES}, S.FAILED: S.FAILED},
}

GUARDS: Mapping[Event, Guard] = {
    Event.APPROVED: Guard(absent=("decision",)),
    Event.REJECTED: Guard(absent=("decision",)),
    Event.DECISION_WITHDRAWN: Guard(present=("decision",), absent=(COMPLETION_RESENT,)),
    Event.DECISION_TOO_LATE: Guard(present=("decision",), absent=(COMPLETION_RESENT,)),
    # Fulfilled outside is fulfilled: RecordFailure records FULFILLED (reporting failed).
    Event.FAILED: Guard(absent=("fulfilment_id",)),
}


class IllegalTransition(Exception):
    """The event cannot move a request in that state (a bug, or a record changed meanwhile)."""


def sources(event: Event) -> tuple[RequestState, ...]:
    """The states `event` may move a request from, in a stable order."""
    return tuple(s for s in RequestState if s in TRANSITIONS[event])


def guard(event: Event) -> Guard:
    return GUARDS.get(event, NO_GUARD)


def single_target(event: Event) -> RequestState | None:
    """The state `event` always leads to, or None when that depends on where it starts."""
    targets = set(TRANSITIONS[event].values())
    return targets.pop() if len(targets) == 1 else None


def next_state(event: Event, state: RequestState) -> RequestState:
    try:
        return TRANSITIONS[event][state]
    except KeyError:
        raise IllegalTransition(
            f"{event.value} cannot move a request that is {state.value}"
        ) from None


def may_happen(event: Event, state: RequestState, attributes: Mapping[str, object]) -> bool:
    return state in TRANSITIONS[event] and guard(event).allows(attributes)


def states_reaching(target: RequestState) -> tuple[RequestState, ...]:
    """Every state from which some sequence of events leads to `target` (itself included).

    For writes that name a state rather than an event (operators' tools, test set-up):
    they still never leave a terminal state.
    """
    reached = {target}
    changed = True
    while changed:
        changed = False
        for moves in TRANSITIONS.values():
            for source, destination in moves.items():
                if destination in reached and source not in reached:
                    reached.add(source)
                    changed = True
    return tuple(s for s in RequestState if s in reached)


class JiraNotice(StrEnum):
    """Each fact Jira is told once per request; the value names the record's claim field."""

    AUTO_APPROVAL = "auto_approval_comment_at"
    APPROVAL_NEEDED = "approval_comment_at"
    OUTCOME = "outcome_comment_at"
    FAILURE = "failure_comment_at"
    LATE_DECISION = "late_decision_comment_at"


@dataclass(frozen=True)
class RefusalNotice:
    """Jira told that one status change (by its changelog id) could not decide: once per
    change, so a second refused move on the same request is told too."""

    change_id: str

    @property
    def value(self) -> str:
        return f"refused_decision_comment_{self.change_id or 'unknown'}"


Notice = JiraNotice | RefusalNotice


def notice_field(notice: Notice) -> str:
    """The record field that claims `notice`."""
    return notice.value if isinstance(notice, RefusalNotice) else JiraNotice(notice).value


class Reporting(StrEnum):
    """Whether Jira has been told the request's outcome (apart from the outcome itself)."""

    NONE = ""  # no outcome yet
    PENDING = "pending"  # the outcome is recorded; the comment and transition are under way
    DONE = "done"
    FAILED = "failed"  # retries ran out: the outcome stands, Jira was not (fully) told
