"""EventBridge target: an execution ended FAILED, TIMED_OUT or ABORTED; close its request."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from jira_workflow.container import container
from jira_workflow.models.execution_events import ExecutionStatusChange
from jira_workflow.models.validation import field_problems
from jira_workflow.observability import logger, metrics


@logger.inject_lambda_context(correlation_id_path="detail.name")
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        change = ExecutionStatusChange.model_validate(event)
    except ValidationError as exc:
        # Retrying an event we cannot read cannot help: say why and drop it.
        logger.error("not an execution status change", extra={"problems": field_problems(exc)})
        return {"left": f"not an execution status change: {field_problems(exc)}"}
    with container().deadline.bounded_by(context):
        finaliser = container().finaliser
        result = finaliser.on_status_change(
            change.ended_execution(), change.detail.state_machine_arn
        )
        return result.as_dict()
