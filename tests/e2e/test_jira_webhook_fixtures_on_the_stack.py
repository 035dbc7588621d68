"""Jira Cloud's own payload shapes, signed and sent to the deployed webhook, to the outcome
each should have: a request that runs (none fails validation), or an answer naming why not."""

from __future__ import annotations

import time

import pytest
import requests

from jira_workflow.domain.signature import sign
from local_cloud.driver import LocalStackSession
from tests.support.jira_webhook_fixtures import EXPECTED, STARTED, for_issue

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("name", "expected"), sorted(EXPECTED.items()))
def test_jira_cloud_payload_reaches_its_expected_outcome(
    stack: LocalStackSession, name: str, expected: str
) -> None:
    # The issue exists in Jira (as it would), in the status and without the description
    # the payload shows; Jira's own webhook for it is not sent, the fixture is.
    key = stack.jira.create_issue(
        "OPS", f"[fixture] {name}", status="Submitted", description="", notify=False
    )
    # Sent now: the stack's clock is real, and a months-old timestamp is a stale delivery.
    body = for_issue(name, key, stack.jira.issue(key).id, sent_at_ms=int(time.time() * 1000))

    response = requests.post(
        stack.info["webhook_url"],
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Hub-Signature": sign(body, stack.info["webhook_secret"]),
            "X-Atlassian-Webhook-Identifier": f"fixture-{key}",
        },
        timeout=30,
    )

    if expected == STARTED:
        assert response.status_code == 202, response.text
        done = stack.wait_for_state(key, {"AWAITING_APPROVAL", "FULFILLED", "FAILED"}, timeout=60)
        assert done["state"] != "FAILED", done
    else:
        assert response.status_code == 200, response.text
        assert expected in response.json()["ignored"]
        assert stack.executions_for(key) == []
