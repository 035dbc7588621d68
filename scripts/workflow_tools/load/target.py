"""The stack a load run drives: started here through the local cloud's driver (with its
fake Jira in this process), everything reached over HTTP on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from jira_workflow.adapters.adf import adf_to_text
from local_cloud.driver import LocalStackSession
from local_cloud.fake_jira.model import FakeUser
from workflow_tools import build_lambda
from workflow_tools.load.report import Latencies


class LoadError(RuntimeError):
    """The run could not go on; the message is the one-line reason."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    retry_after: float | None


class LoadTarget:
    """Signed webhooks, callbacks and status reads against the stack, each one timed."""

    def __init__(self, session: LocalStackSession, latencies: Latencies) -> None:
        self.session = session
        self.info = session.info
        self.jira = session.jira
        self.latencies = latencies
        self._local = threading.local()

    # ---- HTTP -------------------------------------------------------------------------

    def _http(self) -> requests.Session:
        # One connection pool per worker thread: requests.Session is not thread-safe.
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
            self._local.session.trust_env = False  # 127.0.0.1 only, never through a proxy
        http: requests.Session = self._local.session
        return http

    def _timed(self, kind: str, method: str, url: str, **kwargs: Any) -> Answer:
        started = time.perf_counter()
        response = self._http().request(method, url, timeout=60, **kwargs)
        self.latencies.add(kind, time.perf_counter() - started)
        try:
            body = response.json()
        except ValueError:
            body = {"raw": response.text[:200]}
        retry_after = response.headers.get("Retry-After")
        return Answer(
            response.status_code,
            body if isinstance(body, dict) else {"value": body},
            float(retry_after) if retry_after else None,
        )

    def send_webhook(self, body: bytes, delivery_id: str, kind: str = "webhook") -> Answer:
        digest = hmac.new(self.info["webhook_secret"].encode(), body, hashlib.sha256)
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature": f"sha256={digest.hexdigest()}",
            "X-Atlassian-Webhook-Identifier": delivery_id,
        }
        return self._timed(kind, "POST", self.info["webhook_url"], data=body, headers=headers)

    def send_decision(self, issue_key: str, decision: str, actor: str) -> Answer:
        body = {"issueKey": issue_key, "decision": decision, "actor": actor}
        headers = {"x-api-key": self.info["api_key"]}
        return self._timed(
            "callback", "POST", self.info["callback_url"], json=body, headers=headers
        )

    def status(self, issue_key: str) -> Answer:
        url = self.info["status_url"].replace("{issueKey}", issue_key)
        return self._timed("status", "GET", url, headers={"x-api-key": self.info["api_key"]})

    # ---- knobs ------------------------------------------------------------------------

    def throttle_start_execution(self, rate: float) -> None:
        """The emulator's fault hook: StartExecution answers ThrottlingException at `rate`."""
        url = f"{self.info['control_url']}/faults"
        response = self._http().put(url, json={"start_execution_throttle_rate": rate}, timeout=30)
        if response.status_code != 200:
            raise LoadError(f"the emulator refused the throttling fault: {response.text[:200]}")

    def set_external_faults(self, plan: dict[str, Any]) -> None:
        self.session.set_mock_faults(plan)

    # ---- reading back -----------------------------------------------------------------

    def executions(self) -> list[dict[str, Any]]:
        sfn = self.session.client("stepfunctions")
        found: list[dict[str, Any]] = []
        for page in sfn.get_paginator("list_executions").paginate(
            stateMachineArn=self.info["state_machine_arn"]
        ):
            found += page["executions"]
        return found

    def records(self) -> dict[str, dict[str, Any]]:
        """Each issue's current request, by issue key (a scan: the table holds only this run).

        An issue's CURRENT item names its current request's item (`REQUEST#<execution>`).
        """
        dynamodb = self.session.client("dynamodb")
        requests: dict[tuple[str, str], dict[str, Any]] = {}
        current: dict[str, str] = {}
        for page in dynamodb.get_paginator("scan").paginate(TableName=self.info["requests_table"]):
            for item in page["Items"]:
                key, sort_key = item["pk"]["S"], item["sk"]["S"]
                if sort_key == "CURRENT":
                    current[key] = item["execution_name"]["S"]
                elif sort_key.startswith("REQUEST#"):
                    requests[(key, sort_key)] = {k: _plain(v) for k, v in item.items()}
        return {
            key: requests[(key, f"REQUEST#{name}")]
            for key, name in current.items()
            if (key, f"REQUEST#{name}") in requests
        }


def _plain(value: dict[str, Any]) -> Any:
    ((kind, raw),) = value.items()
    if kind == "N":
        return float(raw)
    if kind == "L":
        return [_plain(v) for v in raw]
    if kind == "M":
        return {k: _plain(v) for k, v in raw.items()}
    return raw


def start_stack(
    state_dir: Path, terraform_dir: Path | None, http_timeout: int
) -> LocalStackSession:
    """The local stack with the settings the scenarios rely on (see workflow_tools.load)."""
    build_lambda.build_for_emulator()
    session = LocalStackSession(
        state_dir,
        terraform_variables={
            "auto_approve_max_risk": AUTO_APPROVE_MAX_RISK,
            # Short outbound timeouts so the "timeout" fault costs seconds, not tens.
            "http_timeout_seconds": http_timeout,
        },
        terraform_dir=terraform_dir,
    )
    try:
        session.start()
    except RuntimeError as error:
        session.stop()
        raise LoadError(f"the local stack did not start: {error}") from None
    return session


AUTO_APPROVE_MAX_RISK = 20
LOW_RISK, HIGH_RISK = "risk-10", "risk-80"


def create_request(jira: Any, summary: str, risk_label: str) -> str:
    """A Service Request in the trigger status, as a person files it (no webhook of its own:
    the load run delivers it, with its duplicates)."""
    key: str = jira.create_issue(
        "OPS",
        summary,
        status="Submitted",
        description=f"{summary}: needed for the load test.",
        labels=[risk_label],
        notify=False,
    )
    return key


def issue_created_body(jira: Any, issue_key: str) -> bytes:
    """The `jira:issue_created` delivery Jira sends for an issue of the fake."""
    issue = jira.issue(issue_key)
    return _webhook(issue, "jira:issue_created", jira.user("Alice Reporter"), None)


def status_changed_body(
    jira: Any, issue_key: str, to_status: str, actor: str, timestamp_ms: int | None = None
) -> bytes:
    """A status change Jira sends now, or at `timestamp_ms` (epoch ms: a captured one)."""
    issue = jira.issue(issue_key)
    changelog = {
        "id": "1",
        "items": [
            {
                "field": "status",
                "fieldtype": "jira",
                "fromString": issue.status,
                "toString": to_status,
            }
        ],
    }
    # The mover as Jira names them: the fake's user, so the approver check finds its groups.
    mover = jira.user(actor)
    return _webhook(issue, "jira:issue_updated", mover, changelog, to_status, timestamp_ms)


def _webhook(
    issue: Any,
    event: str,
    actor: FakeUser,
    changelog: dict[str, Any] | None,
    status: str | None = None,
    timestamp_ms: int | None = None,
) -> bytes:
    payload: dict[str, Any] = {
        "timestamp": int(time.time() * 1000) if timestamp_ms is None else timestamp_ms,
        "webhookEvent": event,
        "user": {"displayName": actor.display_name, "accountId": actor.account_id},
        "issue": {
            "id": issue.id,
            "key": issue.key,
            "fields": {
                "project": {"key": issue.project_key},
                "issuetype": {"name": issue.issue_type},
                "status": {"name": status or issue.status},
                "summary": issue.summary,
                # Jira's webhooks carry the description as plain text (REST v2 shape).
                "description": adf_to_text(issue.description) if issue.description else None,
                "labels": list(issue.labels),
            },
        },
    }
    if changelog is not None:
        payload["changelog"] = changelog
    return json.dumps(payload).encode()
