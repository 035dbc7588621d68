"""The atomic-writes patch: racing conditional writes on one item, exactly one wins."""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend

from local_cloud.dynamodb_atomic import WRITE_METHODS, patch_atomic_dynamodb_writes


def race_table() -> Any:
    """A client, and the table the racers share (inside mock_aws)."""
    client: Any = boto3.client("dynamodb", region_name="eu-west-1")
    client.create_table(
        TableName="race",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )
    return client


def test_patch_wraps_every_write_method_moto_has() -> None:
    patch_atomic_dynamodb_writes()

    for name in WRITE_METHODS:
        assert hasattr(DynamoDBBackend, name), f"moto no longer has DynamoDBBackend.{name}"
        assert getattr(DynamoDBBackend, name).__wrapped__ is not None


def test_racing_conditional_puts_have_exactly_one_winner() -> None:
    patch_atomic_dynamodb_writes()
    with mock_aws():
        client = race_table()
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


def test_reads_and_updates_racing_on_one_item_all_answer() -> None:
    """moto's UpdateItem copies the stored item before it takes the backend's write lock,
    and reads serialise it, while a write on another thread changes it in place: without
    the whole call under the lock, some calls fail with "dictionary changed size"."""
    patch_atomic_dynamodb_writes()
    with mock_aws():
        client = race_table()
        client.put_item(TableName="race", Item={"pk": {"S": "OPS-1"}})
        failures: list[BaseException] = []
        barrier = threading.Barrier(8)

        def racer(i: int) -> None:
            barrier.wait()
            try:
                for n in range(40):
                    if i % 2:
                        client.get_item(TableName="race", Key={"pk": {"S": "OPS-1"}})
                    else:  # each write adds an attribute: the item's dict grows
                        client.update_item(
                            TableName="race",
                            Key={"pk": {"S": "OPS-1"}},
                            UpdateExpression="SET #a = :v",
                            ExpressionAttributeNames={"#a": f"a{i}_{n}"},
                            ExpressionAttributeValues={":v": {"N": str(n)}},
                        )
            except Exception as error:  # any failure is the finding
                failures.append(error)

        threads = [threading.Thread(target=racer, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert failures == []
        stored = client.get_item(TableName="race", Key={"pk": {"S": "OPS-1"}})["Item"]
        assert len(stored) == 1 + 4 * 40
