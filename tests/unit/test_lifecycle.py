"""The request's life cycle table: terminal outcomes are final, and guards name fields."""

from __future__ import annotations

from dataclasses import fields

import pytest

from jira_workflow.domain import lifecycle
from jira_workflow.domain.lifecycle import Event, JiraNotice
from jira_workflow.domain.requests import TERMINAL_STATES, RequestRecord, RequestState

OUTCOMES = (RequestState.FULFILLED, RequestState.REJECTED, RequestState.APPROVAL_TIMED_OUT)
RECORD_FIELDS = {f.name for f in fields(RequestRecord)}


@pytest.mark.parametrize("event", list(Event))
def test_no_event_leads_out_of_a_terminal_state(event: Event) -> None:
    for source, target in lifecycle.TRANSITIONS[event].items():
        if source in TERMINAL_STATES:
            assert target is source, f"{event} moves {source} to {target}"


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_nothing_makes_an_outcome_failed(outcome: RequestState) -> None:
    assert outcome not in lifecycle.states_reaching(RequestState.FAILED)
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.next_state(Event.FAILED, outcome)


def test_a_fulfilment_recorded_outside_cannot_be_failed() -> None:
    assert not lifecycle.may_happen(Event.FAILED, RequestState.APPROVED, {"fulfilment_id": "FUL-1"})
    assert lifecycle.may_happen(Event.FAILED, RequestState.APPROVED, {"fulfilment_id": ""})


def test_only_one_decision_is_recorded() -> None:
    awaiting = RequestState.AWAITING_APPROVAL
    assert lifecycle.may_happen(Event.APPROVED, awaiting, {})
    assert not lifecycle.may_happen(Event.REJECTED, awaiting, {"decision": "approved"})


def test_a_decision_being_resent_is_never_withdrawn() -> None:
    decided = {"decision": "approved", "completion_resent_at": "2026-11-29T12:00:00Z"}
    assert not lifecycle.may_happen(Event.DECISION_WITHDRAWN, RequestState.APPROVED, decided)
    assert not lifecycle.may_happen(Event.DECISION_TOO_LATE, RequestState.APPROVED, decided)


def test_states_reaching_follows_chains_of_events() -> None:
    reaching = lifecycle.states_reaching(RequestState.AWAITING_APPROVAL)
    assert RequestState.RECEIVED in reaching  # RECEIVED > RUNNING > AWAITING_APPROVAL
    assert not set(reaching) & TERMINAL_STATES


def test_guards_and_notices_name_fields_of_the_record() -> None:
    for rule in lifecycle.GUARDS.values():
        assert set(rule.present) | set(rule.absent) <= RECORD_FIELDS
    assert {notice.value for notice in JiraNotice} <= RECORD_FIELDS


def test_events_with_one_target_say_so() -> None:
    assert lifecycle.single_target(Event.FAILED) is RequestState.FAILED
    assert lifecycle.single_target(Event.APPROVAL_REQUESTED) is None
