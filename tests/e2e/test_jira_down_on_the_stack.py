"""Jira down for good while a request needs it: every call times out. The state machine
retries the step, no function is killed by its timeout (the emulator stops a handler at
its function's timeout and reports Sandbox.Timedout, as AWS does), and the request waits
in a state operations finish once Jira answers again."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local_cloud.driver import LocalStackSession
from tests.e2e.e2e_support import (
    APPROVAL_TIMEOUT_SECONDS,
    HIGH_RISK,
    HTTP_TIMEOUT_SECONDS,
    STEP_FUNCTION_TIMEOUT_SECONDS,
    LateRequest,
    create_request,
)
from workflow_tools.ops import approvals
from workflow_tools.ops.common import run

pytestmark = pytest.mark.e2e

# Longer than the functions' HTTP timeout: every call ends in the client's read timeout.
UNANSWERED_AFTER_SECONDS = HTTP_TIMEOUT_SECONDS + 2
# RequestApproval's JiraUnavailable retrier: 1 + 4 attempts, each ended 3 s before its
# function's timeout, and up to 2 + 4 + 8 + 16 s between them.
RETRIES_END_WITHIN_SECONDS = 5 * STEP_FUNCTION_TIMEOUT_SECONDS + 30 + 30
# Errors that would mean a function outlived its timeout.
KILLED = {"Sandbox.Timedout", "Lambda.ClientExecutionTimeoutException", "States.Timeout"}


@pytest.fixture
def jira_down(stack: LocalStackSession, late_request: LateRequest) -> Iterator[None]:
    # The session's late request reports its timeout to Jira: let that land first.
    stack.wait_for_comment(
        late_request.issue_key, "no decision arrived in time", timeout=APPROVAL_TIMEOUT_SECONDS + 60
    )
    stack.jira.stop_answering(after_seconds=UNANSWERED_AFTER_SECONDS)
    yield
    stack.jira.clear_faults()


def history(stack: LocalStackSession, execution_arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = stack.client("stepfunctions").get_execution_history(
        executionArn=execution_arn, maxResults=1000
    )["events"]
    return events


def wait_for_state_entered(
    stack: LocalStackSession, execution_arn: str, state: str, timeout: float
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = history(stack, execution_arn)
        if any(e.get("stateEnteredEventDetails", {}).get("name") == state for e in events):
            return events
        time.sleep(1)
    raise TimeoutError(f"{state} not entered after {timeout:.0f}s")


def failures(events: list[dict[str, Any]]) -> list[str]:
    """The error of every failed or timed-out task, in order."""
    found = []
    for event in events:
        if event["type"] == "TaskFailed":
            found.append(event["taskFailedEventDetails"]["error"])
        elif event["type"] == "TaskTimedOut":
            found.append(event["taskTimedOutEventDetails"].get("error") or "States.Timeout")
    return found


def test_jira_timing_out_on_every_call_is_retried_then_waited_out_and_finished_by_operations(
    stack: LocalStackSession, jira_down: None, tmp_path: Path
) -> None:
    key = create_request(stack, "Jira down for good", risk_label=HIGH_RISK)
    execution_arn = stack.wait_for_state(key, {"AWAITING_APPROVAL"}, timeout=60)["executionArn"]

    events = wait_for_state_entered(
        stack, execution_arn, "AwaitDecisionWithoutJira", timeout=RETRIES_END_WITHIN_SECONDS
    )

    # Retried by the state machine, each attempt ended by the client before its function's
    # timeout: JiraUnavailable five times, nothing killed.
    assert failures(events) == ["JiraUnavailable"] * 5
    assert not KILLED & set(failures(events))
    assert (
        stack.client("stepfunctions").describe_execution(executionArn=execution_arn)["status"]
        == "RUNNING"
    )
    assert stack.wait_for_state(key, {"AWAITING_APPROVAL"})["state"] == "AWAITING_APPROVAL"
    assert stack.jira.comments(key) == []  # no call was applied

    # Jira answers again: operations post the approval comment and decide.
    stack.jira.clear_faults()
    stack_file = tmp_path / "stack.json"
    stack_file.write_text(json.dumps(stack.info))
    target = ["--env", "local", "--stack-file", str(stack_file)]
    assert run(approvals.main, [*target, "remind", key, "--resend"]) == 0
    stack.wait_for_comment(key, "Approval needed")
    decide = ["decide", key, "approved", "--operator", "oncall", "--note", "Jira was down"]
    assert run(approvals.main, [*target, *decide]) == 0

    done = stack.wait_for_state(key, {"FULFILLED", "FAILED"}, timeout=90)
    assert done["state"] == "FULFILLED"
    stack.wait_for_comment(key, "fulfil")
    assert not KILLED & set(failures(history(stack, execution_arn)))
