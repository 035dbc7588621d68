"""Closing a request whose execution ended without recording its outcome: pure rules.

An execution can end with nobody writing the request's outcome: it timed out (the ASL's
top-level TimeoutSeconds), was stopped (StopExecution), or failed inside its own failure
path (RecordFailure throttled, a runtime error). Step Functions is then the source of
truth, and these rules say how its verdict closes the record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from jira_workflow.domain import messages
from jira_workflow.domain.lifecycle import ACTIVE_STATES, JiraNotice

# The marker RecordFailure claims before its comment: sharing it means a request gets one
# failure comment whichever path tells Jira.
FAILURE_COMMENT_MARKER = JiraNotice.FAILURE
# States a request may be in while its execution runs: the ones a closed execution ends.
OPEN_STATES = ACTIVE_STATES


class ExecutionEnd(StrEnum):
    """Execution statuses that close a request's record (SUCCEEDED never does: the
    workflow wrote its outcome, and a record that disagrees is for a person to read)."""

    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    ABORTED = "ABORTED"


@dataclass(frozen=True)
class EndedExecution:
    """An execution as Step Functions reports it (status change event or DescribeExecution)."""

    name: str
    arn: str
    status: str
    error: str = ""
    cause: str = ""
    issue_key: str = ""  # from the execution's input, when it was there to read

    @property
    def end(self) -> ExecutionEnd | None:
        """How it ended, if that closes a request; None while running or when it succeeded."""
        try:
            return ExecutionEnd(self.status)
        except ValueError:
            return None


def closing_error(ended: EndedExecution, end: ExecutionEnd) -> str:
    """The error name stored with the cause: Step Functions' own, or one naming the end."""
    if end is ExecutionEnd.TIMED_OUT:
        return "States.Timeout"
    defaults = {ExecutionEnd.FAILED: "States.Runtime", ExecutionEnd.ABORTED: "ExecutionAborted"}
    return messages.short_reason(ended.error or defaults[end])


def closing_reason(ended: EndedExecution, end: ExecutionEnd) -> str:
    """What people read in Jira: one line, no AWS identifiers, no stack traces.

    A stop's cause is an operator's note and is shown; a failure's cause is whatever the
    last step raised (possibly a traceback naming our resources) and stays in the logs.
    """
    if end is ExecutionEnd.TIMED_OUT:
        return "the workflow ran out of time before it finished"
    if end is ExecutionEnd.ABORTED:
        note = messages.short_reason(ended.cause) if ended.cause.strip() else ""
        return f"the workflow was stopped: {note}" if note else "the workflow was stopped"
    return messages.internal_failure(closing_error(ended, end))


def issue_key_of_input(execution_input: str | None) -> str:
    """The `issueKey` every execution is started with; empty when the input is not there."""
    try:
        parsed = json.loads(execution_input or "")
    except json.JSONDecodeError:
        return ""
    key = parsed.get("issueKey") if isinstance(parsed, dict) else None
    return key if isinstance(key, str) else ""


def reason_of_cause(failure_cause: str) -> str:
    """The reason part of a stored `Error: reason` cause (what people were meant to read)."""
    error, separator, reason = failure_cause.partition(": ")
    if separator and error and " " not in error:
        return reason
    return failure_cause
