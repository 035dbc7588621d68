"""EventBridge target: an execution ended FAILED, TIMED_OUT or ABORTED; close its request."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from jira_workflow.container import container
from jira_workflow.models.execution_events import ExecutionStatusChange
from jira_workflow.models.reader import UnreadableEvent
from jira_workflow.observability import logger, metrics


@logger.inject_lambda_context(correlation_id_path="detail.name")
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        change = ExecutionStatusChange.from_event(event)
    except UnreadableEvent as exc:
        # Retrying an event we cannot read cannot help: say why and drop it.
        logger.error("not an execution status change", extra={"problems": str(exc)})
        return {"left": f"not an execution status change: {exc}"}
    with container().deadline.bounded_by(context):
        finaliser = container().finaliser
        result = finaliser.on_status_change(change.execution, change.state_machine_arn)
        return result.as_dict()
