"""Step Functions: start executions by name, complete callback tasks, stop executions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from jira_workflow.domain.errors import (
    ApprovalExpired,
    CompletionUnconfirmed,
    StartThrottled,
    TaskCompletionFailed,
)
from jira_workflow.domain.finalisation import EndedExecution, issue_key_of_input

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

# StopExecution's limit on `cause`; a longer one is refused.
_MAX_CAUSE_LENGTH = 32768
# Step Functions' answers meaning the task can no longer be completed.
_CLOSED_TASK_ERRORS = frozenset({"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"})
_THROTTLING_ERRORS = frozenset(
    {"ThrottlingException", "TooManyRequestsException", "ServiceUnavailable"}
)


# DescribeExecution's statuses of an execution that has ended.
CLOSED_STATUSES = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


@dataclass(frozen=True)
class StartedExecution:
    execution_arn: str
    already_existed: bool
    status: str = "RUNNING"  # of the existing execution, as DescribeExecution read it

    @property
    def closed(self) -> bool:
        """The name was taken by an execution that has already ended: nothing runs now."""
        return self.status in CLOSED_STATUSES


class Executions:
    def __init__(self, client: SFNClient, state_machine_arn: str) -> None:
        self._client = client
        self._state_machine_arn = state_machine_arn

    def execution_arn(self, name: str) -> str:
        prefix, _, machine = self._state_machine_arn.rpartition(":stateMachine:")
        return f"{prefix}:execution:{machine}:{name}"

    def start(self, name: str, execution_input: dict[str, Any]) -> StartedExecution:
        """Start once per name: a second start with the same name reports the first, with
        its status read back (it may have ended long ago: that is not a start)."""
        try:
            arn = self._client.start_execution(
                stateMachineArn=self._state_machine_arn,
                name=name,
                input=json.dumps(execution_input, sort_keys=True),
            )["executionArn"]
            return StartedExecution(arn, already_existed=False)
        except ClientError as exc:
            code = _error_code(exc)
            if code == "ExecutionAlreadyExists":
                arn = self.execution_arn(name)
                return StartedExecution(arn, already_existed=True, status=self.status(arn))
            if code in _THROTTLING_ERRORS:
                raise StartThrottled(f"Step Functions throttled the start ({code})") from exc
            raise

    def status(self, execution_arn: str) -> str:
        """RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED (or PENDING_REDRIVE)."""
        try:
            return str(self._client.describe_execution(executionArn=execution_arn)["status"])
        except ClientError as exc:
            if _error_code(exc) in _THROTTLING_ERRORS:
                raise StartThrottled(
                    f"Step Functions throttled a read ({_error_code(exc)})"
                ) from exc
            raise

    def complete(self, task_token: str, output: dict[str, Any]) -> None:
        """Send the decision; every refusal is a WorkflowError, and so is no answer at all.

        A ClientError is Step Functions answering; any other botocore error (read or connect
        timeout, connection dropped) leaves us without an answer, and as botocore retries
        internally, an earlier attempt may have been applied even when the last never left.
        """
        try:
            self._client.send_task_success(taskToken=task_token, output=json.dumps(output))
        except ClientError as exc:
            self._raise_closed_or_reraise(exc)
        except BotoCoreError as exc:
            raise CompletionUnconfirmed(
                f"Step Functions did not answer the decision ({type(exc).__name__})"
            ) from None

    def fail(self, task_token: str, error: str, cause: str) -> None:
        try:
            self._client.send_task_failure(taskToken=task_token, error=error, cause=cause)
        except ClientError as exc:
            self._raise_closed_or_reraise(exc)

    def stop(self, execution_arn: str, error: str, cause: str) -> None:
        """End the execution now (ABORTED): no failure path runs, so the caller reports it."""
        self._client.stop_execution(
            executionArn=execution_arn, error=error, cause=cause[:_MAX_CAUSE_LENGTH]
        )

    def describe(self, execution_arn: str) -> EndedExecution | None:
        """The execution's status (and error, cause, issue key); None if it does not exist."""
        try:
            found = self._client.describe_execution(executionArn=execution_arn)
        except ClientError as exc:
            if _error_code(exc) == "ExecutionDoesNotExist":
                return None
            raise
        return EndedExecution(
            name=found["name"],
            arn=found["executionArn"],
            status=found["status"],
            error=found.get("error") or "",
            cause=found.get("cause") or "",
            issue_key=issue_key_of_input(found.get("input")),
        )

    @staticmethod
    def _raise_closed_or_reraise(exc: ClientError) -> None:
        code = _error_code(exc)
        if code in _CLOSED_TASK_ERRORS:
            # The token itself never goes into the message: only the reason.
            raise ApprovalExpired(f"the approval can no longer be completed ({code})") from None
        if code in _THROTTLING_ERRORS:
            raise StartThrottled(f"Step Functions throttled the decision ({code})") from None
        # Anything else: keep only the code. AWS error messages about a task may quote the
        # token, and this exception may be logged with its traceback.
        raise TaskCompletionFailed(f"Step Functions refused the decision ({code})") from None


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
