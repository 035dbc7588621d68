"""DynamoDB: one item per Jira delivery (`X-Atlassian-Webhook-Identifier`) and what it did.

Stored in the requests table under its own key (`pk = DELIVERY#<id>`, `sk = DELIVERY`), so a
retry of any delivery, however old, finds its own answer (the execution it started, or why
it was ignored) without reading or writing the issue's request record, which may by then
belong to a newer request. The table's TTL attribute (`expires_at`) removes it once Jira
can no longer send it (see domain.freshness.delivery_expiry).

A start in flight holds a short lease (`starting_until`): copies of the delivery arriving
meanwhile are answered as duplicates; once the start fails (the lease is released) or its
function dies (the lease runs out), the next copy takes the lease and finishes the start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

DELIVERY_SK = "DELIVERY"
DELIVERY_PK_PREFIX = "DELIVERY#"  # no Jira issue key contains "#": never an issue's item
TTL_ATTRIBUTE = "expires_at"

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


@dataclass(frozen=True)
class DeliveryRecord:
    delivery_id: str
    issue_key: str
    execution_name: str
    received_at: str
    execution_arn: str = ""  # set once its execution is started
    ignored: str = ""  # set when it was answered without starting anything: the reason
    starting_until: int = 0  # epoch seconds; a start of it may be in flight until then

    @property
    def settled(self) -> bool:
        """Its answer is final: it started its execution, or was ignored."""
        return bool(self.execution_arn or self.ignored)


@dataclass(frozen=True)
class DeliveryClaim:
    record: DeliveryRecord
    first: bool  # True: no copy of this delivery was seen before; this caller owns it


class Deliveries:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def claim(
        self,
        delivery_id: str,
        issue_key: str,
        execution_name: str,
        now: str,
        starting_until: int,
        expires_at: int,
    ) -> DeliveryClaim:
        """Record the delivery and take its start lease, unless a copy of it came first."""
        record = DeliveryRecord(
            delivery_id=delivery_id,
            issue_key=issue_key,
            execution_name=execution_name,
            received_at=now,
            starting_until=starting_until,
        )
        item = {
            **_key(delivery_id),
            "issue_key": {"S": issue_key},
            "execution_name": {"S": execution_name},
            "received_at": {"S": now},
            "starting_until": {"N": str(starting_until)},
            TTL_ATTRIBUTE: {"N": str(expires_at)},
        }
        try:
            self._client.put_item(
                TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)"
            )
            return DeliveryClaim(record, first=True)
        except ClientError as exc:
            _reraise_unless_condition_failed(exc)
        existing = self.get(delivery_id)
        if existing is None:  # expired between the two calls: as good as new
            return self.claim(
                delivery_id, issue_key, execution_name, now, starting_until, expires_at
            )
        return DeliveryClaim(existing, first=False)

    def get(self, delivery_id: str) -> DeliveryRecord | None:
        item = self._client.get_item(
            TableName=self._table, Key=_key(delivery_id), ConsistentRead=True
        ).get("Item")
        return _to_record(item) if item else None

    def take_over(self, record: DeliveryRecord, now_epoch: int, starting_until: int) -> bool:
        """Take the lease of an unsettled delivery whose start failed or was abandoned.

        True for one caller only; False if the delivery settled or a start holds the lease.
        """
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(record.delivery_id),
                UpdateExpression="SET starting_until = :until",
                ConditionExpression=(
                    "attribute_exists(pk) AND attribute_not_exists(execution_arn) "
                    "AND attribute_not_exists(ignored) "
                    "AND (attribute_not_exists(starting_until) OR starting_until < :now)"
                ),
                ExpressionAttributeValues=_values(until=starting_until, now=now_epoch),
            )
            return True
        except ClientError as exc:
            _reraise_unless_condition_failed(exc)
            return False

    def started(self, delivery_id: str, execution_arn: str) -> None:
        """The delivery's execution exists: every later copy is answered with it."""
        self._client.update_item(
            TableName=self._table,
            Key=_key(delivery_id),
            UpdateExpression="SET execution_arn = :arn REMOVE starting_until",
            ExpressionAttributeValues=_values(arn=execution_arn),
        )

    def ignored(self, delivery_id: str, reason: str) -> None:
        """The delivery starts nothing, now or on any retry: every copy gets this reason.

        Never over an execution already recorded: a started delivery stays started.
        """
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(delivery_id),
                UpdateExpression="SET ignored = :reason REMOVE starting_until",
                ConditionExpression="attribute_not_exists(execution_arn)",
                ExpressionAttributeValues=_values(reason=reason),
            )
        except ClientError as exc:
            _reraise_unless_condition_failed(exc)

    def release(self, delivery_id: str, starting_until: int) -> None:
        """Give the lease back after a failed start, so Jira's next retry takes it at once.

        Only the lease this caller holds: a later holder's is left alone.
        """
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(delivery_id),
                UpdateExpression="REMOVE starting_until",
                ConditionExpression="starting_until = :mine",
                ExpressionAttributeValues=_values(mine=starting_until),
            )
        except ClientError as exc:
            _reraise_unless_condition_failed(exc)


def _key(delivery_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"{DELIVERY_PK_PREFIX}{delivery_id}"}, "sk": {"S": DELIVERY_SK}}


def _values(**values: Any) -> dict[str, Any]:
    return {f":{name}": _serializer.serialize(value) for name, value in values.items()}


def _to_record(item: dict[str, Any]) -> DeliveryRecord:
    data = {k: _deserializer.deserialize(v) for k, v in item.items()}
    return DeliveryRecord(
        delivery_id=str(data["pk"]).removeprefix(DELIVERY_PK_PREFIX),
        issue_key=str(data["issue_key"]),
        execution_name=str(data["execution_name"]),
        received_at=str(data["received_at"]),
        execution_arn=str(data.get("execution_arn", "")),
        ignored=str(data.get("ignored", "")),
        starting_until=int(data.get("starting_until", 0)),
    )


def _reraise_unless_condition_failed(exc: ClientError) -> None:
    if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
        raise exc
