"""State machine task: record failure (the step itself: services/steps.py)."""

from jira_workflow.handlers.task import task_handler
from jira_workflow.models.tasks import FailureInput
from jira_workflow.services.steps import WorkflowSteps

handler = task_handler(FailureInput, WorkflowSteps.record_failure)
