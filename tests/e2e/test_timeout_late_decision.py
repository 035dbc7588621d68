"""A decision that arrives after the approval timed out: 410 to the caller, Jira told.

Its request is started before the first e2e test (the `late_request` fixture) and this
file runs after the others, so the wait for the timeout overlaps with them."""

from __future__ import annotations

import time

import pytest

from local_cloud.driver import LocalStackSession
from tests.e2e.e2e_support import APPROVAL_TIMEOUT_SECONDS, LateRequest

pytestmark = pytest.mark.e2e


def test_late_decision_after_approval_timeout_is_410_and_jira_is_told(
    stack: LocalStackSession, late_request: LateRequest
) -> None:
    remaining = APPROVAL_TIMEOUT_SECONDS - (time.monotonic() - late_request.approval_requested_at)
    time.sleep(max(0.0, remaining))
    stack.wait_for_state(late_request.issue_key, {"APPROVAL_TIMED_OUT"}, timeout=60)

    response = stack.decide(late_request.issue_key, "approved", "Slow Approver")

    assert response.status_code == 410
    stack.wait_for_comment(late_request.issue_key, "no decision arrived in time")
    # Named by the decide key that sent it: the body's actor is a note, not an identity.
    stack.wait_for_comment(late_request.issue_key, "-decide tried")
