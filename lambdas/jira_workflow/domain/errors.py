"""Every failure the workflow can name, as types.

The class name is the contract: Lambda reports it as `errorType`, the state machine's
`Retry`/`Catch` match it in `ErrorEquals`, and `jira_workflow.handlers.http` maps the
API-facing ones to HTTP status codes once.
"""

from __future__ import annotations


class WorkflowError(Exception):
    """Base of every error the workflow raises on purpose."""


def workflow_error_names() -> frozenset[str]:
    """The `errorType`s whose messages we wrote ourselves, so they are fit to show people."""
    found: set[str] = set()
    pending: list[type[WorkflowError]] = [WorkflowError]
    while pending:
        kind = pending.pop()
        found.add(kind.__name__)
        pending.extend(kind.__subclasses__())
    return frozenset(found)


# ---- Retryable: the state machine retries these with backoff ------------------------


class RetryableError(WorkflowError):
    """A transient failure; the same call may succeed later."""


class ExternalServiceUnavailable(RetryableError):
    """The external API timed out or answered 5xx/429."""


class JiraUnavailable(RetryableError):
    """Jira timed out or answered 5xx/429 after the client's own retries.

    `may_have_applied`: a change (comment, transition) reached Jira but got no answer, so
    it may have been made; a retry must not repeat it blindly.
    """

    def __init__(self, message: str, *, may_have_applied: bool = False) -> None:
        super().__init__(message)
        self.may_have_applied = may_have_applied


# ---- Terminal: the state machine goes straight to the failure path ------------------


class InvalidRequest(WorkflowError):
    """The Jira issue does not describe a valid request; the reason is told to Jira."""


class ExternalServiceRejected(WorkflowError):
    """The external API answered 4xx: retrying the same call cannot help."""


class JiraRequestRejected(WorkflowError):
    """Jira answered 4xx (other than 404/429) to a well-formed call."""


class JiraIssueNotFound(JiraRequestRejected):
    """Jira answered 404 for the issue."""


class JiraTransitionUnavailable(JiraRequestRejected):
    """The issue's workflow has no transition to the wanted status from where it is."""


# ---- API-facing: mapped to HTTP status codes ---------------------------------------


class BadSignature(WorkflowError):
    """The webhook's X-Hub-Signature is missing or does not match."""


class MalformedBody(WorkflowError):
    """The body is not JSON or misses a field; the message names the problem."""


class BodyTooLarge(WorkflowError):
    """The body exceeds the configured limit."""


class CallerNotAllowed(WorkflowError):
    """The caller authenticated, but its API key may not do this (a read key deciding)."""


class RequestNotFound(WorkflowError):
    """No request is recorded for the issue."""


class NoPendingApproval(WorkflowError):
    """The issue has a request, but nothing is waiting for a decision."""


class ApprovalAlreadyDecided(WorkflowError):
    """Another decision won; carries the winner so the caller can be told which."""

    def __init__(self, decision: str, actor: str) -> None:
        super().__init__(f"approval already decided: {decision} by {actor}")
        self.decision = decision
        self.actor = actor


class ApprovalExpired(WorkflowError):
    """The approval timed out or its execution is closed; a decision is too late."""


class StartThrottled(RetryableError):
    """Step Functions throttled StartExecution or SendTaskSuccess/Failure; retry later.

    Named for the start, where it was first raised; the name is the contract with the
    ASL's `ErrorEquals` and the HTTP map, so it stays.
    """


class TransitionRefused(WorkflowError):
    """The request's life cycle does not allow the change from where the request is now
    (a late step of a request that has since moved on, or a terminal outcome)."""


class TaskCompletionFailed(RetryableError):
    """Step Functions refused SendTaskSuccess/Failure for a reason other than a closed task."""


class CompletionUnconfirmed(RetryableError):
    """Step Functions gave no answer to SendTaskSuccess: it may or may not have been applied.

    The decision stays recorded; the caller's retry or the reconciler sends it again.
    """


# ---- The reconciler ------------------------------------------------------------------


class ReconcileIncomplete(WorkflowError):
    """A reconciler phase failed; the others ran. Raised so the function's Errors alarm
    fires and the schedule runs it again; `report` holds what the run did."""

    def __init__(self, *failed_phases: str, report: dict[str, object] | None = None) -> None:
        super().__init__(f"reconciler phases failed: {', '.join(failed_phases)}")
        self.failed_phases = list(failed_phases)
        self.report = report or {}
