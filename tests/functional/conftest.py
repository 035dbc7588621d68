"""A moto-backed AWS account with the workflow's table, bucket, secrets and state machine,
plus a fake Jira and the mock external API on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer
from moto import mock_aws

from jira_workflow.domain.signature import sign
from local_cloud.dynamodb_atomic import patch_atomic_dynamodb_writes
from local_cloud.fake_jira.fake import FakeJira
from statemachine import render
from tests.support.external_api_server import ExternalApiServer

REGION = "eu-west-1"
_deserializer = TypeDeserializer()
WEBHOOK_SECRET = "functional-webhook-secret"
EXTERNAL_TOKEN = "functional-external-token"


@dataclass
class Workflow:
    """Names and clients of the moto account, and helpers to drive it."""

    table: str
    bucket: str
    state_machine_arn: str
    dynamodb: Any
    s3: Any
    sfn: Any
    secrets: Any
    jira: FakeJira
    external: ExternalApiServer

    def record(self, issue_key: str) -> dict[str, Any] | None:
        item = self.dynamodb.get_item(
            TableName=self.table, Key={"pk": {"S": issue_key}, "sk": {"S": "REQUEST"}}
        ).get("Item")
        return {k: _deserializer.deserialize(v) for k, v in item.items()} if item else None

    def token_item(self, issue_key: str) -> dict[str, Any] | None:
        item = self.dynamodb.get_item(
            TableName=self.table, Key={"pk": {"S": issue_key}, "sk": {"S": "TOKEN"}}
        ).get("Item")
        return {k: _deserializer.deserialize(v) for k, v in item.items()} if item else None

    def executions(self) -> list[dict[str, Any]]:
        return self.sfn.list_executions(stateMachineArn=self.state_machine_arn)["executions"]

    def s3_keys(self) -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=self.bucket)
        return sorted(obj["Key"] for obj in listed.get("Contents", []))

    def s3_json(self, key: str) -> Any:
        return json.loads(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())


def signed_headers(body: bytes, delivery_id: str, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    return {
        "X-Hub-Signature": sign(body, secret),
        "X-Atlassian-Webhook-Identifier": delivery_id,
    }


def _create_table(dynamodb: Any, name: str) -> None:
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "state", "AttributeType": "S"},
            {"AttributeName": "updated_at", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_state",
                "KeySchema": [
                    {"AttributeName": "state", "KeyType": "HASH"},
                    {"AttributeName": "updated_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


def _create_state_machine(sfn: Any, iam: Any) -> str:
    role = iam.create_role(
        RoleName="workflow-sfn",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    function = f"arn:aws:lambda:{REGION}:123456789012:function:workflow-step"
    definition = render(
        {
            "validate_request_arn": function,
            "enrich_request_arn": function,
            "store_artifacts_arn": function,
            "request_approval_arn": function,
            "fulfil_request_arn": function,
            "report_outcome_arn": function,
            "record_failure_arn": function,
            "approval_timeout_seconds": 3600,
            "state_machine_timeout_seconds": 7200,
        }
    )
    return sfn.create_state_machine(name="jira-workflow-test", definition=definition, roleArn=role)[
        "stateMachineArn"
    ]


@pytest.fixture(scope="session", autouse=True)
def atomic_dynamodb_writes() -> None:
    """moto's conditional writes race across threads; DynamoDB's do not (see the module)."""
    patch_atomic_dynamodb_writes()


@pytest.fixture
def fake_jira() -> Iterator[FakeJira]:
    with FakeJira(projects=("OPS", "IT")) as jira:
        yield jira


@pytest.fixture
def external_api() -> Iterator[ExternalApiServer]:
    server = ExternalApiServer().start()
    yield server
    server.stop()


@pytest.fixture
def workflow(
    monkeypatch: pytest.MonkeyPatch, fake_jira: FakeJira, external_api: ExternalApiServer
) -> Iterator[Workflow]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        s3 = boto3.client("s3", region_name=REGION)
        sfn = boto3.client("stepfunctions", region_name=REGION)
        secrets = boto3.client("secretsmanager", region_name=REGION)
        _create_table(dynamodb, "requests")
        s3.create_bucket(
            Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        jira_secret = secrets.create_secret(
            Name="jira-api",
            SecretString=json.dumps({"email": fake_jira.email, "api_token": fake_jira.api_token}),
        )["ARN"]
        webhook_secret = secrets.create_secret(
            Name="jira-webhook", SecretString=json.dumps({"current": WEBHOOK_SECRET})
        )["ARN"]
        external_secret = secrets.create_secret(
            Name="external-api", SecretString=json.dumps({"token": EXTERNAL_TOKEN})
        )["ARN"]
        machine = _create_state_machine(sfn, boto3.client("iam", region_name=REGION))
        env = {
            "REQUESTS_TABLE": "requests",
            "ARTIFACTS_BUCKET": "artifacts",
            "STATE_MACHINE_ARN": machine,
            "JIRA_BASE_URL": fake_jira.url,
            "JIRA_API_SECRET_ARN": jira_secret,
            "JIRA_WEBHOOK_SECRET_ARN": webhook_secret,
            "EXTERNAL_API_SECRET_ARN": external_secret,
            "ENRICH_API_URL": f"{external_api.url}/mock/enrich",
            "FULFIL_API_URL": f"{external_api.url}/mock/fulfil",
            "TRIGGER_PROJECT_KEYS": "OPS,IT",
            "TRIGGER_ISSUE_TYPES": "Service Request,Task",
            "TRIGGER_STATUS": "Submitted",
            "APPROVAL_PENDING_STATUS": "Awaiting Approval",
            "APPROVE_STATUS": "Approved",
            "REJECT_STATUS": "Rejected",
            "DONE_STATUS": "Done",
            "FAILED_STATUS": "Failed",
            "AUTO_APPROVE_MAX_RISK": "10",
            "APPROVAL_TIMEOUT_SECONDS": "3600",
            "MAX_WEBHOOK_BYTES": "65536",
            "HTTP_TIMEOUT_SECONDS": "1",
            "AWS_DEFAULT_REGION": REGION,
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield Workflow(
            table="requests",
            bucket="artifacts",
            state_machine_arn=machine,
            dynamodb=dynamodb,
            s3=s3,
            sfn=sfn,
            secrets=secrets,
            jira=fake_jira,
            external=external_api,
        )
