"""The ports the use cases depend on. Adapters implement them against AWS and Jira;
tests/support/fakes.py implements them in memory, able to refuse a condition or not answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from jira_workflow.adapters.executions import StartedExecution
    from jira_workflow.adapters.requests_table import ClaimOutcome, PendingToken
    from jira_workflow.domain.lifecycle import Event, JiraNotice
    from jira_workflow.domain.requests import ApprovalDecision, RequestRecord, RequestState


class RequestStore(Protocol):
    """The requests table: see adapters/requests_table.py for what each call guarantees."""

    def get(self, issue_key: str) -> RequestRecord | None: ...

    def get_request(self, issue_key: str, execution_name: str) -> RequestRecord | None: ...

    def history(self, issue_key: str, limit: int = ...) -> list[RequestRecord]: ...

    def claim(
        self, issue_key: str, execution_name: str, delivery_id: str, payload_key: str, now: str
    ) -> ClaimOutcome: ...

    def advance(
        self, issue_key: str, execution_name: str, event: Event, now: str, **attributes: Any
    ) -> RequestRecord: ...

    def update(
        self,
        issue_key: str,
        execution_name: str,
        now: str,
        state: RequestState | None = None,
        **attributes: Any,
    ) -> None: ...

    def claim_once(
        self, issue_key: str, execution_name: str, notice: JiraNotice, now: str
    ) -> bool: ...

    def release_once(self, issue_key: str, execution_name: str, notice: JiraNotice) -> None: ...

    def record_decision(self, decision: ApprovalDecision, now: str) -> RequestRecord: ...

    def withdraw_decision(self, record: RequestRecord, now: str, state: RequestState) -> bool: ...

    def mark_resending(self, record: RequestRecord, now: str) -> bool: ...

    def list_by_state(
        self,
        state: RequestState,
        limit: int = ...,
        updated_between: tuple[str, str] | None = ...,
        newest_first: bool = ...,
    ) -> list[RequestRecord]: ...

    def store_token(
        self,
        issue_key: str,
        execution_name: str,
        token: str,
        expires_at: int,
        approval_deadline: int = ...,
    ) -> None: ...

    def get_token(self, issue_key: str) -> PendingToken | None: ...

    def delete_token(self, issue_key: str, execution_name: str) -> None: ...


class JiraPort(Protocol):
    """What the workflow's steps and decisions tell Jira."""

    def add_comment(self, issue_key: str, text: str) -> Any: ...

    def transition_to(self, issue_key: str, name: str) -> bool: ...


class ExternalApiPort(Protocol):
    def enrich(self, request: dict[str, Any]) -> dict[str, Any]: ...

    def fulfil(self, request: dict[str, Any], idempotency_key: str) -> dict[str, Any]: ...


class ExecutionsPort(Protocol):
    def start(self, name: str, execution_input: dict[str, Any]) -> StartedExecution: ...

    def complete(self, task_token: str, output: dict[str, Any]) -> None: ...


class ArtifactsPort(Protocol):
    def get_json(self, key: str) -> Any: ...

    def put_json(self, key: str, document: Any) -> str: ...

    def put_raw(self, key: str, body: bytes) -> str: ...
