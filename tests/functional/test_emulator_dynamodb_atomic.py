"""The atomic-writes patch: racing conditional writes on one item, exactly one wins."""

from __future__ import annotations

import threading

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend

from local_cloud.dynamodb_atomic import WRITE_METHODS, patch_atomic_dynamodb_writes


def test_patch_wraps_every_write_method_moto_has() -> None:
    patch_atomic_dynamodb_writes()

    for name in WRITE_METHODS:
        assert hasattr(DynamoDBBackend, name), f"moto no longer has DynamoDBBackend.{name}"
        assert getattr(DynamoDBBackend, name).__wrapped__ is not None


def test_racing_conditional_puts_have_exactly_one_winner() -> None:
    patch_atomic_dynamodb_writes()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        client.create_table(
            TableName="race",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
        winners: list[int] = []
        barrier = threading.Barrier(16)

        def racer(i: int) -> None:
            barrier.wait()
            try:
                client.put_item(
                    TableName="race",
                    Item={"pk": {"S": "OPS-1"}, "winner": {"N": str(i)}},
                    ConditionExpression="attribute_not_exists(pk)",
                )
                winners.append(i)
            except ClientError as exc:
                assert exc.response["Error"]["Code"] == "ConditionalCheckFailedException"

        threads = [threading.Thread(target=racer, args=(i,)) for i in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert len(winners) == 1
        stored = client.get_item(TableName="race", Key={"pk": {"S": "OPS-1"}})["Item"]
        assert stored["winner"]["N"] == str(winners[0])
