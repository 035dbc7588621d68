"""`POST /jira/webhook`: Jira's native webhooks (HMAC-signed; no API key)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from jira_workflow.container import container
from jira_workflow.handlers.http import (
    api_resolver,
    json_response,
    raw_body,
    register_error_handlers,
)
from jira_workflow.observability import logger, metrics

app = api_resolver()
register_error_handlers(app)


@app.post("/jira/webhook")
def receive_webhook() -> Response[str]:
    event = app.current_event
    result = container().intake.receive(raw_body(event), dict(event.headers or {}))
    return json_response(result.status_code, result.body)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with container().deadline.bounded_by(context):
        return app.resolve(event, context)
