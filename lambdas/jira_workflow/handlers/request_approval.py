"""State machine task: request approval (the step itself: services/steps.py)."""

from jira_workflow.handlers.task import task_handler
from jira_workflow.models.tasks import ApprovalInput
from jira_workflow.services.steps import WorkflowSteps

handler = task_handler(ApprovalInput, WorkflowSteps.request_approval)
