"""Failure paths end to end: the external API down for a while, or for good."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from local_cloud.driver import LocalStackSession
from tests.e2e.e2e_support import LOW_RISK, create_request

pytestmark = pytest.mark.e2e


SetMockFaults = Callable[[dict[str, Any]], None]


@pytest.fixture
def enrich_faults(stack: LocalStackSession) -> Iterator[SetMockFaults]:
    yield stack.set_mock_faults
    stack.set_mock_faults({})


def test_external_api_failing_then_recovering_is_retried(
    stack: LocalStackSession, enrich_faults: SetMockFaults
) -> None:
    enrich_faults({"enrich": {"mode": "503", "rate": 1, "remaining": 2}})
    key = create_request(stack, "Flaky enrichment", risk_label=LOW_RISK)

    done = stack.wait_for_state(key, {"FULFILLED", "FAILED"}, timeout=90)

    assert done["state"] == "FULFILLED"
    history = stack.client("stepfunctions").get_execution_history(
        executionArn=done["executionArn"], maxResults=1000
    )["events"]
    assert sum(e["type"] == "TaskFailed" for e in history) >= 2


def test_external_api_failing_for_good_fails_the_request_and_tells_jira(
    stack: LocalStackSession, enrich_faults: SetMockFaults
) -> None:
    enrich_faults({"enrich": {"mode": "503", "rate": 1}})
    key = create_request(stack, "Enrichment down", risk_label=LOW_RISK)

    done = stack.wait_for_state(key, {"FAILED", "FULFILLED"}, timeout=120)

    assert done["state"] == "FAILED"
    assert "ExternalServiceUnavailable" in (done["failureCause"] or "")
    assert stack.wait_for_execution(done["executionArn"])["status"] == "FAILED"
    # Still in Submitted (auto-approval does not move it), from where the runbook's
    # workflow has no way to Failed: the comment tells Jira.
    assert stack.jira.status(key) == "Submitted"
    comment = stack.wait_for_comment(key, "could not")
    assert "Traceback" not in comment
