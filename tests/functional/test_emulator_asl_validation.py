"""The diagnostics ValidateStateMachineDefinition answers with in the emulator."""

from __future__ import annotations

import json

from local_cloud.asl_validation import diagnose


def codes(definition: object) -> list[str]:
    text = definition if isinstance(definition, str) else json.dumps(definition)
    return [d.code for d in diagnose(text)]


def test_valid_definition_has_no_diagnostics() -> None:
    assert codes({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}) == []


def test_invalid_json_is_reported() -> None:
    assert codes("{not json") == ["INVALID_JSON_DESCRIPTION"]


def test_start_at_must_name_a_state() -> None:
    assert codes({"StartAt": "B", "States": {"A": {"Type": "Succeed"}}}) == [
        "MISSING_TRANSITION_TARGET"
    ]


def test_every_next_default_choice_and_catch_target_must_exist() -> None:
    definition = {
        "StartAt": "Route",
        "States": {
            "Route": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": "Gone1"}],
                "Default": "Gone2",
            },
            "Work": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:eu-west-1:123456789012:function:f",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Gone3"}],
                "Next": "Gone4",
            },
        },
    }

    found = diagnose(json.dumps(definition))

    assert [d.code for d in found] == ["MISSING_TRANSITION_TARGET"] * 4
    assert {d.message.rsplit(" ", 1)[-1] for d in found} == {"Gone1", "Gone2", "Gone3", "Gone4"}


def test_task_needs_a_resource_and_a_way_on() -> None:
    assert sorted(codes({"StartAt": "T", "States": {"T": {"Type": "Task"}}})) == [
        "MISSING_TRANSITION_TARGET",
        "SCHEMA_VALIDATION_FAILED",
    ]


def test_parallel_branches_are_checked_too() -> None:
    definition = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "End": True,
                "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Y"}}}],
            }
        },
    }

    assert codes(definition) == ["MISSING_TRANSITION_TARGET"]
