"""Diagnostics for an Amazon States Language definition, as ValidateStateMachineDefinition
returns them, so a broken ASL fails `terraform plan/apply` locally instead of at run time.

moto has no such action and its parser accepts transitions to states that do not exist;
these checks are the ones AWS reports as errors for our kind of definition.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

TERMINAL_TYPES = {"Succeed", "Fail"}
KNOWN_TYPES = {"Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"}


@dataclass(frozen=True)
class Diagnostic:
    """One finding: AWS's shape (severity, code, message, location)."""

    code: str
    message: str
    location: str
    severity: str = "ERROR"

    def to_api(self) -> dict[str, str]:
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "location": self.location,
        }


def diagnose(definition: str) -> list[Diagnostic]:
    """Every error found in `definition`; empty means valid."""
    try:
        document = json.loads(definition)
    except ValueError as error:
        return [Diagnostic("INVALID_JSON_DESCRIPTION", f"Definition is not JSON: {error}", "/")]
    if not isinstance(document, dict):
        return [Diagnostic("SCHEMA_VALIDATION_FAILED", "Definition must be a JSON object", "/")]
    return _diagnose_machine(document, "")


def _diagnose_machine(machine: dict[str, Any], location: str) -> list[Diagnostic]:
    """Checks one state machine (the top level, a Parallel branch or a Map processor)."""
    states = machine.get("States")
    if not isinstance(states, dict) or not states:
        return [
            Diagnostic(
                "SCHEMA_VALIDATION_FAILED",
                "States must be a non-empty object",
                f"{location}/States",
            )
        ]
    found: list[Diagnostic] = []
    start_at = machine.get("StartAt")
    if start_at not in states:
        found.append(
            Diagnostic(
                "MISSING_TRANSITION_TARGET",
                f"StartAt '{start_at}' is not a state",
                f"{location}/StartAt",
            )
        )
    for name, state in states.items():
        found.extend(_diagnose_state(name, state, states, f"{location}/States/{name}"))
    return found


def _diagnose_state(
    name: str, state: Any, states: dict[str, Any], location: str
) -> list[Diagnostic]:
    if not isinstance(state, dict) or state.get("Type") not in KNOWN_TYPES:
        return [
            Diagnostic(
                "SCHEMA_VALIDATION_FAILED", f"State '{name}' has no valid Type", f"{location}/Type"
            )
        ]
    found = [
        Diagnostic("MISSING_TRANSITION_TARGET", f"Missing 'Next' target: {target}", where)
        for target, where in _transitions(state, location)
        if target not in states
    ]
    state_type = state["Type"]
    ends = state_type in TERMINAL_TYPES or state_type == "Choice" or state.get("End") is True
    if not ends and "Next" not in state:
        found.append(
            Diagnostic(
                "MISSING_TRANSITION_TARGET", f"State '{name}' has neither Next nor End", location
            )
        )
    if state_type == "Task" and not state.get("Resource"):
        found.append(
            Diagnostic(
                "SCHEMA_VALIDATION_FAILED", f"Task '{name}' has no Resource", f"{location}/Resource"
            )
        )
    for index, branch in enumerate(state.get("Branches") or []):
        found.extend(_diagnose_machine(branch, f"{location}/Branches[{index}]"))
    processor = state.get("ItemProcessor") or state.get("Iterator")
    if isinstance(processor, dict):
        found.extend(_diagnose_machine(processor, f"{location}/ItemProcessor"))
    return found


def _transitions(state: dict[str, Any], location: str) -> list[tuple[Any, str]]:
    """Every (target, location) a state can move to."""
    targets: list[tuple[Any, str]] = []
    if "Next" in state:
        targets.append((state["Next"], f"{location}/Next"))
    if "Default" in state:
        targets.append((state["Default"], f"{location}/Default"))
    for index, choice in enumerate(state.get("Choices") or []):
        targets.append((choice.get("Next"), f"{location}/Choices[{index}]/Next"))
    for index, catcher in enumerate(state.get("Catch") or []):
        targets.append((catcher.get("Next"), f"{location}/Catch[{index}]/Next"))
    return targets
