"""intake.py against moto: stop and resume new executions for a rollback."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from workflow_tools.ops import intake
from workflow_tools.ops.common import OpsError, Target, run

REGION = "eu-west-1"
SCHEDULE = "jira-workflow-test-reconciler"
ACCOUNT = "123456789012"


@pytest.fixture
def target() -> Iterator[Target]:
    """The API (stage-wide throttle as Terraform sets it) and the reconciler schedule."""
    with mock_aws():
        apigateway = boto3.client("apigateway", region_name=REGION)
        api = apigateway.create_rest_api(name="jira-workflow-test")["id"]
        root = apigateway.get_resources(restApiId=api)["items"][0]["id"]
        apigateway.put_method(
            restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE"
        )
        apigateway.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
        deployment = apigateway.create_deployment(restApiId=api)["id"]
        apigateway.create_stage(restApiId=api, stageName="test", deploymentId=deployment)
        apigateway.update_stage(
            restApiId=api,
            stageName="test",
            patchOperations=[
                {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "50"},
                {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "100"},
            ],
        )
        boto3.client("scheduler", region_name=REGION).create_schedule(
            Name=SCHEDULE,
            ScheduleExpression="rate(5 minutes)",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={
                "Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{SCHEDULE}",
                "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/{SCHEDULE}",
                "Input": '{"source": "scheduler"}',
            },
        )
        yield Target(environment="test", region=REGION)


def test_stop_closes_the_webhook_route_and_disables_the_schedule(target: Target) -> None:
    intake.stop_intake(target)
    api = intake.find_api(target)
    assert intake.webhook_throttle(target, api) == (0.0, 0)
    assert intake.schedule_state(target) == "DISABLED"


def test_stop_keeps_the_schedule_definition(target: Target) -> None:
    intake.stop_intake(target)
    schedule = target.client("scheduler").get_schedule(Name=SCHEDULE)
    assert schedule["ScheduleExpression"] == "rate(5 minutes)"
    assert schedule["Target"]["Input"] == '{"source": "scheduler"}'


def test_resume_restores_the_stage_throttle_and_the_schedule(target: Target) -> None:
    intake.stop_intake(target)
    intake.resume_intake(target)
    api = intake.find_api(target)
    assert intake.webhook_throttle(target, api) == (50.0, 100)
    assert intake.schedule_state(target) == "ENABLED"


def test_unknown_deployment_is_one_clear_error(target: Target) -> None:
    other = Target(environment="nope", region=REGION)
    with pytest.raises(OpsError, match="REST API jira-workflow-nope not found"):
        intake.stop_intake(other)


def test_cli_reports_one_line_on_failure(
    capsys: pytest.CaptureFixture[str], target: Target
) -> None:
    code = run(intake.main, ["--env", "nope", "--region", REGION, "stop"])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert err == "error: REST API jira-workflow-nope not found"
