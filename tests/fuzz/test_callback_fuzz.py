"""POST /jira/callback under random and hostile bodies, against requests in every state a
decision can meet: never a 5xx, a JSON reason on every 4xx, nothing written when refused."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from jira_workflow.handlers import callback
from tests.functional.conftest import DECIDE_KEY_ID
from tests.fuzz.properties import (
    DECIDED,
    FUZZ,
    SeededApprovals,
    account_state,
    assert_well_answered,
)
from tests.fuzz.strategies import callback_bodies, proxy_event
from tests.support.lambda_events import FakeLambdaContext


def decide(body: bytes, binary: bool) -> dict[str, Any]:
    event = proxy_event(
        "POST",
        "/jira/callback",
        body,
        {"x-api-key": "fuzz"},
        binary=binary,
        api_key_id=DECIDE_KEY_ID,
    )
    response: dict[str, Any] = callback.handler(event, FakeLambdaContext())
    return response


@FUZZ
@given(body=callback_bodies, binary=st.booleans())
def test_callback_bodies_of_any_shape_are_never_a_5xx(
    seeded_approvals: SeededApprovals, body: bytes, binary: bool
) -> None:
    before = seeded_approvals.restore()

    response = decide(body, binary)

    answer = assert_well_answered(response, before, account_state(seeded_approvals.workflow))
    if response["statusCode"] == 409:
        # The loser is told who won: the seeded decision on OPS-2.
        assert (answer["decision"], answer["actor"]) == ("approved", "Carol Lead"), answer
        assert answer.get("issueKey", DECIDED) == DECIDED
