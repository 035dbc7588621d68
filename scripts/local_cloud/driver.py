"""Drive a running local stack the way people and Jira would: the demo and the e2e tests
share this. The stack runs as a child process (`python -m local_cloud --json`); the fake Jira
runs here, in the driver, so tests can reach every one of its knobs (dropped, duplicated
or wrongly signed deliveries, injected faults)."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from local_cloud import REPO_ROOT
from local_cloud.clients import emulator_client
from local_cloud.fake_jira.fake import FakeJira
from local_cloud.process import ReadyProcess
from local_cloud.stack import JIRA_EMAIL_ENV, JIRA_TOKEN_ENV

TERMINAL_STATES = frozenset({"REJECTED", "FULFILLED", "APPROVAL_TIMED_OUT", "FAILED"})


@dataclass(frozen=True)
class TimelineEntry:
    """One state of an execution: when it was entered and how long it took."""

    state: str
    started: datetime
    seconds: float
    outcome: str


class LocalStackSession:
    """A fake Jira here + the stack in a child process, wired together."""

    def __init__(
        self,
        state_dir: Path,
        terraform_variables: dict[str, Any] | None = None,
        approval_timeout_seconds: int | None = None,
        terraform_dir: Path | None = None,
    ) -> None:
        self.state_dir = state_dir
        email = "workflow-bot@example.com"
        token = secrets.token_urlsafe(24)
        self.jira = FakeJira(email=email, api_token=token)
        args = ["--json", "--state-dir", str(state_dir)]
        if approval_timeout_seconds is not None:
            args += ["--approval-timeout-seconds", str(approval_timeout_seconds)]
        if terraform_dir is not None:
            args += ["--terraform-dir", str(terraform_dir)]
        for name, value in (terraform_variables or {}).items():
            args += ["--var", f"{name}={value}"]
        self._args = args
        self._env = {JIRA_EMAIL_ENV: email, JIRA_TOKEN_ENV: token}
        self.process: ReadyProcess | None = None
        self.info: dict[str, Any] = {}
        self.log_file = state_dir / "logs" / "stack.log"

    def start(self) -> dict[str, Any]:
        self.jira.start()
        self.process = ReadyProcess(
            "local_cloud",
            [*self._args, "--jira-url", self.jira.url],
            self.log_file,
            ready_timeout=600,
            env=self._env,
        )
        self.info = self.process.start()
        self.jira.register_webhook(self.info["webhook_url"], self.info["webhook_secret"])
        return self.info

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
        self.jira.stop()

    # ---- AWS clients -------------------------------------------------------------------

    def client(self, service: str) -> Any:
        return emulator_client(service, self.info["aws_endpoint"], self.info["region"])

    # ---- the API, as Jira Automation or an operator calls it ---------------------------

    def status(self, issue_key: str) -> requests.Response:
        url = self.info["status_url"].replace("{issueKey}", issue_key)
        return requests.get(url, headers={"x-api-key": self.info["api_key"]}, timeout=30)

    def decide(self, issue_key: str, decision: str, actor: str) -> requests.Response:
        body = {"issueKey": issue_key, "decision": decision, "actor": actor}
        return requests.post(
            self.info["callback_url"],
            json=body,
            headers={"x-api-key": self.info["api_key"]},
            timeout=30,
        )

    def set_mock_faults(self, plan: dict[str, Any]) -> None:
        response = requests.put(f"{self.info['mock_url']}/faults", json=plan, timeout=30)
        response.raise_for_status()

    def run_reconciler(self) -> dict[str, Any]:
        """What EventBridge Scheduler does on its next tick."""
        schedule = self.info["reconciler_schedule"]
        response = requests.post(
            f"{self.info['control_url']}/schedules/{schedule}/fire", timeout=120
        )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    # ---- waiting and reading back ------------------------------------------------------

    def wait_for_state(
        self, issue_key: str, states: Iterable[str], timeout: float = 60.0
    ) -> dict[str, Any]:
        """Poll the status API until the request is in one of `states`."""
        wanted = set(states)
        deadline = time.monotonic() + timeout
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:
            response = self.status(issue_key)
            if response.status_code == 200:
                last = response.json()
                if last.get("state") in wanted:
                    return last
            time.sleep(0.2)
        raise TimeoutError(f"{issue_key} not in {sorted(wanted)} after {timeout:.0f}s: {last}")

    def wait_for_execution(self, execution_arn: str, timeout: float = 60.0) -> dict[str, Any]:
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            described: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                return described
            time.sleep(0.2)
        raise TimeoutError(f"execution still running after {timeout:.0f}s")

    def wait_for_comment(self, issue_key: str, fragment: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for comment in self.jira.comments(issue_key):
                if fragment.lower() in comment.lower():
                    return comment
            time.sleep(0.2)
        raise TimeoutError(
            f"no comment with {fragment!r} on {issue_key}: {self.jira.comments(issue_key)}"
        )

    def wait_for_jira_status(self, issue_key: str, status: str, timeout: float = 30.0) -> str:
        """Poll the fake Jira until the issue is in `status` (a step may comment before it
        transitions, so a comment having arrived says nothing about the status yet)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.jira.status(issue_key) == status:
                return status
            time.sleep(0.2)
        raise TimeoutError(
            f"{issue_key} not in Jira status {status!r} after {timeout:.0f}s: "
            f"{self.jira.status(issue_key)!r}"
        )

    def executions_for(self, issue_key: str) -> list[dict[str, Any]]:
        sfn = self.client("stepfunctions")
        found: list[dict[str, Any]] = []
        for page in sfn.get_paginator("list_executions").paginate(
            stateMachineArn=self.info["state_machine_arn"]
        ):
            found += [e for e in page["executions"] if e["name"].startswith(f"{issue_key}-")]
        return found

    def timeline(self, execution_arn: str) -> list[TimelineEntry]:
        """States in order with their durations, from GetExecutionHistory."""
        events = self.client("stepfunctions").get_execution_history(
            executionArn=execution_arn, maxResults=1000
        )["events"]
        entries: list[TimelineEntry] = []
        open_state: tuple[str, datetime] | None = None
        outcome = "ok"
        for event in events:
            kind = event["type"]
            if kind.endswith("StateEntered"):
                open_state = (event["stateEnteredEventDetails"]["name"], event["timestamp"])
                outcome = "ok"
            elif kind.endswith("Failed") or kind.endswith("TimedOut"):
                outcome = kind
            elif kind.endswith("StateExited") and open_state is not None:
                name, started = open_state
                seconds = (event["timestamp"] - started).total_seconds()
                entries.append(TimelineEntry(name, started, seconds, outcome))
                open_state = None
        if open_state is not None:  # a terminal Succeed/Fail state has no Exited event
            entries.append(TimelineEntry(open_state[0], open_state[1], 0.0, "end"))
        return entries

    def artifacts(self, prefix: str) -> list[str]:
        s3 = self.client("s3")
        listed = s3.list_objects_v2(Bucket=self.info["artifacts_bucket"], Prefix=prefix)
        return [item["Key"] for item in listed.get("Contents", [])]


def default_state_dir(name: str) -> Path:
    """A git-ignored folder per use (demo, e2e) so runs do not share Terraform data."""
    return Path(os.environ.get("LOCAL_CLOUD_STATE_DIR", REPO_ROOT / ".local" / name))
