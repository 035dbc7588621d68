"""DynamoDB: request records (`pk = <issue>, sk = REQUEST`) and pending task tokens
(`pk = TOKEN#<issue>, sk = TOKEN`).

Tokens have a partition key of their own so IAM can keep them from roles that only read
records (a `dynamodb:LeadingKeys` condition on `TOKEN#*`, terraform/locals.tf).

Conditional writes are how the workflow stays exactly-once: one active request per issue,
one winning decision per approval, one approval comment per execution.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from jira_workflow.domain.errors import (
    ApprovalAlreadyDecided,
    ApprovalExpired,
    NoPendingApproval,
    RequestNotFound,
)
from jira_workflow.domain.finalisation import OPEN_STATES
from jira_workflow.domain.requests import (
    TERMINAL_STATES,
    ApprovalDecision,
    Decision,
    RequestRecord,
    RequestState,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

REQUEST_SK = "REQUEST"
TOKEN_SK = "TOKEN"  # noqa: S105 - a sort key, not a credential
TOKEN_PK_PREFIX = "TOKEN#"  # noqa: S105 - a key prefix, not a credential
STATE_INDEX = "by_state"
# Set on a request whose recorded decision is being sent to Step Functions again.
RESENDING_MARKER = "completion_resent_at"

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
_RECORD_FIELDS = {f.name for f in fields(RequestRecord)}


@dataclass(frozen=True)
class ClaimOutcome:
    """What claiming an issue for a new request found."""

    record: RequestRecord
    claimed: bool  # False: a request for the issue already exists
    same_delivery: bool  # the existing request came from this very delivery


@dataclass(frozen=True)
class PendingToken:
    task_token: str
    execution_name: str
    expires_at: int


class RequestsTable:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # ---- request records ---------------------------------------------------------

    def get(self, issue_key: str) -> RequestRecord | None:
        item = self._client.get_item(
            TableName=self._table, Key=_key(issue_key, REQUEST_SK), ConsistentRead=True
        ).get("Item")
        return _to_record(item) if item else None

    def claim(
        self, issue_key: str, execution_name: str, delivery_id: str, payload_key: str, now: str
    ) -> ClaimOutcome:
        """Create the request unless one is active or this delivery already made it.

        A finished request may be replaced by a new one (the issue was resubmitted), but
        never by a retry of the delivery that created it.
        """
        record = RequestRecord(
            issue_key=issue_key,
            state=RequestState.RECEIVED,
            execution_name=execution_name,
            delivery_id=delivery_id,
            payload_key=payload_key,
            created_at=now,
            updated_at=now,
        )
        try:
            self._client.put_item(
                TableName=self._table,
                Item=_to_item(record),
                ConditionExpression=(
                    "attribute_not_exists(pk) OR "
                    "(#state IN (:t1, :t2, :t3, :t4) AND execution_name <> :name)"
                ),
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=_values(name=execution_name, **_terminal_state_values()),
            )
            return ClaimOutcome(record, claimed=True, same_delivery=False)
        except ClientError as exc:
            _reraise_unless_condition_failed(exc)
        existing = self.get(issue_key)
        if existing is None:  # deleted between the two calls: let the sender retry
            raise RequestNotFound(f"request for {issue_key} vanished while claiming")
        same = existing.execution_name == execution_name
        return ClaimOutcome(existing, claimed=False, same_delivery=same)

    def update(
        self,
        issue_key: str,
        execution_name: str,
        now: str,
        state: RequestState | None = None,
        **attributes: Any,
    ) -> None:
        """Set attributes on the request made by `execution_name`, and no other.

        The condition keeps a late step of an old execution from overwriting a newer request.
        """
        values = {**attributes, "updated_at": now}
        if state is not None:
            values["state"] = state.value
        names = {f"#{k}": k for k in values}
        sets = ", ".join(f"#{k} = :{k}" for k in values)
        self._client.update_item(
            TableName=self._table,
            Key=_key(issue_key, REQUEST_SK),
            UpdateExpression=f"SET {sets}",
            ConditionExpression="execution_name = :expected_execution",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=_values(expected_execution=execution_name, **values),
        )

    def claim_once(self, issue_key: str, execution_name: str, marker: str, now: str) -> bool:
        """True for the first caller only: lets a retried step post its Jira comment once."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(issue_key, REQUEST_SK),
                UpdateExpression="SET #marker = :now",
                ConditionExpression="execution_name = :name AND attribute_not_exists(#marker)",
                ExpressionAttributeNames={"#marker": marker},
                ExpressionAttributeValues=_values(now=now, name=execution_name),
            )
            return True
        except ClientError as exc:
            _reraise_unless_condition_failed(exc)
            return False

    def release_once(self, issue_key: str, execution_name: str, marker: str) -> None:
        """Undo a claim whose action failed, so the retry performs it."""
        self._client.update_item(
            TableName=self._table,
            Key=_key(issue_key, REQUEST_SK),
            UpdateExpression="REMOVE #marker",
            ConditionExpression="execution_name = :name",
            ExpressionAttributeNames={"#marker": marker},
            ExpressionAttributeValues=_values(name=execution_name),
        )

    def close_if_open(
        self, issue_key: str, execution_name: str, state: RequestState, cause: str, now: str
    ) -> bool:
        """Move the request of `execution_name` to `state`, only while it is not terminal.

        For an execution that ended without recording its outcome: an outcome written
        meanwhile (or a newer request on the issue) is never overwritten. False if nothing
        moved.
        """
        open_states = {f"open{i}": s.value for i, s in enumerate(OPEN_STATES, start=1)}
        placeholders = ", ".join(f":{name}" for name in open_states)
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(issue_key, REQUEST_SK),
                UpdateExpression="SET #state = :state, failure_cause = :cause, updated_at = :now",
                ConditionExpression=(f"execution_name = :name AND #state IN ({placeholders})"),
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=_values(
                    state=state.value, cause=cause, now=now, name=execution_name, **open_states
                ),
            )
            return True
        except ClientError as exc:
            _reraise_unless_condition_failed(exc)
            return False

    def record_decision(self, decision: ApprovalDecision, now: str) -> RequestRecord:
        """Record the decision if it is the first; otherwise say why it cannot be."""
        new_state = (
            RequestState.APPROVED
            if decision.decision is Decision.APPROVED
            else RequestState.REJECTED
        )
        try:
            item = self._client.update_item(
                TableName=self._table,
                Key=_key(decision.issue_key, REQUEST_SK),
                UpdateExpression=(
                    "SET #state = :new_state, decision = :decision, actor = :actor, "
                    "decided_at = :decided_at, decision_comment = :comment, "
                    "decision_source = :source, updated_at = :now"
                ),
                ConditionExpression="#state = :awaiting AND attribute_not_exists(decision)",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=_values(
                    new_state=new_state.value,
                    decision=decision.decision.value,
                    actor=decision.actor,
                    now=now,
                    decided_at=decision.decided_at or now,
                    comment=decision.comment,
                    source=decision.source,
                    awaiting=RequestState.AWAITING_APPROVAL.value,
                ),
                ReturnValues="ALL_NEW",
            )["Attributes"]
            return _to_record(item)
        except ClientError as exc:
            _reraise_unless_condition_failed(exc)
        raise _why_not_decidable(self.get(decision.issue_key), decision.issue_key)

    def withdraw_decision(self, record: RequestRecord, now: str, state: RequestState) -> bool:
        """Put a recorded decision back (Step Functions refused it); `state` says where to.

        False when the decision is no longer the one recorded, or is being sent again
        (`mark_resending`): another send of it may have been applied, so it must stay.
        """
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(record.issue_key, REQUEST_SK),
                UpdateExpression=(
                    "SET #state = :state, updated_at = :now "
                    "REMOVE decision, actor, decided_at, decision_comment, decision_source"
                ),
                ConditionExpression=(
                    "execution_name = :name AND decided_at = :decided_at "
                    f"AND attribute_not_exists({RESENDING_MARKER})"
                ),
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=_values(
                    state=state.value,
                    now=now,
                    name=record.execution_name,
                    decided_at=record.decided_at,
                ),
            )
            return True
        except ClientError as exc:
            _reraise_unless_condition_failed(exc)
            return False

    def mark_resending(self, record: RequestRecord, now: str) -> bool:
        """Note that the recorded decision is about to be sent again, so it is never withdrawn.

        False when the decision was withdrawn (or replaced) meanwhile: nothing to resend.
        """
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(record.issue_key, REQUEST_SK),
                UpdateExpression=f"SET {RESENDING_MARKER} = :now",
                ConditionExpression="execution_name = :name AND decided_at = :decided_at",
                ExpressionAttributeValues=_values(
                    now=now, name=record.execution_name, decided_at=record.decided_at
                ),
            )
            return True
        except ClientError as exc:
            _reraise_unless_condition_failed(exc)
            return False

    def list_by_state(
        self,
        state: RequestState,
        limit: int = 500,
        updated_between: tuple[str, str] | None = None,
        newest_first: bool = False,
    ) -> list[RequestRecord]:
        """Records in `state`, oldest update first unless `newest_first`; `updated_between`
        bounds it (inclusive).

        The bound keeps a query on a terminal state (which only grows) to recent records.
        """
        records: list[RequestRecord] = []
        key_condition, values = "#state = :state", {"state": state.value}
        if updated_between is not None:
            key_condition += " AND updated_at BETWEEN :since AND :until"
            values.update(since=updated_between[0], until=updated_between[1])
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": STATE_INDEX,
            "KeyConditionExpression": key_condition,
            "ExpressionAttributeNames": {"#state": "state"},
            "ExpressionAttributeValues": _values(**values),
            "ScanIndexForward": not newest_first,
        }
        while len(records) < limit:
            page = self._client.query(**kwargs)
            records.extend(_to_record(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return records[:limit]

    # ---- task tokens -------------------------------------------------------------

    def store_token(self, issue_key: str, execution_name: str, token: str, expires_at: int) -> None:
        """Keep the newest token of the execution (a retried task gets a new one)."""
        self._client.put_item(
            TableName=self._table,
            Item={
                **token_key(issue_key),
                "task_token": {"S": token},
                "execution_name": {"S": execution_name},
                "expires_at": {"N": str(expires_at)},
            },
        )

    def get_token(self, issue_key: str) -> PendingToken | None:
        item = self._client.get_item(
            TableName=self._table, Key=token_key(issue_key), ConsistentRead=True
        ).get("Item")
        if not item:
            return None
        return PendingToken(
            task_token=item["task_token"]["S"],
            execution_name=item["execution_name"]["S"],
            expires_at=int(item["expires_at"]["N"]),
        )

    def delete_token(self, issue_key: str, execution_name: str) -> None:
        try:
            self._client.delete_item(
                TableName=self._table,
                Key=token_key(issue_key),
                ConditionExpression="execution_name = :name",
                ExpressionAttributeValues=_values(name=execution_name),
            )
        except ClientError as exc:
            _reraise_unless_condition_failed(exc)


def _why_not_decidable(record: RequestRecord | None, issue_key: str) -> Exception:
    if record is None:
        return RequestNotFound(f"no request is recorded for {issue_key}")
    if record.decision is not None:
        return ApprovalAlreadyDecided(record.decision.value, record.actor)
    if record.state in TERMINAL_STATES:
        return ApprovalExpired(f"the request for {issue_key} is {record.state.value}")
    return NoPendingApproval(f"the request for {issue_key} is {record.state.value}")


def _terminal_state_values() -> dict[str, str]:
    states = sorted(s.value for s in TERMINAL_STATES)
    return {f"t{i}": state for i, state in enumerate(states, start=1)}


def token_key(issue_key: str) -> dict[str, Any]:
    """Where the issue's pending task token is stored."""
    return _key(TOKEN_PK_PREFIX + issue_key, TOKEN_SK)


def _key(issue_key: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": issue_key}, "sk": {"S": sk}}


def _values(**values: Any) -> dict[str, Any]:
    return {f":{name}": _serializer.serialize(value) for name, value in values.items()}


def _to_item(record: RequestRecord) -> dict[str, Any]:
    item = {
        name: _serializer.serialize(_plain(getattr(record, name)))
        for name in _RECORD_FIELDS
        if getattr(record, name) not in (None, "", ())
    }
    item.pop("issue_key")
    return {**_key(record.issue_key, REQUEST_SK), **item}


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return value.value if hasattr(value, "value") else value


def _to_record(item: dict[str, Any]) -> RequestRecord:
    data = {k: _deserializer.deserialize(v) for k, v in item.items()}
    data["issue_key"] = data.pop("pk")
    values = {k: v for k, v in data.items() if k in _RECORD_FIELDS}
    values["state"] = RequestState(values["state"])
    if values.get("decision"):
        values["decision"] = Decision(values["decision"])
    if "risk_score" in values:
        values["risk_score"] = int(values["risk_score"])
    values["artifact_keys"] = tuple(values.get("artifact_keys", ()))
    return RequestRecord(**values)


def _reraise_unless_condition_failed(exc: ClientError) -> None:
    if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
        raise exc
