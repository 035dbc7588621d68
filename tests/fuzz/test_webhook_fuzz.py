"""POST /jira/webhook under random, mutated and hostile input: never a 5xx, never a write
for a rejected delivery, always a JSON reason on a 4xx."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from jira_workflow.domain.execution_name import execution_name
from jira_workflow.domain.signature import sign
from jira_workflow.handlers import webhook
from tests.functional.conftest import WEBHOOK_SECRET, Workflow
from tests.fuzz.properties import FUZZ, SeededApprovals, account_state, assert_well_answered
from tests.fuzz.strategies import (
    ISSUE_KEYS,
    decision_webhooks,
    delivery_ids,
    mutated_documents,
    proxy_event,
    signature_headers,
    webhook_bodies,
)
from tests.support.jira_payloads import issue_created
from tests.support.lambda_events import FakeLambdaContext


def deliver(body: bytes, headers: dict[str, str], binary: bool = False) -> dict[str, Any]:
    event = proxy_event("POST", "/jira/webhook", body, headers, binary=binary)
    response: dict[str, Any] = webhook.handler(event, FakeLambdaContext())
    return response


@FUZZ
@given(body=webhook_bodies, delivery_id=delivery_ids, binary=st.booleans())
def test_validly_signed_bodies_of_any_shape_are_never_a_5xx(
    workflow: Workflow, body: bytes, delivery_id: str, binary: bool
) -> None:
    headers = {"X-Hub-Signature": sign(body, WEBHOOK_SECRET)}
    if delivery_id:
        headers["X-Atlassian-Webhook-Identifier"] = delivery_id
    before = account_state(workflow)

    response = deliver(body, headers, binary)

    assert_well_answered(response, before, account_state(workflow))


@FUZZ
@given(data=st.data(), body=webhook_bodies, delivery_id=st.uuids().map(str))
def test_forged_truncated_or_missing_signatures_are_401_and_write_nothing(
    workflow: Workflow, data: st.DataObject, body: bytes, delivery_id: str
) -> None:
    headers = {
        "X-Atlassian-Webhook-Identifier": delivery_id,
        **data.draw(signature_headers(body)),
    }
    valid = headers.get("X-Hub-Signature") == sign(body, WEBHOOK_SECRET)
    before = account_state(workflow)

    response = deliver(body, headers)

    answer = assert_well_answered(response, before, account_state(workflow))
    if not valid:
        # A body over the limit is refused before its signature is read: 413, not 401.
        assert response["statusCode"] in (401, 413), answer
        assert answer["error"] in ("BadSignature", "BodyTooLarge")


@FUZZ
@given(
    issue_key=st.sampled_from(ISSUE_KEYS),
    delivery_id=st.uuids().map(str),
    replay=mutated_documents(),
)
def test_a_replayed_delivery_id_with_another_body_never_starts_a_second_execution(
    workflow: Workflow, issue_key: str, delivery_id: str, replay: Any
) -> None:
    original = issue_created(issue_key, status="Submitted")
    first = deliver(
        original,
        {
            "X-Hub-Signature": sign(original, WEBHOOK_SECRET),
            "X-Atlassian-Webhook-Identifier": delivery_id,
        },
    )
    assert first["statusCode"] < 500
    replayed = json.dumps(replay).encode()
    headers = {
        "X-Hub-Signature": sign(replayed, WEBHOOK_SECRET),
        "X-Atlassian-Webhook-Identifier": delivery_id,
    }
    before = account_state(workflow)

    response = deliver(replayed, headers)

    after = account_state(workflow)
    assert_well_answered(response, before, after)
    started = set(after.executions) - set(before.executions)
    # Only a replay naming a different issue may start anything, and then under its own
    # name: an execution name is never reused for a second start.
    assert len(started) <= 1
    same_name = execution_name(issue_key, delivery_id)
    assert not [arn for arn in started if arn.endswith(f":{same_name}")]


@FUZZ
@given(data=st.data(), delivery_id=st.uuids().map(str))
def test_status_changes_on_requests_in_any_state_are_answered_2xx_or_4xx(
    seeded_approvals: SeededApprovals, data: st.DataObject, delivery_id: str
) -> None:
    # Decisions through Jira: Approved/Rejected moves on the seeded requests, mutated.
    document = data.draw(st.one_of(decision_webhooks(), mutated_documents()))
    body = json.dumps(document).encode()
    headers = {
        "X-Hub-Signature": sign(body, WEBHOOK_SECRET),
        "X-Atlassian-Webhook-Identifier": delivery_id,
    }
    before = seeded_approvals.restore()

    response = deliver(body, headers)

    assert_well_answered(response, before, account_state(seeded_approvals.workflow))
