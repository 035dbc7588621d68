"""An execution stopped on the applied stack closes its request: Step Functions' status
change event reaches the finaliser through the EventBridge rule Terraform declared."""

from __future__ import annotations

import pytest

from local_cloud.driver import LocalStackSession
from tests.e2e.e2e_support import create_request

pytestmark = pytest.mark.e2e


def test_stopping_an_execution_closes_its_request_and_tells_jira_once(
    stack: LocalStackSession,
) -> None:
    key = create_request(stack, "Stopped while waiting")
    waiting = stack.wait_for_state(key, {"AWAITING_APPROVAL"}, timeout=60)

    stack.client("stepfunctions").stop_execution(
        executionArn=waiting["executionArn"], error="Wedged", cause="stopped by on-call (INC-7)"
    )

    closed = stack.wait_for_state(key, {"FAILED"}, timeout=60)
    assert closed["failureCause"] == "Wedged: the workflow was stopped: stopped by on-call (INC-7)"
    comment = stack.wait_for_comment(key, "could not be completed")
    assert "stopped by on-call (INC-7)" in comment
    assert "arn:" not in comment
    assert stack.wait_for_execution(waiting["executionArn"])["status"] == "ABORTED"
    # The finaliser comments, then transitions: the status may lag the comment.
    assert stack.wait_for_jira_status(key, "Failed") == "Failed"
    assert sum("could not be completed" in c for c in stack.jira.comments(key)) == 1
