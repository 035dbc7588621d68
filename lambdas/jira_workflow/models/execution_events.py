"""The "Step Functions Execution Status Change" event EventBridge delivers (source
`aws.states`), trimmed to the fields the finaliser reads. Shape: AWS Step Functions
Developer Guide, "EventBridge (CloudWatch Events) for Step Functions execution status
changes"; a sample is committed in tests/fixtures/eventbridge/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jira_workflow.domain.finalisation import EndedExecution, issue_key_of_input
from jira_workflow.models.reader import FieldReader, UnreadableEvent
from jira_workflow.models.tasks import MAX_EXECUTION_NAME_CHARS

SOURCE = "aws.states"
DETAIL_TYPE = "Step Functions Execution Status Change"


@dataclass(frozen=True)
class ExecutionStatusChange:
    execution: EndedExecution
    state_machine_arn: str

    @classmethod
    def from_event(cls, event: Any) -> ExecutionStatusChange:
        """The ended execution, or UnreadableEvent naming each bad field."""
        reader = FieldReader(UnreadableEvent)
        document = reader.root(event, "event")
        reader.one_of(document, "source", (SOURCE,))
        reader.one_of(document, "detail-type", (DETAIL_TYPE,))
        detail = reader.object(document.get("detail"), "detail") or {}

        def text(name: str, max_chars: int | None = None) -> str:
            return reader.text(detail, name, "detail", min_chars=1, max_chars=max_chars) or ""

        def optional(name: str) -> str | None:
            return reader.text(detail, name, "detail", required=False)

        change = cls(
            EndedExecution(
                name=text("name", MAX_EXECUTION_NAME_CHARS),
                arn=text("executionArn"),
                status=text("status"),
                error=optional("error") or "",
                cause=optional("cause") or "",
                # Left out (null) by Step Functions when input and output exceed 248 KB.
                issue_key=issue_key_of_input(optional("input")),
            ),
            text("stateMachineArn"),
        )
        reader.fail_if_any()
        return change
