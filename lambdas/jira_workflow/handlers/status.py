"""`GET /requests/{issueKey}`: where a request stands (API key)."""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from jira_workflow.container import container
from jira_workflow.domain.errors import MalformedBody, RequestNotFound
from jira_workflow.domain.requests import ISSUE_KEY_PATTERN, RequestRecord
from jira_workflow.handlers.http import ApiEvent, HttpAnswer, Route, json_answer, path_parameter
from jira_workflow.observability import logger, metrics

ROUTE = Route("GET", "/requests/{issueKey}")


def request_status(event: ApiEvent) -> HttpAnswer:
    issue_key = path_parameter(event, "issueKey")
    if not re.fullmatch(ISSUE_KEY_PATTERN, issue_key):
        raise MalformedBody("issueKey: must look like PROJ-123")
    logger.set_correlation_id(issue_key)
    table = container().table
    record = table.get(issue_key)
    if record is None:
        raise RequestNotFound(f"no request is recorded for {issue_key}")
    earlier = [r for r in table.history(issue_key) if r.execution_name != record.execution_name]
    return json_answer(200, status_document(record, earlier))


def status_document(
    record: RequestRecord, earlier: list[RequestRecord] | None = None
) -> dict[str, Any]:
    """The current request, and the earlier ones newest first.

    What callers may see: never the task token, which lives in a separate item.
    """
    return {
        **request_document(record),
        "history": [history_entry(r) for r in earlier or ()],
    }


def history_entry(record: RequestRecord) -> dict[str, Any]:
    """An earlier request: what happened, who decided, and when."""
    return {
        "state": record.state.value,
        "decision": record.decision.value if record.decision else None,
        "actor": record.actor or None,
        "decidedAt": record.decided_at or None,
        "createdAt": record.created_at,
        "updatedAt": record.updated_at,
        "executionArn": record.execution_arn or None,
        "fulfilmentId": record.fulfilment_id or None,
        "failureCause": record.failure_cause or None,
    }


def request_document(record: RequestRecord) -> dict[str, Any]:
    return {
        "issueKey": record.issue_key,
        "state": record.state.value,
        "decision": record.decision.value if record.decision else None,
        "actor": record.actor or None,
        "decidedAt": record.decided_at or None,
        "createdAt": record.created_at,
        "updatedAt": record.updated_at,
        "executionArn": record.execution_arn or None,
        "artifactKeys": list(record.artifact_keys),
        "riskScore": record.risk_score,
        "fulfilmentId": record.fulfilment_id or None,
        "failureCause": record.failure_cause or None,
        "reporting": record.reporting or None,
        "reportingProblem": record.reporting_problem or None,
    }


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return ROUTE.resolve(event, request_status)
