"""Inputs the state machine hands each task (see statemachine/request_workflow.asl.json).

Every task gets the issue key and the execution name; everything else is a reference
(an S3 key) or a small scalar, never a large document. Fields the ASL adds beyond these are
ignored. A bad input is a terminal InvalidRequest naming the field (models/reader.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Self, cast

from jira_workflow.domain.errors import InvalidRequest
from jira_workflow.models.reader import ISSUE_KEY, FieldReader

MAX_EXECUTION_NAME_CHARS = 80  # Step Functions' limit

Outcome = Literal["fulfilled", "rejected", "approval_timed_out"]
OUTCOMES: tuple[Outcome, ...] = ("fulfilled", "rejected", "approval_timed_out")


def _task_input_problem(problems: str) -> InvalidRequest:
    return InvalidRequest(f"task input: {problems}")


@dataclass(frozen=True)
class TaskInput:
    issue_key: str
    execution_name: str

    @classmethod
    def from_event(cls, event: Any) -> Self:
        """The task's input, or InvalidRequest naming each bad field (never a value)."""
        reader = FieldReader(_task_input_problem)
        document = reader.root(event, "task input")
        values = {
            "issue_key": reader.text(document, "issueKey", max_chars=80, pattern=ISSUE_KEY),
            "execution_name": reader.text(
                document, "executionName", min_chars=1, max_chars=MAX_EXECUTION_NAME_CHARS
            ),
            **cls._own_fields(reader, document),
        }
        reader.fail_if_any()
        return cls(**values)

    @classmethod
    def _own_fields(cls, reader: FieldReader, document: dict[str, Any]) -> dict[str, Any]:
        """What this task reads beyond the issue and execution (each subclass says)."""
        return {}


@dataclass(frozen=True)
class ValidateInput(TaskInput):
    payload_key: str
    execution_arn: str

    @classmethod
    def _own_fields(cls, reader: FieldReader, document: dict[str, Any]) -> dict[str, Any]:
        return {
            "payload_key": reader.text(document, "payloadKey", min_chars=1),
            "execution_arn": reader.text(document, "executionArn", min_chars=1),
        }


@dataclass(frozen=True)
class RequestInput(TaskInput):
    """Enrich and Fulfil: the S3 key of the request Validate stored."""

    request_key: str

    @classmethod
    def _own_fields(cls, reader: FieldReader, document: dict[str, Any]) -> dict[str, Any]:
        return {"request_key": reader.text(document, "requestKey", min_chars=1)}


EnrichInput = RequestInput
FulfilInput = RequestInput


@dataclass(frozen=True)
class StoreInput(TaskInput):
    request_key: str
    enrichment_key: str
    risk_score: int

    @classmethod
    def _own_fields(cls, reader: FieldReader, document: dict[str, Any]) -> dict[str, Any]:
        return {
            "request_key": reader.text(document, "requestKey", min_chars=1),
            "enrichment_key": reader.text(document, "enrichmentKey", min_chars=1),
            "risk_score": reader.integer(document, "riskScore", 0, 100),
        }


@dataclass(frozen=True)
class ApprovalInput(TaskInput):
    task_token: str = field(repr=False)
    # False after Jira stayed unreachable through the step's retries: wait without it.
    tell_jira: bool = True

    @classmethod
    def _own_fields(cls, reader: FieldReader, document: dict[str, Any]) -> dict[str, Any]:
        return {
            "task_token": reader.text(document, "taskToken", min_chars=1),
            "tell_jira": reader.boolean(document, "tellJira", default=True),
        }


@dataclass(frozen=True)
class ReportInput(TaskInput):
    outcome: Outcome
    fulfilment_id: str = ""

    @classmethod
    def _own_fields(cls, reader: FieldReader, document: dict[str, Any]) -> dict[str, Any]:
        outcome = reader.one_of(document, "outcome", OUTCOMES)
        fulfilment_id = reader.text(document, "fulfilmentId", required=False)
        return {"outcome": cast(Outcome, outcome), "fulfilment_id": fulfilment_id or ""}


@dataclass(frozen=True)
class FailureInput(TaskInput):
    # The Catch's error name and cause; absent when a state failed without them.
    DEFAULT_ERROR: ClassVar[str] = "States.Runtime"

    error: str = DEFAULT_ERROR
    cause: str = ""

    @classmethod
    def _own_fields(cls, reader: FieldReader, document: dict[str, Any]) -> dict[str, Any]:
        error = reader.text(document, "error", required=False)
        cause = reader.text(document, "cause", required=False)
        return {"error": error or cls.DEFAULT_ERROR, "cause": cause or ""}
