"""Builds the adapters and services from settings, once per cold start and lazily.

Nothing here runs at import time: a function only creates the clients it uses, on its
first invocation. Tests call `reset()` between cases.

Operators' tools build one too, from the deployed functions' settings and with their own
AWS clients (`clients`: a region and, locally, the emulator's endpoint), so a runbook
action goes through the same services, clock and defaults as the workflow.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

import boto3

from jira_workflow.clock import epoch_seconds, utc_now
from jira_workflow.deadline import Deadline
from jira_workflow.models.settings import Settings

# Adapters and services are imported where they are built: each function then loads only
# what it uses (the status function needs neither requests nor the Jira client), which
# keeps its cold start short. See the Performance section of the README.
if TYPE_CHECKING:
    import requests

    from jira_workflow.adapters.artifacts import ArtifactStore
    from jira_workflow.adapters.completions import DecisionCompletions
    from jira_workflow.adapters.deliveries import Deliveries
    from jira_workflow.adapters.executions import Executions
    from jira_workflow.adapters.external_api import ExternalApi
    from jira_workflow.adapters.jira import JiraClient
    from jira_workflow.adapters.requests_table import RequestsTable
    from jira_workflow.adapters.secrets import SecretsReader
    from jira_workflow.services.approvals import Approvals
    from jira_workflow.services.approvers import ApproverCheck
    from jira_workflow.services.finalise import Finaliser
    from jira_workflow.services.intake import Intake
    from jira_workflow.services.operations import Operations
    from jira_workflow.services.reconcile import Reconciler
    from jira_workflow.services.steps import WorkflowSteps


# Makes the boto3 client for a service name ("dynamodb", "stepfunctions", ...).
ClientFactory = Callable[[str], Any]


class LazyClient:
    """Stands in for a boto3 client, made on the first attribute anyone reads."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._made: Any = None

    def __getattr__(self, name: str) -> Any:
        # Only called for names the stand-in lacks. Read through __dict__: a copy being
        # built has no `_make` yet, and self._make would come back here for ever.
        state = self.__dict__
        if "_make" not in state:
            raise AttributeError(name)
        if state["_made"] is None:
            state["_made"] = state["_make"]()
        return getattr(state["_made"], name)


class Container:
    def __init__(
        self,
        settings: Settings,
        session: boto3.session.Session | None = None,
        *,
        clients: ClientFactory | None = None,
    ) -> None:
        """`clients` replaces `session.client` for callers outside Lambda (operators' tools)."""
        self.settings = settings
        self._session = session or boto3.session.Session()
        self._clients = clients
        self._client_of: dict[str, LazyClient] = {}
        # Started per invocation by the handlers; the clients read it before every call.
        self.deadline = Deadline()

    def _client(self, service: str) -> Any:
        """One client per service, made when first called: a function's services hold
        adapters it may never use on a path (the webhook's S3, Step Functions and Lambda on a
        repeated delivery), and a boto3 client costs 5-80 ms to make at a cold start."""
        if service not in self._client_of:
            self._client_of[service] = LazyClient(lambda: self._new_client(service))
        return self._client_of[service]

    def _new_client(self, service: str) -> Any:
        if self._clients is not None:
            return self._clients(service)
        return self._session.client(service)  # type: ignore[call-overload]

    # ---- adapters ---------------------------------------------------------------------

    @cached_property
    def table(self) -> RequestsTable:
        from jira_workflow.adapters.requests_table import RequestsTable

        return RequestsTable(self._client("dynamodb"), self.settings.requests_table)

    @cached_property
    def deliveries(self) -> Deliveries:
        from jira_workflow.adapters.deliveries import Deliveries

        return Deliveries(self._client("dynamodb"), self.settings.requests_table)

    @cached_property
    def artifacts(self) -> ArtifactStore:
        from jira_workflow.adapters.artifacts import ArtifactStore

        return ArtifactStore(self._client("s3"), self.settings.artifacts_bucket)

    @cached_property
    def executions(self) -> Executions:
        from jira_workflow.adapters.executions import Executions

        return Executions(self._client("stepfunctions"), self.settings.state_machine_arn)

    @cached_property
    def completions(self) -> DecisionCompletions:
        from jira_workflow.adapters.completions import DecisionCompletions

        return DecisionCompletions(self._client("lambda"), self.settings.complete_decision_function)

    @cached_property
    def secrets(self) -> SecretsReader:
        from aws_lambda_powertools.utilities.parameters import SecretsProvider

        from jira_workflow.adapters.secrets import SecretsReader

        provider = SecretsProvider(boto3_client=self._client("secretsmanager"))
        return SecretsReader(provider, self.settings.secrets_max_age_seconds)

    @cached_property
    def http(self) -> requests.Session:
        import requests

        return requests.Session()

    def jira(self) -> JiraClient:
        return self._jira

    @cached_property
    def _jira(self) -> JiraClient:
        from jira_workflow.adapters.jira import JiraClient

        secret_id = self.settings.jira_api_secret_arn
        return JiraClient(
            self.settings.jira_base_url,
            lambda: self.secrets.jira_credentials(secret_id),
            session=self.http,
            timeout_seconds=self.settings.http_timeout_seconds,
            remaining=self.deadline.remaining,
        )

    def external_api(self) -> ExternalApi:
        return self._external_api

    @cached_property
    def _external_api(self) -> ExternalApi:
        from jira_workflow.adapters.external_api import ExternalApi

        secret_id = self.settings.external_api_secret_arn
        return ExternalApi(
            self.http,
            self.settings.enrich_api_url,
            self.settings.fulfil_api_url,
            lambda: self.secrets.external_api_token(secret_id),
            self.settings.http_timeout_seconds,
            remaining=self.deadline.remaining,
        )

    # ---- services ---------------------------------------------------------------------

    @cached_property
    def approvals(self) -> Approvals:
        from jira_workflow.services.approvals import Approvals

        return Approvals(self.table, self.executions, self.jira, utc_now, epoch_seconds)

    @cached_property
    def approvers(self) -> ApproverCheck:
        from jira_workflow.services.approvers import ApproverCheck

        return ApproverCheck(
            self.settings.approver_group,
            self.settings.trigger.approval_pending_status,
            self.table,
            self.jira,
            utc_now,
        )

    @cached_property
    def intake(self) -> Intake:
        from jira_workflow.services.intake import Intake

        secret_id = self.settings.jira_webhook_secret_arn
        return Intake(
            rule=self.settings.trigger.rule(),
            max_body_bytes=self.settings.max_webhook_bytes,
            webhook_secrets=lambda: self.secrets.webhook_secrets(secret_id),
            table=self.table,
            artifacts=self.artifacts,
            executions=self.executions,
            approvals=self.approvals,
            now=utc_now,
            approvers=self.approvers,
            deliveries=self.deliveries,
            max_webhook_age=timedelta(seconds=self.settings.webhook_max_age_seconds),
            completions=self.completions,
        )

    @cached_property
    def steps(self) -> WorkflowSteps:
        from jira_workflow.services.steps import WorkflowSteps

        return WorkflowSteps(
            self.settings,
            self.table,
            self.artifacts,
            self.external_api,
            self.jira,
            utc_now,
            epoch_seconds,
            # Lazy: only a retried approval step needs Step Functions' client.
            finish_decision=lambda record: self.approvals.finish_unconfirmed(record),  # noqa: PLW0108
        )

    @cached_property
    def operations(self) -> Operations:
        from jira_workflow.services.operations import Operations

        return Operations(
            self.settings,
            self.table,
            self.executions,
            self.approvals,
            self.jira,
            utc_now,
            epoch_seconds,
        )

    @cached_property
    def finaliser(self) -> Finaliser:
        from jira_workflow.services.finalise import Finaliser

        return Finaliser(
            self.table,
            self.executions,
            self.jira,
            utc_now,
            self.settings.state_machine_arn,
            self.settings.trigger.failed_status,
        )

    @cached_property
    def reconciler(self) -> Reconciler:
        from jira_workflow.services.reconcile import Reconciler

        return Reconciler(
            self.settings.trigger.rule(),
            self.table,
            self.artifacts,
            self.executions,
            self.approvals,
            self.jira,
            utc_now,
            timedelta(seconds=self.settings.approval_timeout_seconds),
            self.settings.reconcile_lookback_hours,
            approvers=self.approvers,
            finaliser=self.finaliser,
        )


_containers: dict[tuple[str | None, ...], Container] = {}


def container() -> Container:
    """The container for the current settings.

    Keyed by the settings' environment values rather than cached once, because the local
    emulator runs every function in one process, each with its own environment.
    """
    key = tuple(os.environ.get(name) for name in Settings.environment_names())
    if key not in _containers:
        _containers[key] = Container(Settings.from_env())
    return _containers[key]


def reset() -> None:
    """Forget the cached containers (tests change the environment between cases)."""
    _containers.clear()
