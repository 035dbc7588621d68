"""The atomic-writes patch: racing conditional writes on one item, exactly one wins."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType

from local_cloud.dynamodb_atomic import WRITE_METHODS, patch_atomic_dynamodb_writes
from tests.functional.conftest import _create_table


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


# ---- a transaction's rollback copies only the partitions it touches ---------------------


def ledger_table() -> Any:
    """The requests table's schema (pk, sk), five partitions A-E holding {"n": 1} each."""
    client: Any = boto3.client("dynamodb", region_name="eu-west-1")
    _create_table(client, "ledger")
    for pk in "ABCDE":
        client.put_item(TableName="ledger", Item={**key(pk), "n": {"N": "1"}})
    return client


def key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "1"}}


def items(client: Any) -> dict[str, str]:
    scanned = client.scan(TableName="ledger")["Items"]
    return {item["pk"]["S"]: item["n"]["N"] for item in scanned}


def transaction(fail: bool) -> list[dict[str, Any]]:
    """Update A, put F, delete C; then a condition on D that holds unless `fail`."""
    return [
        {
            "Update": {
                "TableName": "ledger",
                "Key": key("A"),
                "UpdateExpression": "SET n = :two",
                "ExpressionAttributeValues": {":two": {"N": "2"}},
            }
        },
        {"Put": {"TableName": "ledger", "Item": {**key("F"), "n": {"N": "1"}}}},
        {"Delete": {"TableName": "ledger", "Key": key("C")}},
        {
            "ConditionCheck": {
                "TableName": "ledger",
                "Key": key("D"),
                "ConditionExpression": "n = :n",
                "ExpressionAttributeValues": {":n": {"N": "9" if fail else "1"}},
            }
        },
    ]


def test_a_cancelled_transaction_leaves_every_item_as_it_was() -> None:
    patch_atomic_dynamodb_writes()
    with mock_aws():
        client = ledger_table()
        before = items(client)

        try:
            client.transact_write_items(TransactItems=transaction(fail=True))
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "TransactionCanceledException"
        else:
            raise AssertionError("the condition on D should have cancelled the transaction")

        assert items(client) == before  # A not updated, F not added, C not deleted
        client.transact_write_items(TransactItems=transaction(fail=False))
        assert items(client) == {"A": "2", "B": "1", "D": "1", "E": "1", "F": "1"}


def test_a_cancelled_transaction_copies_only_the_partitions_it_touches() -> None:
    patch_atomic_dynamodb_writes()
    with mock_aws():
        client = ledger_table()
        partitions = dynamodb_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].tables["ledger"].items
        untouched_before = partitions[DynamoType({"S": "B"})]

        with contextlib.suppress(ClientError):
            client.transact_write_items(TransactItems=transaction(fail=True))

        restored = dynamodb_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].tables["ledger"].items
        assert restored[DynamoType({"S": "B"})] is untouched_before  # shared, never copied
        assert restored[DynamoType({"S": "A"})] is not partitions[DynamoType({"S": "A"})]
