"""complete_decision's event, as the webhook's DecisionCompletions sends it."""

from __future__ import annotations

from typing import Any

from jira_workflow.domain.requests import CompletionRequest
from jira_workflow.models.reader import ISSUE_KEY, FieldReader, UnreadableEvent
from jira_workflow.models.tasks import MAX_EXECUTION_NAME_CHARS

FIELDS = ("issueKey", "executionName", "decidedAt", "resend")


def completion_request(event: Any) -> CompletionRequest:
    """The completion the event asks for, or UnreadableEvent naming each bad field."""
    reader = FieldReader(UnreadableEvent)
    document = reader.root(event, "event")
    reader.no_other_fields(document, FIELDS)
    request = CompletionRequest(
        reader.text(document, "issueKey", max_chars=80, pattern=ISSUE_KEY) or "",
        reader.text(document, "executionName", min_chars=1, max_chars=MAX_EXECUTION_NAME_CHARS)
        or "",
        reader.text(document, "decidedAt", min_chars=1) or "",
        reader.boolean(document, "resend", default=False),
    )
    reader.fail_if_any()
    return request
