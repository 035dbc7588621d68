"""What the e2e tests share: the stack's test settings and how a person files a request."""

from __future__ import annotations

from dataclasses import dataclass

from local_cloud.driver import LocalStackSession

# The shortest approval timeout the root module accepts; the late-decision test waits it
# out while the other tests run (see the `late_request` fixture).
APPROVAL_TIMEOUT_SECONDS = 60
AUTO_APPROVE_MAX_RISK = 20
# Outbound HTTP and step-function timeouts, shorter than the module's defaults (10 s, 30 s):
# the Jira-down test waits out five attempts of a step, each ended by its HTTP budget.
# Same relation as production: a step's calls end 3 s before the function would be killed.
HTTP_TIMEOUT_SECONDS = 4
STEP_FUNCTION_TIMEOUT_SECONDS = 10
LOW_RISK = "risk-10"
HIGH_RISK = "risk-80"


@dataclass(frozen=True)
class LateRequest:
    issue_key: str
    approval_requested_at: float


def create_request(stack: LocalStackSession, summary: str, risk_label: str = HIGH_RISK) -> str:
    """A person files a Service Request in a trigger status; Jira sends the webhook."""
    return stack.jira.create_issue(
        "OPS",
        summary,
        issue_type="Service Request",
        status="Submitted",
        description=f"{summary}: needed for onboarding next week.",
        labels=[risk_label],
    )
