"""State machine task: enrich request (the step itself: services/steps.py)."""

from jira_workflow.handlers.task import task_handler
from jira_workflow.models.tasks import EnrichInput
from jira_workflow.services.steps import WorkflowSteps

handler = task_handler(EnrichInput, WorkflowSteps.enrich)
