"""`POST /jira/callback`: a decision from Jira Automation ("Send web request"), API key.

Only a decide key may decide: API Gateway lets any key of a usage plan on the stage
through, and hands the function the key's id (`requestContext.identity.apiKeyId`); the
read key's id is not among DECISION_KEY_IDS and is refused here. The recorded actor is
the key's name, the authenticated caller; the body's free-text `actor` is kept as a note.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from jira_workflow.container import container
from jira_workflow.domain.errors import BodyTooLarge, CallerNotAllowed
from jira_workflow.domain.requests import ApprovalDecision
from jira_workflow.handlers.http import (
    api_resolver,
    json_response,
    raw_body,
    register_error_handlers,
)
from jira_workflow.models.api import DecisionBody
from jira_workflow.models.json_body import json_document
from jira_workflow.models.validation import parse_body
from jira_workflow.observability import logger, metrics

MAX_CALLBACK_BYTES = 16_384

app = api_resolver()
register_error_handlers(app)


@app.post("/jira/callback")
def decide() -> Response[str]:
    caller = _authenticated_decider()
    body = _decision_body(raw_body(app.current_event))
    logger.set_correlation_id(body.issueKey)
    record = container().approvals.decide(
        ApprovalDecision(
            issue_key=body.issueKey,
            decision=body.decision,
            actor=caller,
            comment=decision_comment(body.actor, body.comment),
            source="callback",
        )
    )
    return json_response(
        200,
        {
            "issueKey": record.issue_key,
            "decision": body.decision.value,
            "actor": caller,
            "note": body.actor,
            "decidedAt": record.decided_at,
        },
    )


def _authenticated_decider() -> str:
    """The name of the caller's API key; CallerNotAllowed unless it is a decide key."""
    identity = app.current_event.request_context.identity
    name = container().settings.decision_key_name(identity.api_key_id)
    if name is None:
        raise CallerNotAllowed("this API key may read requests but not decide them")
    return name


def decision_comment(note: str, comment: str) -> str:
    """The caller's free-text actor, kept beside its comment: said, not authenticated."""
    if not note:
        return comment
    return f"(sent for {note}) {comment}".rstrip()


def _decision_body(raw: str | bytes) -> DecisionBody:
    if len(raw) > MAX_CALLBACK_BYTES:
        raise BodyTooLarge(f"body is larger than {MAX_CALLBACK_BYTES} bytes")
    return parse_body(DecisionBody, json_document(raw, "body is not valid JSON"))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with container().deadline.bounded_by(context):
        return app.resolve(event, context)
