"""The shape every state machine task handler shares: validate input, call one step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools.utilities.typing import LambdaContext

from jira_workflow.container import container
from jira_workflow.models.tasks import TaskInput
from jira_workflow.observability import logger, metrics
from jira_workflow.services.steps import WorkflowSteps

Task = TypeVar("Task", bound=TaskInput)
LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def task_handler(
    model: type[Task], step: Callable[[WorkflowSteps, Task], dict[str, Any]]
) -> LambdaHandler:
    @logger.inject_lambda_context(correlation_id_path="issueKey")
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        # Outbound calls stop in time for the step to report a retryable error.
        with container().deadline.bounded_by(context):
            return step(container().steps, model.from_event(event))

    return handler
