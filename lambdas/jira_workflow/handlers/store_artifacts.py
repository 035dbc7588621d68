"""State machine task: store artifacts (the step itself: services/steps.py)."""

from jira_workflow.handlers.task import task_handler
from jira_workflow.models.tasks import StoreInput
from jira_workflow.services.steps import WorkflowSteps

handler = task_handler(StoreInput, WorkflowSteps.store)
