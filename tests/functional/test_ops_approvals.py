"""approvals.py against moto and the fake Jira: a command line over the Operations service,
built from the deployed function's settings with the operator's clients."""

from __future__ import annotations

import io
import json
import os
import zipfile

import boto3
import pytest

from jira_workflow.models.settings import Settings
from tests.functional.conftest import REGION, Workflow
from workflow_tools.ops import approvals
from workflow_tools.ops.common import OpsError, Target, jira_client, operator_container, run

TARGET = Target(environment="test", region=REGION)
TARGET_ARGS = ["--env", "test", "--region", REGION]


def _deploy(**overrides: str) -> None:
    """request_approval as Terraform deploys it: the workflow's settings in its environment,
    where the operators' tools read them."""
    environment = {
        name: os.environ[name] for name in Settings.environment_names() if name in os.environ
    }
    environment.update(overrides)
    role = boto3.client("iam", region_name=REGION).create_role(
        RoleName="request-approval",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    boto3.client("lambda", region_name=REGION).create_function(
        FunctionName=TARGET.function_name("request_approval"),
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": code.getvalue()},
        Environment={"Variables": environment},
    )


def test_jira_client_reads_the_bot_secret_as_the_functions_do(workflow: Workflow) -> None:
    secret_arn = workflow.secrets.create_secret(
        Name=TARGET.secret_id("jira-api"),
        SecretString=json.dumps(
            {"email": workflow.jira.email, "api_token": workflow.jira.api_token}
        ),
    )["ARN"]
    _deploy(JIRA_API_SECRET_ARN=secret_arn, JIRA_BASE_URL="http://127.0.0.1:9/not-jira")
    key = workflow.jira.create_issue("OPS", "Need access", notify=False)

    client = jira_client(TARGET, workflow.jira.url)

    assert client.get_issue(key).key == key  # the fake Jira answers 401 to other credentials


def test_operator_container_runs_on_the_deployed_settings_and_their_defaults(
    workflow: Workflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    _deploy(APPROVAL_TIMEOUT_SECONDS="7200")
    for name in Settings.environment_names():  # only the deployed function's settings count
        monkeypatch.delenv(name, raising=False)
    target = Target(environment="test", region=REGION, table="operator-table")

    settings = operator_container(target, "https://jira.example.com").settings

    assert settings.approval_timeout_seconds == 7200
    assert settings.state_machine_arn == workflow.state_machine_arn
    assert settings.requests_table == "operator-table"  # --table wins
    assert settings.jira_base_url == "https://jira.example.com"  # --jira-url wins
    assert settings.secrets_max_age_seconds == Settings().secrets_max_age_seconds


def test_operator_container_needs_a_deployed_function(workflow: Workflow) -> None:
    with pytest.raises(OpsError, match="cannot read function jira-workflow-test-request-approval"):
        operator_container(TARGET)


def test_cli_list_prints_a_table(workflow: Workflow, capsys: pytest.CaptureFixture[str]) -> None:
    _deploy()
    key = workflow.awaiting_approval()
    code = approvals.main(
        [
            *TARGET_ARGS,
            "--table",
            workflow.table,
            "--state-machine-arn",
            workflow.state_machine_arn,
            "list",
        ]
    )
    out = capsys.readouterr()
    assert code == 0
    assert out.out.splitlines()[0].split() == [
        "ISSUE",
        "WAITING",
        "COMMENTED",
        "TOKEN",
        "EXECUTION",
    ]
    assert key in out.out
    assert "token-for" not in out.out + out.err  # task tokens are never shown


def test_cli_decide_goes_through_the_workflows_services(workflow: Workflow) -> None:
    _deploy()
    key = workflow.awaiting_approval()

    code = approvals.main(
        [*TARGET_ARGS, "decide", key, "rejected", "--operator", "bob", "--note", "dup"]
    )

    assert code == 0
    record = workflow.record(key)
    assert record is not None
    assert record["state"] == "REJECTING"  # REJECTED once the workflow reports it
    assert record["actor"] == "operations:bob"
    assert "on behalf of the approvers" in workflow.jira.comments(key)[-1]


def test_cli_remind_resends_every_pending_request(workflow: Workflow) -> None:
    _deploy()
    keys = [workflow.awaiting_approval(), workflow.awaiting_approval()]

    code = approvals.main([*TARGET_ARGS, "remind", "--older-than-hours", "1", "--resend"])

    assert code == 0
    for key in keys:
        assert workflow.jira.comments(key)[-1].startswith(f"Approval needed for {key}.")


def test_cli_refusal_is_one_line_and_exit_status_1(
    workflow: Workflow, capsys: pytest.CaptureFixture[str]
) -> None:
    _deploy()

    code = run(
        approvals.main, [*TARGET_ARGS, "cancel", "OPS-404", "--operator", "a", "--note", "n"]
    )

    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err == ["error: RequestNotFound: OPS-404 has no request to cancel (no request)"]
