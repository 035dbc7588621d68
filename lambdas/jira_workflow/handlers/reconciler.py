"""Scheduled safety net: start what webhooks missed, decide what Jira already shows."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from jira_workflow.container import container
from jira_workflow.observability import logger, metrics


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with container().deadline.bounded_by(context):
        return container().reconciler.run().as_dict()
