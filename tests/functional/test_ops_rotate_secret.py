"""rotate_secret.py against moto: deliveries signed with either secret verify in the window."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from moto import mock_aws

from jira_workflow.adapters.secrets import SecretsReader
from jira_workflow.domain.errors import BadSignature
from jira_workflow.domain.signature import sign, verify_signature
from workflow_tools.ops import rotate_secret
from workflow_tools.ops.common import OpsError, Target

REGION = "eu-west-1"
OLD = "old-webhook-secret-0123456789abcdef0123"
BODY = b'{"webhookEvent": "jira:issue_created"}'


@pytest.fixture
def target() -> Iterator[Target]:
    with mock_aws():
        manager = boto3.client("secretsmanager", region_name=REGION)
        manager.create_secret(
            Name="jira-workflow-test/jira-webhook", SecretString=json.dumps({"current": OLD})
        )
        manager.create_secret(
            Name="jira-workflow-test/jira-api",
            SecretString=json.dumps({"email": "bot@example.com", "api_token": "old-token"}),
        )
        manager.create_secret(Name="jira-workflow-test/external-api")  # no value yet
        yield Target(environment="test", region=REGION)


def accepted_secrets(target: Target) -> tuple[str, ...]:
    """What the webhook handler will verify against, read the way it reads it."""
    provider = SecretsProvider(boto3_client=target.client("secretsmanager"))
    return SecretsReader(provider, max_age_seconds=0).webhook_secrets(
        target.secret_id("jira-webhook")
    )


def test_begin_keeps_the_old_secret_valid_next_to_the_new(target: Target) -> None:
    new = "n" * 64
    rotate_secret.begin_webhook_rotation(target, new)
    accepted = accepted_secrets(target)
    verify_signature(BODY, sign(BODY, OLD), accepted)  # Jira not yet updated
    verify_signature(BODY, sign(BODY, new), accepted)  # Jira updated


def test_finish_drops_the_old_secret(target: Target) -> None:
    new = "n" * 64
    rotate_secret.begin_webhook_rotation(target, new)
    rotate_secret.finish_webhook_rotation(target)
    accepted = accepted_secrets(target)
    verify_signature(BODY, sign(BODY, new), accepted)
    with pytest.raises(BadSignature):
        verify_signature(BODY, sign(BODY, OLD), accepted)


def test_a_second_begin_before_finish_is_refused(target: Target) -> None:
    rotate_secret.begin_webhook_rotation(target, "a" * 64)
    with pytest.raises(OpsError, match="already open"):
        rotate_secret.begin_webhook_rotation(target, "b" * 64)


def test_finish_without_an_open_rotation_is_refused(target: Target) -> None:
    with pytest.raises(OpsError, match="no rotation is open"):
        rotate_secret.finish_webhook_rotation(target)


def test_a_short_secret_is_refused(target: Target) -> None:
    with pytest.raises(OpsError, match="at least 32"):
        rotate_secret.begin_webhook_rotation(target, "short")


def test_cli_writes_the_generated_secret_privately_and_never_prints_it(
    target: Target, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "new-secret.txt"
    code = rotate_secret.main(
        ["--env", "test", "--region", REGION, "webhook-begin", "--out", str(out)]
    )
    printed = capsys.readouterr()
    new = out.read_text().strip()
    assert code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert len(new) == 64
    assert new not in printed.out + printed.err
    assert OLD not in printed.out + printed.err
    assert new in accepted_secrets(target)


def test_jira_api_token_is_replaced_with_email(target: Target, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("new-token\n")
    rotate_secret.main(
        [
            "--env",
            "test",
            "--region",
            REGION,
            "jira-api",
            "--email",
            "bot@example.com",
            "--token-file",
            str(token_file),
        ]
    )
    stored = rotate_secret.read_secret(target, "jira-api")
    assert stored == {"email": "bot@example.com", "api_token": "new-token"}


def test_status_names_fields_but_no_values(
    target: Target, capsys: pytest.CaptureFixture[str]
) -> None:
    rotate_secret.main(["--env", "test", "--region", REGION, "status"])
    out = capsys.readouterr().out
    assert "jira-workflow-test/jira-webhook: fields current" in out
    assert "jira-workflow-test/external-api: fields (no value)" in out
    assert OLD not in out and "old-token" not in out
