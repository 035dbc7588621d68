"""Step Functions status change events as EventBridge delivers them (committed sample)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "eventbridge"
_STATUS_CHANGE = json.loads((SAMPLE / "step_functions_execution_status_change.json").read_text())


def status_change(
    execution_arn: str,
    status: str,
    *,
    execution_input: dict[str, Any] | None = None,
    error: str | None = None,
    cause: str | None = None,
    state_machine_arn: str | None = None,
) -> dict[str, Any]:
    """The sample event for `execution_arn`; `execution_input` None leaves the input out."""
    event: dict[str, Any] = copy.deepcopy(_STATUS_CHANGE)
    prefix, _, rest = execution_arn.partition(":execution:")
    machine, _, name = rest.partition(":")
    detail = event["detail"]
    event["resources"] = [execution_arn]
    detail.update(
        executionArn=execution_arn,
        stateMachineArn=state_machine_arn or f"{prefix}:stateMachine:{machine}",
        name=name,
        status=status,
        error=error,
        cause=cause,
        input=json.dumps(execution_input) if execution_input is not None else None,
        inputDetails={"included": execution_input is not None},
    )
    return event
