"""The state machine's task functions in the cold-start bench.

Each sample gets a new Jira issue and a new request at the stage its task expects, so every
first invocation does the work of a real one (a conditional write that succeeds, a comment
not posted yet), never a retry's shortcut. The tasks' Jira and external API calls go to the
fake Jira and the mock external API on 127.0.0.1, over HTTP as in the local cloud.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3

from jira_workflow.adapters.artifacts import artifact_key
from jira_workflow.adapters.requests_table import RequestsTable
from jira_workflow.domain.execution_name import execution_name
from jira_workflow.domain.lifecycle import Event
from jira_workflow.services.steps import request_document, request_from_payload
from local_cloud.external_api_server import ExternalApiServer
from local_cloud.fake_jira.fake import FakeJira

BUCKET = "bench-artifacts"
PROJECT = "STEP"  # apart from the API cases' issue
ACCOUNT = "123456789012"  # moto's default account, in the region the bench's session uses
NOW = "2026-11-28T00:00:00Z"
# The statuses a deployment names (terraform/variables.tf defaults), so the tasks move issues.
STATUSES = {
    "APPROVAL_PENDING_STATUS": "Awaiting Approval",
    "DONE_STATUS": "Done",
    "FAILED_STATUS": "Failed",
}

# A sample's event, made after its (untimed) setup.
EventFor = Callable[[int], dict[str, Any]]


@dataclass(frozen=True)
class StepCase:
    handler: str  # the module under jira_workflow.handlers, as terraform/permissions names it
    event_for: EventFor
    # The keys of the task's output (a state machine task answers no status code).
    expected_output: list[str]

    @property
    def function(self) -> str:
        return self.handler.replace("_", "-")

    @property
    def module(self) -> str:
        return f"jira_workflow.handlers.{self.handler}"


class StepStage:
    """The AWS resources, Jira issues and requests the tasks' first invocations find."""

    def __init__(
        self, session: boto3.session.Session, endpoint: str, table: str, jira: FakeJira
    ) -> None:
        self._s3 = session.client("s3", endpoint_url=endpoint)
        self._s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        self._table = RequestsTable(session.client("dynamodb", endpoint_url=endpoint), table)
        self._jira = jira

    def request(self, sample: int, jira_status: str, events: tuple[Event, ...]) -> tuple[str, str]:
        """A new issue in `jira_status` and its request after `events`: (issue key, name)."""
        key = self._jira.create_issue(PROJECT, f"bench sample {sample}", status=jira_status)
        name = execution_name(key, f"bench-{sample}")
        payload_key = f"webhooks/{key}/{name}.json"
        self._put(payload_key, jira_payload(key))
        if not self._table.claim(key, name, f"bench-{sample}", payload_key, NOW).claimed:
            raise RuntimeError(f"{key} already has a request: each sample needs a new one")
        for event in events:
            self._table.advance(key, name, event, NOW, **EVENT_ATTRIBUTES.get(event, {}))
        return key, name

    def request_document(self, key: str, name: str) -> str:
        """The validated request, stored as Validate stores it; its S3 key."""
        document = request_document(request_from_payload(jira_payload(key)))
        return self._put(artifact_key(key, name, "request.json"), document)

    def _put(self, key: str, document: dict[str, Any]) -> str:
        self._s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(document).encode())
        return key


EVENT_ATTRIBUTES: dict[Event, dict[str, Any]] = {
    Event.APPROVED: {
        "decision": "approved",
        "actor": "Bob Approver",
        "decided_at": NOW,
        "decision_comment": "",
        "decision_source": "jira",
    },
}
RUNNING = (Event.STARTED,)
AWAITING = (Event.STARTED, Event.APPROVAL_REQUESTED)
APPROVED = (*AWAITING, Event.APPROVED)


def jira_payload(key: str) -> dict[str, Any]:
    """What Validate reads: the issue as the webhook delivered it."""
    return {
        "webhookEvent": "jira:issue_created",
        "issue": {
            "key": key,
            "fields": {
                "project": {"key": PROJECT},
                "issuetype": {"name": "Service Request"},
                "status": {"name": "Submitted"},
                "summary": "bench",
                "reporter": {"displayName": "Alice Reporter"},
                "priority": {"name": "Medium"},
            },
        },
    }


def task(key: str, name: str, **fields: Any) -> dict[str, Any]:
    return {"issueKey": key, "executionName": name, **fields}


def step_cases(stage: StepStage) -> list[StepCase]:
    """One case per task of the state machine, each on the path a happy request takes
    (RecordFailure: a fulfilment that failed after approval)."""

    def validate(n: int) -> dict[str, Any]:
        key, name = stage.request(n, "Submitted", ())
        arn = f"arn:aws:states:eu-west-1:{ACCOUNT}:execution:bench:{name}"
        return task(key, name, payloadKey=f"webhooks/{key}/{name}.json", executionArn=arn)

    def enrich(n: int) -> dict[str, Any]:
        key, name = stage.request(n, "Submitted", RUNNING)
        return task(key, name, requestKey=stage.request_document(key, name))

    def store(n: int) -> dict[str, Any]:
        key, name = stage.request(n, "Submitted", RUNNING)
        enrichment = artifact_key(key, name, "enrichment.json")
        request_key = stage.request_document(key, name)
        return task(key, name, requestKey=request_key, enrichmentKey=enrichment, riskScore=50)

    def request_approval(n: int) -> dict[str, Any]:
        key, name = stage.request(n, "Submitted", RUNNING)
        return task(key, name, taskToken=f"bench-token-{n}")

    def fulfil(n: int) -> dict[str, Any]:
        key, name = stage.request(n, "Approved", APPROVED)
        return task(key, name, requestKey=stage.request_document(key, name))

    def report(n: int) -> dict[str, Any]:
        key, name = stage.request(n, "Approved", APPROVED)
        return task(key, name, outcome="fulfilled", fulfilmentId=f"bench-{n}")

    def record_failure(n: int) -> dict[str, Any]:
        key, name = stage.request(n, "Approved", APPROVED)
        return task(key, name, error="ExternalServiceUnavailable", cause="fulfil: timed out")

    return [
        StepCase("validate_request", validate, ["requestKey"]),
        StepCase("enrich_request", enrich, ["enrichmentKey", "riskScore"]),
        StepCase("store_artifacts", store, ["autoApproved", "manifestKey"]),
        StepCase("request_approval", request_approval, ["awaiting"]),
        StepCase("fulfil_request", fulfil, ["fulfilmentId", "fulfilmentKey"]),
        StepCase("report_outcome", report, ["outcome", "state"]),
        StepCase("record_failure", record_failure, ["error", "state"]),
    ]


@contextmanager
def step_stage(
    session: boto3.session.Session, endpoint: str, table: str
) -> Iterator[tuple[StepStage, dict[str, str]]]:
    """The fake Jira and the mock external API running, the bucket and the credentials in
    place: the stage, and the environment the tasks read."""
    secrets = session.client("secretsmanager", endpoint_url=endpoint)
    with FakeJira(projects=(PROJECT,)) as jira:
        external = ExternalApiServer().start()
        try:
            jira_secret = secrets.create_secret(
                Name="bench/jira-api",
                SecretString=json.dumps({"email": jira.email, "api_token": jira.api_token}),
            )
            api_secret = secrets.create_secret(
                Name="bench/external-api", SecretString=json.dumps({"token": "bench-token"})
            )
            environment = {
                "REQUESTS_TABLE": table,
                "ARTIFACTS_BUCKET": BUCKET,
                "JIRA_BASE_URL": jira.url,
                "JIRA_API_SECRET_ARN": str(jira_secret["ARN"]),
                "EXTERNAL_API_SECRET_ARN": str(api_secret["ARN"]),
                "ENRICH_API_URL": f"{external.url}/mock/enrich",
                "FULFIL_API_URL": f"{external.url}/mock/fulfil",
                **STATUSES,
            }
            yield StepStage(session, endpoint, table, jira), environment
        finally:
            external.stop()
