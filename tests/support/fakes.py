"""In-memory implementations of the services' ports (services/ports.py), for tests/unit.

The table applies the same life cycle (domain/lifecycle.py) the DynamoDB adapter renders
as conditions, so a race driven here is the race the adapter sees. Each fake can be told
to refuse ("condition failed") or to stay silent ("no answer") on its next calls, and to
run a hook at a chosen moment, which is how an interleaving is staged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any

from jira_workflow.adapters.executions import StartedExecution
from jira_workflow.adapters.requests_table import (
    DECISION_FIELDS,
    ClaimOutcome,
    PendingToken,
)
from jira_workflow.domain import lifecycle
from jira_workflow.domain.errors import (
    ApprovalAlreadyDecided,
    ApprovalExpired,
    CompletionUnconfirmed,
    JiraUnavailable,
    NoPendingApproval,
    RequestNotFound,
    TransitionRefused,
)
from jira_workflow.domain.lifecycle import Event, JiraNotice
from jira_workflow.domain.requests import (
    ApprovalDecision,
    Decision,
    RequestRecord,
    RequestState,
)

_FIELDS = {f.name for f in fields(RequestRecord)}


class NoAnswer(Exception):
    """A call that was sent and never answered (a read timeout)."""


@dataclass
class Faults:
    """Scripted answers for a fake's next calls, by method name."""

    planned: dict[str, list[BaseException | None]] = field(default_factory=dict)
    hooks: dict[str, list[Callable[[], None]]] = field(default_factory=dict)

    def plan(self, method: str, *answers: BaseException | None) -> None:
        self.planned.setdefault(method, []).extend(answers)

    def before(self, method: str, hook: Callable[[], None]) -> None:
        """Run `hook` when `method` is next called, before it does anything."""
        self.hooks.setdefault(method, []).append(hook)

    def check(self, method: str) -> None:
        hooks = self.hooks.get(method)
        if hooks:
            hooks.pop(0)()
        planned = self.planned.get(method)
        if planned:
            answer = planned.pop(0)
            if answer is not None:
                raise answer


class InMemoryRequests:
    """The requests table: items per request, the CURRENT pointer, tokens."""

    def __init__(self) -> None:
        self.requests: dict[tuple[str, str], RequestRecord] = {}
        self.current: dict[str, str] = {}
        self.tokens: dict[str, PendingToken] = {}
        self.faults = Faults()

    # ---- reading ------------------------------------------------------------------

    def get(self, issue_key: str) -> RequestRecord | None:
        self.faults.check("get")
        name = self.current.get(issue_key)
        return self.requests.get((issue_key, name)) if name else None

    def get_request(self, issue_key: str, execution_name: str) -> RequestRecord | None:
        return self.requests.get((issue_key, execution_name))

    def history(self, issue_key: str, limit: int = 100) -> list[RequestRecord]:
        mine = [r for (key, _), r in self.requests.items() if key == issue_key]
        return sorted(mine, key=lambda r: (r.created_at, r.execution_name), reverse=True)[:limit]

    def list_by_state(
        self,
        state: RequestState,
        limit: int = 500,
        updated_between: tuple[str, str] | None = None,
        newest_first: bool = False,
    ) -> list[RequestRecord]:
        found = [r for r in self.requests.values() if r.state is state]
        if updated_between is not None:
            found = [r for r in found if updated_between[0] <= r.updated_at <= updated_between[1]]
        return sorted(found, key=lambda r: r.updated_at, reverse=newest_first)[:limit]

    # ---- writing ------------------------------------------------------------------

    def claim(
        self, issue_key: str, execution_name: str, delivery_id: str, payload_key: str, now: str
    ) -> ClaimOutcome:
        self.faults.check("claim")
        own = self.requests.get((issue_key, execution_name))
        if own is not None:
            return ClaimOutcome(own, claimed=False, same_delivery=True)
        current = self.get(issue_key)
        if current is not None and not current.is_terminal:
            return ClaimOutcome(current, claimed=False, same_delivery=False)
        record = RequestRecord(
            issue_key=issue_key,
            state=RequestState.RECEIVED,
            execution_name=execution_name,
            delivery_id=delivery_id,
            payload_key=payload_key,
            created_at=now,
            updated_at=now,
        )
        self.requests[(issue_key, execution_name)] = record
        self.current[issue_key] = execution_name
        return ClaimOutcome(record, claimed=True, same_delivery=False)

    def advance(
        self, issue_key: str, execution_name: str, event: Event, now: str, **attributes: Any
    ) -> RequestRecord:
        self.faults.check("advance")
        return self._transition(issue_key, execution_name, event, now, attributes)

    def update(
        self,
        issue_key: str,
        execution_name: str,
        now: str,
        state: RequestState | None = None,
        **attributes: Any,
    ) -> None:
        self.faults.check("update")
        record = self._own(issue_key, execution_name)
        if state is not None and record.state not in lifecycle.states_reaching(state):
            raise TransitionRefused(f"{record.state.value} cannot become {state.value}")
        changes = {**_typed(attributes), "updated_at": now}
        if state is not None:
            changes["state"] = state
        self.requests[(issue_key, execution_name)] = replace(record, **changes)

    def claim_once(self, issue_key: str, execution_name: str, notice: JiraNotice, now: str) -> bool:
        self.faults.check("claim_once")
        record = self._own(issue_key, execution_name)
        if getattr(record, notice.value):
            return False
        claimed: dict[str, Any] = {notice.value: now}
        self.requests[(issue_key, execution_name)] = replace(record, **claimed)
        return True

    def release_once(self, issue_key: str, execution_name: str, notice: JiraNotice) -> None:
        record = self._own(issue_key, execution_name)
        released: dict[str, Any] = {notice.value: ""}
        self.requests[(issue_key, execution_name)] = replace(record, **released)

    def record_decision(self, decision: ApprovalDecision, now: str) -> RequestRecord:
        self.faults.check("record_decision")
        name = self.current.get(decision.issue_key)
        if not name:
            raise RequestNotFound(f"no request is recorded for {decision.issue_key}")
        event = Event.APPROVED if decision.decision is Decision.APPROVED else Event.REJECTED
        try:
            return self._transition(
                decision.issue_key,
                name,
                event,
                now,
                {
                    "decision": decision.decision,
                    "actor": decision.actor,
                    "decided_at": decision.decided_at or now,
                    "decision_comment": decision.comment,
                    "decision_source": decision.source,
                },
            )
        except TransitionRefused:
            record = self._own(decision.issue_key, name)
            if record.decision is not None:
                raise ApprovalAlreadyDecided(record.decision.value, record.actor) from None
            if record.is_terminal:
                raise ApprovalExpired(f"the request is {record.state.value}") from None
            raise NoPendingApproval(f"the request is {record.state.value}") from None

    def withdraw_decision(self, record: RequestRecord, now: str, state: RequestState) -> bool:
        self.faults.check("withdraw_decision")
        seen = self.requests.get((record.issue_key, record.execution_name))
        if seen is None or seen.decided_at != record.decided_at:
            return False
        event = (
            Event.DECISION_WITHDRAWN
            if state is RequestState.AWAITING_APPROVAL
            else Event.DECISION_TOO_LATE
        )
        cleared: dict[str, Any] = {name: "" for name in DECISION_FIELDS}
        cleared["decision"] = None
        try:
            self._transition(record.issue_key, record.execution_name, event, now, cleared)
        except TransitionRefused:
            return False
        return True

    def mark_resending(self, record: RequestRecord, now: str) -> bool:
        seen = self.requests.get((record.issue_key, record.execution_name))
        if seen is None or seen.decision is None or seen.decided_at != record.decided_at:
            return False
        key = (record.issue_key, record.execution_name)
        self.requests[key] = replace(seen, completion_resent_at=now)
        return True

    # ---- tokens -------------------------------------------------------------------

    def store_token(
        self,
        issue_key: str,
        execution_name: str,
        token: str,
        expires_at: int,
        approval_deadline: int = 0,
    ) -> None:
        self.tokens[issue_key] = PendingToken(token, execution_name, expires_at, approval_deadline)

    def get_token(self, issue_key: str) -> PendingToken | None:
        self.faults.check("get_token")
        return self.tokens.get(issue_key)

    def delete_token(self, issue_key: str, execution_name: str) -> None:
        token = self.tokens.get(issue_key)
        if token is not None and token.execution_name == execution_name:
            del self.tokens[issue_key]

    # ---- the life cycle -----------------------------------------------------------

    def _own(self, issue_key: str, execution_name: str) -> RequestRecord:
        record = self.requests.get((issue_key, execution_name))
        if record is None:
            raise TransitionRefused(f"no request {execution_name} for {issue_key}")
        return record

    def _transition(
        self,
        issue_key: str,
        execution_name: str,
        event: Event,
        now: str,
        attributes: dict[str, Any],
    ) -> RequestRecord:
        record = self._own(issue_key, execution_name)
        present = {name: getattr(record, name) for name in _FIELDS}
        if not lifecycle.may_happen(event, record.state, present):
            raise TransitionRefused(f"{event.value} not allowed from {record.state.value}")
        changed = replace(
            record,
            **_typed(attributes),
            state=lifecycle.next_state(event, record.state),
            updated_at=now,
        )
        self.requests[(issue_key, execution_name)] = changed
        return changed


def _typed(attributes: dict[str, Any]) -> dict[str, Any]:
    """What the adapter's deserialiser would give back for these attributes."""
    typed = dict(attributes)
    if isinstance(typed.get("decision"), str):
        typed["decision"] = Decision(typed["decision"])
    if "artifact_keys" in typed:
        typed["artifact_keys"] = tuple(typed["artifact_keys"])
    unknown = set(typed) - _FIELDS
    assert not unknown, f"not fields of a request: {sorted(unknown)}"
    return typed


class FakeExecutions:
    """Step Functions' task completions: every send is kept; answers can be scripted."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.started: list[str] = []
        self.faults = Faults()

    def start(self, name: str, execution_input: dict[str, Any]) -> StartedExecution:
        already = name in self.started
        self.started.append(name)
        return StartedExecution(f"arn:execution:{name}", already_existed=already)

    def complete(self, task_token: str, output: dict[str, Any]) -> None:
        self.sent.append((task_token, output))
        try:
            self.faults.check("complete")
        except NoAnswer:
            raise CompletionUnconfirmed("Step Functions did not answer") from None


def closed_task() -> ApprovalExpired:
    return ApprovalExpired("the approval can no longer be completed (TaskTimedOut)")


class FakeJiraComments:
    """Jira as the steps and decisions see it: comments and status moves."""

    def __init__(self) -> None:
        self.comments: list[tuple[str, str]] = []
        self.moves: list[tuple[str, str]] = []
        self.faults = Faults()

    def add_comment(self, issue_key: str, text: str) -> str:
        self.faults.check("add_comment")
        self.comments.append((issue_key, text))
        return str(len(self.comments))

    def transition_to(self, issue_key: str, name: str) -> bool:
        self.faults.check("transition_to")
        self.moves.append((issue_key, name))
        return True

    def on(self, issue_key: str) -> list[str]:
        return [text for key, text in self.comments if key == issue_key]


def jira_down() -> JiraUnavailable:
    return JiraUnavailable("Jira answered 503")
