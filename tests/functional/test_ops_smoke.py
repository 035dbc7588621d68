"""smoke.py's protocol against a faked API (responses): signing, following, deciding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import responses

from jira_workflow.domain.signature import verify_signature
from workflow_tools.ops import smoke
from workflow_tools.ops.common import run

BASE = "http://127.0.0.1:9/local"
SECRET = "smoke-test-secret"
STACK = {
    "aws_endpoint": "http://127.0.0.1:9",
    "region": "eu-west-1",
    "webhook_url": f"{BASE}/jira/webhook",
    "callback_url": f"{BASE}/jira/callback",
    "status_url": f"{BASE}/requests/{{issueKey}}",
    "api_key": "test-api-key",
    "webhook_secret": SECRET,
    "control_url": "http://127.0.0.1:9/control",
}


@pytest.fixture
def stack_file(tmp_path: Path) -> Path:
    path = tmp_path / "stack.json"
    path.write_text(json.dumps(STACK))
    return path


def states(*sequence: str) -> Any:
    """A status endpoint that walks through `sequence`, then stays on the last state."""
    remaining = list(sequence)

    def callback(request: Any) -> tuple[int, dict[str, str], str]:
        assert request.headers["x-api-key"] == "test-api-key"
        state = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        return 200, {}, json.dumps({"issueKey": "OPS-7", "state": state})

    return callback


def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("workflow_tools.ops.smoke.time.sleep", lambda _seconds: None)


@responses.activate
def test_smoke_signs_follows_and_approves(
    stack_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast(monkeypatch)
    responses.post(f"{STACK['control_url']}/jira/issues", json={"key": "OPS-7"}, status=201)
    responses.post(
        STACK["webhook_url"], json={"issueKey": "OPS-7", "executionArn": "x"}, status=202
    )
    responses.add_callback(
        responses.GET,
        f"{BASE}/requests/OPS-7",
        callback=states("RUNNING", "AWAITING_APPROVAL", "APPROVED", "FULFILLED"),
    )
    responses.post(STACK["callback_url"], json={"state": "APPROVED"}, status=200)

    code = run(smoke.main, ["--env", "local", "--stack-file", str(stack_file), "--approve"])

    assert code == 0
    webhook = next(c.request for c in responses.calls if c.request.url == STACK["webhook_url"])
    assert isinstance(webhook.body, bytes)
    verify_signature(webhook.body, webhook.headers["X-Hub-Signature"], [SECRET])
    assert webhook.headers["X-Atlassian-Webhook-Identifier"].startswith("smoke-")
    callback = next(c.request for c in responses.calls if c.request.url == STACK["callback_url"])
    assert callback.body is not None
    assert json.loads(callback.body)["decision"] == "approved"


@responses.activate
def test_smoke_fails_when_the_request_ends_otherwise(
    stack_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fast(monkeypatch)
    responses.post(STACK["webhook_url"], json={"issueKey": "OPS-7"}, status=202)
    responses.add_callback(
        responses.GET, f"{BASE}/requests/OPS-7", callback=states("RUNNING", "FAILED")
    )
    code = run(smoke.main, ["--env", "local", "--stack-file", str(stack_file), "--issue", "OPS-7"])
    assert code == 1
    assert capsys.readouterr().err.strip().endswith("error: OPS-7 ended FAILED, expected FULFILLED")


@responses.activate
def test_smoke_reports_an_ignored_issue(
    stack_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    responses.post(STACK["webhook_url"], json={"ignored": "project XY is not configured"})
    code = run(smoke.main, ["--env", "local", "--stack-file", str(stack_file), "--issue", "XY-1"])
    assert code == 1
    assert "webhook ignored the test issue: project XY is not configured" in capsys.readouterr().err


@responses.activate
def test_smoke_gives_up_after_the_timeout(
    stack_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    responses.post(STACK["webhook_url"], json={"issueKey": "OPS-7"}, status=202)
    responses.add_callback(responses.GET, f"{BASE}/requests/OPS-7", callback=states("RUNNING"))
    code = run(
        smoke.main,
        ["--env", "local", "--stack-file", str(stack_file), "--issue", "OPS-7", "--timeout", "0"],
    )
    assert code == 1
    assert "no terminal state after 0s (last: RUNNING)" in capsys.readouterr().err


def test_smoke_needs_an_issue_outside_local(capsys: pytest.CaptureFixture[str]) -> None:
    code = run(smoke.main, ["--env", "prod", "--region", "eu-west-1", "--api-url", BASE])
    assert code == 1
    assert "name a test issue with --issue" in capsys.readouterr().err
