"""`POST /jira/callback`: a decision from Jira Automation ("Send web request"), API key."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from jira_workflow.container import container
from jira_workflow.domain.errors import BodyTooLarge
from jira_workflow.domain.requests import ApprovalDecision
from jira_workflow.handlers.http import ApiEvent, HttpAnswer, Route, json_answer, raw_body
from jira_workflow.models.api import DecisionBody
from jira_workflow.models.json_body import json_document
from jira_workflow.observability import logger, metrics

MAX_CALLBACK_BYTES = 16_384

ROUTE = Route("POST", "/jira/callback")


def decide(event: ApiEvent) -> HttpAnswer:
    body = _decision_body(raw_body(event))
    logger.set_correlation_id(body.issueKey)
    record = container().approvals.decide(
        ApprovalDecision(
            issue_key=body.issueKey,
            decision=body.decision,
            actor=body.actor,
            comment=body.comment,
            source="callback",
        )
    )
    return json_answer(
        200,
        {
            "issueKey": record.issue_key,
            "decision": body.decision.value,
            "actor": body.actor,
            "decidedAt": record.decided_at,
        },
    )


def _decision_body(raw: str | bytes) -> DecisionBody:
    if len(raw) > MAX_CALLBACK_BYTES:
        raise BodyTooLarge(f"body is larger than {MAX_CALLBACK_BYTES} bytes")
    return DecisionBody.from_document(json_document(raw, "body is not valid JSON"))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    with container().deadline.bounded_by(context):
        return ROUTE.resolve(event, decide)
