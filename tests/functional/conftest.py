"""A moto-backed AWS account with the workflow's table, bucket, secrets and state machine,
plus a fake Jira and the mock external API on 127.0.0.1."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, cast

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer
from moto import mock_aws

from jira_workflow.adapters.completions import DecisionCompletions
from jira_workflow.adapters.requests_table import RequestsTable
from jira_workflow.container import container
from jira_workflow.domain.requests import RequestState
from jira_workflow.domain.signature import sign
from jira_workflow.handlers import complete_decision
from local_cloud.dynamodb_atomic import patch_atomic_dynamodb_writes
from local_cloud.external_api_server import ExternalApiServer
from local_cloud.fake_jira.fake import FakeJira
from local_cloud.fake_jira.model import DEFAULT_APPROVER_GROUP
from local_cloud.statemachine import render
from tests.support.lambda_events import InProcessLambda

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_stepfunctions import SFNClient
    from mypy_boto3_stepfunctions.type_defs import ExecutionListItemTypeDef

# Final, so it also types as the literal region name boto3's stubs ask for.
REGION: Final = "eu-west-1"
_deserializer = TypeDeserializer()
WEBHOOK_SECRET = "functional-webhook-secret"
EXTERNAL_TOKEN = "functional-external-token"
# API key ids as API Gateway hands them to the callback, and the decide key's name.
DECIDE_KEY_ID = "decidekey01"
READ_KEY_ID = "readkey0001"
DECIDE_KEY_NAME = "jira-automation"
# Whose status changes decide: the fake Jira's default group (Bob and Carol Approver).
APPROVER_GROUP = DEFAULT_APPROVER_GROUP
COMPLETE_DECISION_FUNCTION = "jira-workflow-test-complete-decision"


@dataclass
class Workflow:
    """Names and clients of the moto account, and helpers to drive it."""

    table: str
    bucket: str
    state_machine_arn: str
    dynamodb: DynamoDBClient
    s3: S3Client
    sfn: SFNClient
    secrets: SecretsManagerClient
    jira: FakeJira
    external: ExternalApiServer
    # The webhook's async invokes of complete_decision, run by `lambdas.run_queued()`.
    lambdas: InProcessLambda

    def record(self, issue_key: str) -> dict[str, Any]:
        """The issue's request item; the test fails here if there is none."""
        record = self.find_record(issue_key)
        assert record is not None, f"no request recorded for {issue_key}"
        return record

    def find_record(self, issue_key: str) -> dict[str, Any] | None:
        """The issue's current request item (the CURRENT pointer names it)."""
        pointer = self._item(issue_key, "CURRENT")
        return self._item(issue_key, f"REQUEST#{pointer['execution_name']}") if pointer else None

    def token_item(self, issue_key: str) -> dict[str, Any] | None:
        return self._item(f"TOKEN#{issue_key}", "TOKEN")

    def _item(self, issue_key: str, sort_key: str) -> dict[str, Any] | None:
        item = self.dynamodb.get_item(
            TableName=self.table, Key={"pk": {"S": issue_key}, "sk": {"S": sort_key}}
        ).get("Item")
        return {k: _deserializer.deserialize(v) for k, v in item.items()} if item else None

    def awaiting_approval(self, updated_at: str = "2026-11-27T10:00:00.000Z") -> str:
        """A new issue whose request waits for approval, as request_approval leaves it."""
        key = self.jira.create_issue("OPS", "Need access", status="Awaiting Approval", notify=False)
        table = RequestsTable(self.dynamodb, self.table)
        execution = self.sfn.start_execution(
            stateMachineArn=self.state_machine_arn, name=f"exec-{key}", input=json.dumps({})
        )
        table.claim(key, f"exec-{key}", f"delivery-{key}", f"webhooks/{key}/d.json", updated_at)
        table.update(
            key,
            f"exec-{key}",
            updated_at,
            state=RequestState.AWAITING_APPROVAL,
            execution_arn=execution["executionArn"],
        )
        table.store_token(key, f"exec-{key}", f"token-for-{key}", int(time.time()) + 3600)
        return key

    def executions(self) -> list[ExecutionListItemTypeDef]:
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


def _create_table(dynamodb: DynamoDBClient, name: str) -> None:
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


def _create_state_machine(sfn: SFNClient, iam: Any) -> str:
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
            "DECISION_KEY_IDS": f"{DECIDE_KEY_ID}={DECIDE_KEY_NAME}",
            "JIRA_APPROVER_GROUP": APPROVER_GROUP,
            "AWS_DEFAULT_REGION": REGION,
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        # moto cannot run a function without Docker: the webhook's invokes of
        # complete_decision are queued and run here, through its handler.
        lambdas = InProcessLambda({COMPLETE_DECISION_FUNCTION: complete_decision.handler})
        completions = DecisionCompletions(cast("LambdaClient", lambdas), COMPLETE_DECISION_FUNCTION)
        monkeypatch.setitem(vars(container()), "completions", completions)
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
            lambdas=lambdas,
        )
