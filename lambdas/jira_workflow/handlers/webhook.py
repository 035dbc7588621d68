"""`POST /jira/webhook`: Jira's native webhooks (HMAC-signed; no API key)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from jira_workflow.container import container
from jira_workflow.handlers.http import (
    ApiEvent,
    HttpAnswer,
    Route,
    json_answer,
    raw_body,
    request_headers,
)
from jira_workflow.observability import logger, metrics

ROUTE = Route("POST", "/jira/webhook")


def receive_webhook(event: ApiEvent) -> HttpAnswer:
    result = container().intake.receive(raw_body(event), request_headers(event))
    return json_answer(result.status_code, result.body)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with container().deadline.bounded_by(context):
        return ROUTE.resolve(event, receive_webhook)
