"""The stories the product exists for, end to end: Jira → webhook → Step Functions →
handlers → Jira, on the real Terraform and ASL in the local emulator."""

from __future__ import annotations

import json
import threading
from collections import Counter

import pytest
import requests

from local_cloud.driver import LocalStackSession
from tests.e2e.e2e_support import LOW_RISK, create_request

pytestmark = pytest.mark.e2e


def test_approved_request_is_fulfilled_and_jira_shows_done(stack: LocalStackSession) -> None:
    key = create_request(stack, "Laptop for a new starter")

    pending = stack.wait_for_state(key, {"AWAITING_APPROVAL"})
    stack.wait_for_comment(key, "approv")
    stack.jira.transition(key, "Approved", actor="Bob Approver")
    done = stack.wait_for_state(key, {"FULFILLED", "FAILED"}, timeout=60)

    assert done["state"] == "FULFILLED"
    assert done["decision"] == "approved"
    assert done["actor"] == "Bob Approver"
    assert stack.wait_for_execution(pending["executionArn"])["status"] == "SUCCEEDED"
    assert stack.jira.status(key) == "Done"
    assert stack.artifacts(f"requests/{key}/")
    assert stack.artifacts(f"webhooks/{key}/")


def test_rejected_request_ends_rejected_and_jira_is_told(stack: LocalStackSession) -> None:
    key = create_request(stack, "Admin rights on production")

    pending = stack.wait_for_state(key, {"AWAITING_APPROVAL"})
    stack.wait_for_comment(key, "approv")  # the bot has moved it to Awaiting Approval
    stack.jira.transition(key, "Rejected", actor="Carol Approver")
    done = stack.wait_for_state(key, {"REJECTED", "FAILED"}, timeout=60)

    assert done["state"] == "REJECTED"
    assert done["actor"] == "Carol Approver"
    assert stack.wait_for_execution(pending["executionArn"])["status"] == "SUCCEEDED"
    stack.wait_for_comment(key, "reject")


def test_low_risk_request_is_auto_approved_and_jira_is_told_by_comment(
    stack: LocalStackSession,
) -> None:
    # The runbook's workflow has no Submitted > Done: the fulfilment is reported by comment,
    # and stays FULFILLED (it once ended FAILED, and a resubmission fulfilled it twice).
    key = create_request(stack, "Second monitor", risk_label=LOW_RISK)

    done = stack.wait_for_state(key, {"FULFILLED", "FAILED", "AWAITING_APPROVAL"}, timeout=60)
    execution = stack.wait_for_execution(done["executionArn"])

    assert done["state"] == "FULFILLED"
    assert done["decision"] == "approved"
    assert execution["status"] == "SUCCEEDED"
    assert stack.jira.status(key) == "Submitted"
    stack.wait_for_comment(key, "fulfil")
    assert not any("could not" in c for c in stack.jira.comments(key))


def test_duplicate_delivery_starts_one_execution(stack: LocalStackSession) -> None:
    key = create_request(stack, "Duplicate delivery")
    stack.wait_for_state(key, {"AWAITING_APPROVAL"})
    stack.jira.wait_for_deliveries()

    duplicate = stack.jira.send_duplicate()
    stack.jira.wait_for_deliveries()

    assert duplicate.issue_key == key
    assert duplicate.attempts[-1].status is not None and duplicate.attempts[-1].status < 300
    assert len(stack.executions_for(key)) == 1


def test_concurrent_decisions_exactly_one_wins(stack: LocalStackSession) -> None:
    key = create_request(stack, "Concurrent decisions")
    stack.wait_for_state(key, {"AWAITING_APPROVAL"})
    statuses: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def decide(decision: str, actor: str) -> None:
        start.wait()
        status = stack.decide(key, decision, actor).status_code
        with lock:
            statuses.append(status)

    threads = [
        threading.Thread(target=decide, args=(d, f"Approver {i}"))
        for i, d in enumerate(["approved", "rejected"] * 3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    done = stack.wait_for_state(key, {"FULFILLED", "REJECTED", "FAILED"}, timeout=60)

    counts = Counter(statuses)
    assert counts[200] == 1, statuses
    assert counts[409] == 5, statuses
    assert done["state"] in {"FULFILLED", "REJECTED"}


def test_bad_signature_is_refused_and_starts_nothing(stack: LocalStackSession) -> None:
    stack.jira.sign_next_with_wrong_secret(1)
    key = create_request(stack, "Forged webhook")
    stack.jira.wait_for_deliveries(timeout=30)

    delivery = next(d for d in stack.jira.deliveries if d.issue_key == key)

    assert {a.status for a in delivery.attempts} == {401}
    assert stack.executions_for(key) == []
    assert stack.status(key).status_code == 404


def test_reconciler_starts_a_request_whose_webhook_never_arrived(
    stack: LocalStackSession,
) -> None:
    stack.jira.drop_next_deliveries(1)
    key = create_request(stack, "Lost webhook")
    stack.jira.wait_for_deliveries(timeout=30)
    assert stack.status(key).status_code == 404

    result = stack.run_reconciler()
    pending = stack.wait_for_state(key, {"AWAITING_APPROVAL"}, timeout=60)

    assert result["errored"] is False, json.dumps(result)
    assert pending["executionArn"]


# ---- who may decide ---------------------------------------------------------------------


def test_the_read_key_cannot_decide_and_the_decide_key_is_the_recorded_actor(
    stack: LocalStackSession,
) -> None:
    key = create_request(stack, "Decided by key")
    stack.wait_for_state(key, {"AWAITING_APPROVAL"})
    body = {"issueKey": key, "decision": "approved", "actor": "Dora Decider"}

    refused = requests.post(
        stack.info["callback_url"],
        json=body,
        headers={"x-api-key": stack.info["read_api_key"]},
        timeout=30,
    )
    read = requests.get(
        stack.info["status_url"].replace("{issueKey}", key),
        headers={"x-api-key": stack.info["read_api_key"]},
        timeout=30,
    )
    accepted = stack.decide(key, "approved", "Dora Decider")
    done = stack.wait_for_state(key, {"FULFILLED", "FAILED"}, timeout=60)

    assert refused.status_code == 403
    assert refused.json()["error"] == "CallerNotAllowed"
    assert read.status_code == 200
    assert read.json()["state"] == "AWAITING_APPROVAL"
    assert accepted.status_code == 200
    assert done["state"] == "FULFILLED"
    assert done["actor"] == accepted.json()["actor"]
    assert done["actor"].endswith("-decide")


def test_a_status_change_by_a_non_approver_is_refused_and_jira_is_told(
    stack: LocalStackSession,
) -> None:
    key = create_request(stack, "Moved by a bystander")
    stack.wait_for_state(key, {"AWAITING_APPROVAL"})
    stack.wait_for_comment(key, "approv")

    stack.jira.transition(key, "Approved", actor="Mallory Member")
    told = stack.wait_for_comment(key, "Mallory Member")

    assert "request-approvers" in told and "nothing was decided" in told
    assert stack.status(key).json()["state"] == "AWAITING_APPROVAL"
    stack.run_reconciler()  # nor does the reconciler decide it from Jira's status
    assert stack.status(key).json()["state"] == "AWAITING_APPROVAL"
    assert [c for c in stack.jira.comments(key) if "Mallory Member" in c] == [told]
