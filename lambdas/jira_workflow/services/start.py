"""The one way a request starts, for the webhook and the reconciler alike: claim the issue,
store the payload, start the execution (its input built here, once), record its ARN."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jira_workflow.adapters.artifacts import ArtifactStore, webhook_payload_key
from jira_workflow.adapters.executions import Executions, StartedExecution
from jira_workflow.adapters.requests_table import ClaimOutcome, RequestsTable
from jira_workflow.domain.execution_name import execution_name
from jira_workflow.domain.requests import RequestRecord


@dataclass(frozen=True)
class RequestStart:
    """One delivery's request: its execution's name and its payload's key."""

    issue_key: str
    delivery_id: str
    execution_name: str
    payload_key: str

    @classmethod
    def of(cls, issue_key: str, delivery_id: str) -> RequestStart:
        """A new request: its names follow from the issue and the delivery."""
        name = execution_name(issue_key, delivery_id)
        return cls(issue_key, delivery_id, name, webhook_payload_key(issue_key, name))

    @classmethod
    def of_record(cls, record: RequestRecord) -> RequestStart:
        """A claimed request, as its record names it."""
        return cls(record.issue_key, record.delivery_id, record.execution_name, record.payload_key)

    def execution_input(self) -> dict[str, Any]:
        """References only: the steps read the payload from S3 by its key."""
        return {
            "issueKey": self.issue_key,
            "payloadKey": self.payload_key,
            "deliveryId": self.delivery_id,
        }


class RequestStarter:
    def __init__(
        self,
        table: RequestsTable,
        artifacts: ArtifactStore,
        executions: Executions,
        now: Callable[[], str],
    ) -> None:
        self._table = table
        self._artifacts = artifacts
        self._executions = executions
        self._now = now

    def claim(self, start: RequestStart) -> ClaimOutcome:
        """Make this the issue's request, unless one is active (see RequestsTable.claim)."""
        return self._table.claim(
            start.issue_key, start.execution_name, start.delivery_id, start.payload_key, self._now()
        )

    def launch(
        self, start: RequestStart, payload: bytes | dict[str, Any] | None
    ) -> StartedExecution:
        """Store the payload (None: stored by an earlier attempt), start, record the ARN.

        Safe to repeat: the execution name is the delivery's, so a second start finds the
        first, and reports its status (`closed`: it ended; nothing was started now).
        """
        if isinstance(payload, bytes):
            self._artifacts.put_raw(start.payload_key, payload)
        elif payload is not None:
            self._artifacts.put_json(start.payload_key, payload)
        started = self._executions.start(start.execution_name, start.execution_input())
        self._table.update(
            start.issue_key, start.execution_name, self._now(), execution_arn=started.execution_arn
        )
        return started
