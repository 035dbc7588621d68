#!/usr/bin/env python3
"""`make smoke ENV=<ws>`: send a signed test webhook for a test issue and follow the request
to completion (docs/runbooks/smoke-test.md).

Locally the stack's fake Jira makes the test issue; elsewhere name a real issue in a test
project (--issue) that matches the trigger rule. The request is auto-approved if its risk
is low enough; otherwise --approve decides it through the callback, as Jira would.
Exit 0 when it reaches --expect (default FULFILLED), 1 otherwise, with the last state.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from jira_workflow.domain.signature import sign
from workflow_tools.ops.common import (
    OpsError,
    Target,
    add_target_arguments,
    progress,
    run,
    target_from_args,
)

TERMINAL = {"FULFILLED", "REJECTED", "APPROVAL_TIMED_OUT", "FAILED"}
HTTP_TIMEOUT = 30


@dataclass(frozen=True)
class Endpoints:
    webhook_url: str
    callback_url: str
    status_url: str  # with {issueKey}
    api_key: str = ""
    webhook_secret: str = ""


def endpoints_from_stack(stack: dict[str, Any]) -> Endpoints:
    return Endpoints(
        webhook_url=stack["webhook_url"],
        callback_url=stack["callback_url"],
        status_url=stack["status_url"],
        api_key=stack["api_key"],
        webhook_secret=stack["webhook_secret"],
    )


def endpoints_from_aws(target: Target, api_url: str | None) -> Endpoints:
    """API URL, key and webhook secret as the deployment holds them (needs read access)."""
    apigateway = target.client("apigateway")
    if not api_url:
        apis = [
            a for a in apigateway.get_rest_apis(limit=500)["items"] if a["name"] == target.prefix
        ]
        if not apis:
            raise OpsError(f"REST API {target.prefix} not found: pass --api-url")
        api_url = f"https://{apis[0]['id']}.execute-api.{target.region}.amazonaws.com/{target.environment}"
    # The decide key: the smoke test decides its own request.
    keys = apigateway.get_api_keys(nameQuery=f"{target.prefix}-decide", includeValues=True)["items"]
    secret = target.client("secretsmanager").get_secret_value(
        SecretId=target.secret_id("jira-webhook")
    )
    base = api_url.rstrip("/")
    return Endpoints(
        webhook_url=f"{base}/jira/webhook",
        callback_url=f"{base}/jira/callback",
        status_url=f"{base}/requests/{{issueKey}}",
        api_key=str(keys[0]["value"]) if keys else "",
        webhook_secret=str(json.loads(secret["SecretString"])["current"]),
    )


def issue_created_payload(issue_key: str, issue_type: str, status: str, summary: str) -> bytes:
    project = issue_key.split("-", 1)[0]
    payload = {
        "timestamp": int(time.time() * 1000),
        "webhookEvent": "jira:issue_created",
        "issue_event_type_name": "issue_created",
        "user": {"displayName": "Smoke Test", "accountId": "smoke-test"},
        "issue": {
            "key": issue_key,
            "fields": {
                "project": {"key": project},
                "issuetype": {"name": issue_type},
                "status": {"name": status},
                "summary": summary,
                "description": {
                    "type": "doc",
                    "version": 1,
                    "content": [
                        {
                            "type": "paragraph",
                            "content": [{"type": "text", "text": "Smoke test of the workflow."}],
                        }
                    ],
                },
                "labels": ["smoke-test"],
            },
        },
    }
    return json.dumps(payload).encode()


ALREADY_ACTIVE = "already in progress"


def send_webhook(
    session: requests.Session, endpoints: Endpoints, body: bytes, allow_active: bool
) -> str:
    """Deliver the signed webhook; returns how the workflow took it.

    `allow_active`: the issue was just created in the fake Jira, whose own (equally signed)
    delivery may have started the request first; ours then meets the active request.
    """
    delivery = f"smoke-{uuid.uuid4()}"
    response = session.post(
        endpoints.webhook_url,
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Hub-Signature": sign(body, endpoints.webhook_secret),
            "X-Atlassian-Webhook-Identifier": delivery,
        },
        timeout=HTTP_TIMEOUT,
    )
    if response.status_code >= 300:
        raise OpsError(f"webhook answered {response.status_code}: {response.text[:200]}")
    answer = response.json() if response.content else {}
    ignored = str(answer.get("ignored", ""))
    if ignored and not (allow_active and ALREADY_ACTIVE in ignored):
        raise OpsError(f"webhook ignored the test issue: {ignored}")
    if ignored:
        return f"signature accepted ({delivery}); Jira's own delivery had started the request"
    return f"request started by our delivery {delivery} ({response.status_code})"


def request_state(session: requests.Session, endpoints: Endpoints, issue_key: str) -> str:
    response = session.get(
        endpoints.status_url.replace("{issueKey}", issue_key),
        headers={"x-api-key": endpoints.api_key},
        timeout=HTTP_TIMEOUT,
    )
    if response.status_code == 404:
        return "NOT_YET_RECORDED"
    if response.status_code != 200:
        raise OpsError(f"status route answered {response.status_code}")
    return str(response.json().get("state", "UNKNOWN"))


def approve(session: requests.Session, endpoints: Endpoints, issue_key: str) -> None:
    response = session.post(
        endpoints.callback_url,
        json={
            "issueKey": issue_key,
            "decision": "approved",
            "actor": "smoke-test",
            "comment": "approved by make smoke",
        },
        headers={"x-api-key": endpoints.api_key},
        timeout=HTTP_TIMEOUT,
    )
    if response.status_code != 200:
        raise OpsError(f"callback answered {response.status_code}: {response.text[:200]}")


def follow(
    state_of: Callable[[], str],
    on_awaiting: Callable[[], None] | None,
    timeout_seconds: float,
    poll_seconds: float = 2.0,
) -> str:
    """Poll until a terminal state; decide once if it waits for approval."""
    deadline = time.monotonic() + timeout_seconds
    last = ""
    decided = False
    while True:
        state = state_of()
        if state != last:
            progress(f"request state: {state}")
            last = state
        if state in TERMINAL:
            return state
        if state == "AWAITING_APPROVAL" and on_awaiting is not None and not decided:
            on_awaiting()
            decided = True
            progress("approved through POST /jira/callback")
        if time.monotonic() >= deadline:
            raise OpsError(f"no terminal state after {timeout_seconds:g}s (last: {state})")
        time.sleep(poll_seconds)


def create_local_issue(control_url: str, project: str, issue_type: str, status: str) -> str:
    response = requests.post(
        f"{control_url}/jira/issues",
        json={
            "project": project,
            "summary": "[smoke] workflow smoke test",
            "issue_type": issue_type,
            "status": status,
            "description": "Smoke test of the workflow.",
        },
        timeout=HTTP_TIMEOUT,
    )
    if response.status_code != 201:
        raise OpsError(f"fake Jira refused the test issue: {response.status_code}")
    return str(response.json()["key"])


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="smoke.py", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    add_target_arguments(parser)
    parser.add_argument("--issue", help="test issue key (required outside local)")
    parser.add_argument("--jira-project", default="OPS", help="project of the local test issue")
    parser.add_argument("--issue-type", default="Service Request")
    parser.add_argument("--trigger-status", default="Submitted")
    parser.add_argument("--api-url", help="API base URL (custom domain), default: looked up")
    parser.add_argument("--approve", action="store_true", help="approve if it waits for one")
    parser.add_argument("--expect", default="FULFILLED", help="final state that passes")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    target = target_from_args(args)
    if not target.stack and not args.issue:
        raise OpsError("name a test issue with --issue outside the local stack")
    if target.stack:
        endpoints = endpoints_from_stack(target.stack)
    else:
        endpoints = endpoints_from_aws(target, args.api_url)
    issue = args.issue
    if not issue:
        if not target.stack:
            raise OpsError("name a test issue with --issue outside the local stack")
        issue = create_local_issue(
            target.stack["control_url"], args.jira_project, args.issue_type, args.trigger_status
        )
        progress(f"created test issue {issue} in the fake Jira")
    session = requests.Session()
    body = issue_created_payload(issue, args.issue_type, args.trigger_status, "[smoke] test")
    outcome = send_webhook(session, endpoints, body, allow_active=not args.issue)
    progress(f"signed webhook for {issue}: {outcome}")
    on_awaiting = (lambda: approve(session, endpoints, issue)) if args.approve else None
    final = follow(lambda: request_state(session, endpoints, issue), on_awaiting, args.timeout)
    if final != args.expect:
        raise OpsError(f"{issue} ended {final}, expected {args.expect}")
    progress(f"smoke test passed: {issue} reached {final}")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
