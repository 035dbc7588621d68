"""AWS calls made in the emulator's own process reach moto without HTTP (in_process_aws),
and answer exactly as they do over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from urllib3.connectionpool import HTTPConnectionPool

from local_cloud.in_process_aws import serve_in_process, stop_serving_in_process

REGION = "eu-west-1"


@pytest.fixture
def moto_port() -> Iterator[int]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    port = server.get_host_and_port()[1]
    serve_in_process(port)
    yield port
    stop_serving_in_process(port)
    server.stop()


@pytest.fixture
def http_sends(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every request that went out over HTTP, by URL (it still goes out)."""
    sent: list[str] = []
    original = HTTPConnectionPool.urlopen

    def urlopen(self: HTTPConnectionPool, method: str, url: str, **kwargs: Any) -> Any:
        sent.append(f"http://{self.host}:{self.port}{url}")
        return original(self, method, url, **kwargs)

    monkeypatch.setattr(HTTPConnectionPool, "urlopen", urlopen)
    return sent


def client(service: str, host: str, port: int) -> Any:
    factory: Any = boto3.client  # the service is chosen at run time
    return factory(
        service,
        endpoint_url=f"http://{host}:{port}",
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def test_dynamodb_calls_and_their_errors_come_back_without_http(
    moto_port: int, http_sends: list[str]
) -> None:
    dynamodb = client("dynamodb", "127.0.0.1", moto_port)
    dynamodb.create_table(
        TableName="requests",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )
    dynamodb.put_item(TableName="requests", Item={"pk": {"S": "OPS-1"}})

    with pytest.raises(ClientError) as refused:
        dynamodb.put_item(
            TableName="requests",
            Item={"pk": {"S": "OPS-1"}},
            ConditionExpression="attribute_not_exists(pk)",
        )

    assert refused.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    item = dynamodb.get_item(TableName="requests", Key={"pk": {"S": "OPS-1"}})["Item"]
    assert item == {"pk": {"S": "OPS-1"}}
    assert http_sends == []


def test_s3_bodies_keys_and_metadata_round_trip_byte_for_byte(
    moto_port: int, http_sends: list[str]
) -> None:
    s3 = client("s3", "localhost", moto_port)  # the ASL interpreter's spelling of the address
    s3.create_bucket(Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": REGION})
    body = bytes(range(256)) * 64
    key = "requests/OPS 1/ü+%2F.json"

    s3.put_object(Bucket="artifacts", Key=key, Body=body, Metadata={"issue": "OPS-1"})
    stored = s3.get_object(Bucket="artifacts", Key=key)

    assert stored["Body"].read() == body
    assert stored["ContentLength"] == len(body)
    assert stored["Metadata"] == {"issue": "OPS-1"}
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="artifacts")["Contents"]] == [key]
    assert http_sends == []


def test_clients_made_before_the_emulator_started_are_served_in_process_too(
    http_sends: list[str],
) -> None:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    port = server.get_host_and_port()[1]
    try:
        early = client("sqs", "127.0.0.1", port)
        serve_in_process(port)

        early.create_queue(QueueName="dead-letters")

        assert http_sends == []
    finally:
        stop_serving_in_process(port)
        server.stop()


def test_an_emulator_no_longer_served_in_process_is_called_over_http(
    moto_port: int, http_sends: list[str]
) -> None:
    stop_serving_in_process(moto_port)
    sqs = client("sqs", "127.0.0.1", moto_port)

    sqs.create_queue(QueueName="dead-letters")

    assert http_sends == [f"http://127.0.0.1:{moto_port}/"]
