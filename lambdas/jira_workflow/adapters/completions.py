"""Lambda: ask the complete_decision function to complete a recorded decision.

The webhook records a decision but its role cannot read task tokens; the completion runs
in complete_decision, invoked asynchronously so the webhook answers Jira at once.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from jira_workflow.domain.requests import CompletionRequest
from jira_workflow.observability import count, logger

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient

    from jira_workflow.domain.requests import RequestRecord


class DecisionCompletions:
    def __init__(self, client: LambdaClient, function_name: str) -> None:
        self._client = client
        self._function_name = function_name

    def request(self, record: RequestRecord, *, resend: bool = False) -> None:
        """Best effort: a lost request leaves an unconfirmed completion, which the
        reconciler finishes (its decision stays recorded, its token stored)."""
        request = CompletionRequest(
            record.issue_key, record.execution_name, record.decided_at, resend
        )
        try:
            self._client.invoke(
                FunctionName=self._function_name,
                InvocationType="Event",
                Payload=json.dumps(completion_event(request)).encode(),
            )
        except (BotoCoreError, ClientError) as exc:
            count("CompletionRequestsLost")
            logger.warning(
                "could not ask for the decision's completion; the reconciler will finish it",
                extra={"issue_key": record.issue_key, "error": str(exc)},
            )


def completion_event(request: CompletionRequest) -> dict[str, object]:
    """complete_decision's event (models.completion reads it)."""
    return {
        "issueKey": request.issue_key,
        "executionName": request.execution_name,
        "decidedAt": request.decided_at,
        "resend": request.resend,
    }
