"""State machine task: validate request (the step itself: services/steps.py)."""

from jira_workflow.handlers.task import task_handler
from jira_workflow.models.tasks import ValidateInput
from jira_workflow.services.steps import WorkflowSteps

handler = task_handler(ValidateInput, WorkflowSteps.validate)
