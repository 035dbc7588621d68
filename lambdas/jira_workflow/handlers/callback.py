"""`POST /jira/callback`: a decision from Jira Automation ("Send web request"), API key.

Only a decide key may decide: API Gateway lets any key of a usage plan on the stage
through, and hands the function the key's id (`requestContext.identity.apiKeyId`); the
read key's id is not among DECISION_KEY_IDS and is refused here. The recorded actor is
the key's name, the authenticated caller; the body's free-text `actor` is kept as a note.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from jira_workflow.container import container
from jira_workflow.domain.errors import BodyTooLarge, CallerNotAllowed
from jira_workflow.domain.requests import ApprovalDecision
from jira_workflow.handlers.http import ApiEvent, HttpAnswer, Route, json_answer, raw_body
from jira_workflow.models.api import DecisionBody
from jira_workflow.models.json_body import json_document
from jira_workflow.observability import logger, metrics

MAX_CALLBACK_BYTES = 16_384

ROUTE = Route("POST", "/jira/callback")


def decide(event: ApiEvent) -> HttpAnswer:
    caller = _authenticated_decider(event)
    body = _decision_body(raw_body(event))
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
    return json_answer(
        200,
        {
            "issueKey": record.issue_key,
            "decision": body.decision.value,
            "actor": caller,
            "note": body.actor,
            "decidedAt": record.decided_at,
        },
    )


def _authenticated_decider(event: ApiEvent) -> str:
    """The name of the caller's API key; CallerNotAllowed unless it is a decide key."""
    identity = (event.get("requestContext") or {}).get("identity") or {}
    name = container().settings.decision_key_name(identity.get("apiKeyId"))
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
    return DecisionBody.from_document(json_document(raw, "body is not valid JSON"))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with container().deadline.bounded_by(context):
        return ROUTE.resolve(event, decide)
