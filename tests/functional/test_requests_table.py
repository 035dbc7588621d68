"""The requests table against moto: one item per request, and the life cycle's conditions."""

from __future__ import annotations

import pytest

from jira_workflow.adapters.requests_table import RequestsTable
from jira_workflow.container import container
from jira_workflow.domain import lifecycle
from jira_workflow.domain.errors import TransitionRefused
from jira_workflow.domain.lifecycle import Event
from jira_workflow.domain.requests import RequestState
from tests.functional.conftest import Workflow

T0 = "2026-10-01T09:00:00Z"
T1 = "2026-11-28T09:00:00Z"


def finished(table: RequestsTable, key: str, name: str, at: str, actor: str) -> None:
    table.claim(key, name, f"delivery-{name}", f"webhooks/{key}/{name}.json", at)
    table.update(
        key,
        name,
        at,
        state=RequestState.FULFILLED,
        decision="approved",
        actor=actor,
        decided_at=at,
    )


def test_a_new_request_keeps_the_earlier_one_and_who_decided_it(workflow: Workflow) -> None:
    table = container().table
    finished(table, "OPS-1", "exec-october", T0, "Carol Lead")

    claim = table.claim("OPS-1", "exec-november", "delivery-2", "webhooks/x.json", T1)

    assert claim.claimed
    assert table.get("OPS-1") == claim.record
    history = table.history("OPS-1")
    assert [r.execution_name for r in history] == ["exec-november", "exec-october"]
    assert (history[1].state, history[1].actor) == (RequestState.FULFILLED, "Carol Lead")


def test_a_retry_of_an_earlier_delivery_finds_its_own_request_and_moves_nothing(
    workflow: Workflow,
) -> None:
    table = container().table
    finished(table, "OPS-1", "exec-d1", T0, "Carol Lead")
    finished(table, "OPS-1", "exec-d2", T1, "Dana")

    again = table.claim("OPS-1", "exec-d1", "delivery-exec-d1", "webhooks/x.json", T1)

    assert (again.claimed, again.same_delivery) == (False, True)
    assert again.record.execution_name == "exec-d1"
    current = table.get("OPS-1")
    assert current is not None
    assert (current.execution_name, current.state) == ("exec-d2", RequestState.FULFILLED)


def test_an_active_request_is_not_replaced(workflow: Workflow) -> None:
    table = container().table
    table.claim("OPS-1", "exec-a", "d-a", "k", T0)

    claim = table.claim("OPS-1", "exec-b", "d-b", "k", T1)

    assert (claim.claimed, claim.record.execution_name) == (False, "exec-a")
    assert [r.execution_name for r in table.history("OPS-1")] == ["exec-a"]


def test_the_pointer_and_tokens_stay_out_of_the_state_index(workflow: Workflow) -> None:
    table = container().table
    table.claim("OPS-1", "exec-a", "d-a", "k", T0)
    table.store_token("OPS-1", "exec-a", "tok", 2_000_000_000)

    received = table.list_by_state(RequestState.RECEIVED)

    assert [(r.issue_key, r.execution_name) for r in received] == [("OPS-1", "exec-a")]


@pytest.mark.parametrize("event", list(Event))
def test_the_tables_conditions_are_the_life_cycles_rules(workflow: Workflow, event: Event) -> None:
    """Every event from every state: DynamoDB allows exactly what the table allows."""
    table = container().table
    for i, state in enumerate(RequestState):
        key, name = f"OPS-{i + 1}", f"exec-{event.value}-{state.value}"
        table.claim(key, name, "d", "k", T0)
        decided = {"decision": "approved", "actor": "x", "decided_at": T0}
        table.update(key, name, T0, state=state, **decided)
        record = table.get_request(key, name)
        assert record is not None
        attributes = {"decision": "approved", "decided_at": T0}
        expected = lifecycle.may_happen(event, state, attributes)
        try:
            table.advance(key, name, event, T1)
            allowed = True
        except TransitionRefused:
            allowed = False
        assert allowed == expected, f"{event.value} from {state.value}"
