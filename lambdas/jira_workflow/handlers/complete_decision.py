"""Async invoke from the webhook: complete a decision it recorded, with the task token.

The webhook's role cannot read task tokens; this one can. Nothing here raises for Lambda
to retry: a completion without an answer stays recorded with its token, and the
reconciler finishes it (resending is safe there, not here).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from jira_workflow.container import container
from jira_workflow.models.completion import completion_request
from jira_workflow.models.reader import UnreadableEvent
from jira_workflow.observability import logger, metrics


@logger.inject_lambda_context(correlation_id_path="issueKey")
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        request = completion_request(event)
    except UnreadableEvent as exc:
        logger.error("not a completion request", extra={"problems": str(exc)})
        return {"left": f"not a completion request: {exc}"}
    with container().deadline.bounded_by(context):
        return {"outcome": container().approvals.complete_requested(request)}
