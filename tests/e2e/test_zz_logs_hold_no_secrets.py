"""Runs last (conftest.RUN_LAST): every log line the e2e run produced, from the stack process,
the functions' output and their CloudWatch log groups, holds no task token, secret or
webhook signature."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from local_cloud.driver import LocalStackSession
from local_cloud.fake_jira.webhooks import sign

pytestmark = pytest.mark.e2e


def task_tokens(stack: LocalStackSession) -> Iterator[str]:
    """Every token Step Functions handed to a callback task in this run."""
    sfn = stack.client("stepfunctions")
    for page in sfn.get_paginator("list_executions").paginate(
        stateMachineArn=stack.info["state_machine_arn"]
    ):
        for execution in page["executions"]:
            events = sfn.get_execution_history(
                executionArn=execution["executionArn"], maxResults=1000
            )["events"]
            for event in events:
                if event["type"] == "TaskScheduled":
                    parameters = event["taskScheduledEventDetails"]["parameters"]
                    yield from _token_values(json.loads(parameters))


def _token_values(document: object) -> Iterator[str]:
    if isinstance(document, dict):
        for key, value in document.items():
            if "token" in key.lower() and isinstance(value, str) and len(value) > 20:
                yield value
            else:
                yield from _token_values(value)
    elif isinstance(document, list):
        for item in document:
            yield from _token_values(item)


def every_log_line(stack: LocalStackSession) -> str:
    logs = stack.client("logs")
    texts = [path.read_text(errors="replace") for path in (stack.state_dir / "logs").glob("*.log")]
    for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix="/aws/"):
        for group in page["logGroups"]:
            events = logs.filter_log_events(logGroupName=group["logGroupName"])["events"]
            texts += [event["message"] for event in events]
    return "\n".join(texts)


def test_no_task_token_secret_or_signature_appears_in_any_log(
    stack: LocalStackSession,
) -> None:
    text = every_log_line(stack)
    tokens = set(task_tokens(stack))
    signatures = {sign(d.body, d.secret) for d in stack.jira.deliveries}
    signatures |= {s.removeprefix("sha256=") for s in signatures}
    secrets = {
        "webhook secret": stack.info["webhook_secret"],
        "API key": stack.info["api_key"],
        "read API key": stack.info["read_api_key"],
        "Jira API token": stack.jira.api_token,
    }

    assert len(text.splitlines()) > 100, "the run logged suspiciously little"
    assert tokens, "no callback task ran, so the token check would prove nothing"
    assert [t[:8] for t in tokens if t in text] == []
    assert [s[:8] for s in signatures if s in text] == []
    assert [name for name, value in secrets.items() if value in text] == []
