"""DynamoDB: one item per request, the issue's pointer to its current one, task tokens.

Keys (pk is the issue key):
  sk = REQUEST#<execution name>   one request (one execution): state, decision, times
  sk = CURRENT                    which request is the issue's current one
and, under a partition of its own (pk = TOKEN#<issue>, sk = TOKEN), the pending approval's
task token (TTL): IAM's `dynamodb:LeadingKeys` condition on `TOKEN#*` (terraform/locals.tf)
keeps tokens from roles that only read records.

A request's item is its history: a new request on the issue gets a new item and moves the
pointer, so who decided last month's request stays recorded. Conditional writes keep it
exactly-once, and every state change's condition is rendered from the life cycle's table
(domain/lifecycle.py), never restated here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from jira_workflow.domain import lifecycle
from jira_workflow.domain.errors import (
    ApprovalAlreadyDecided,
    ApprovalExpired,
    NoPendingApproval,
    RequestNotFound,
    TransitionRefused,
)
from jira_workflow.domain.finalisation import OPEN_STATES
from jira_workflow.domain.lifecycle import Event, Notice, notice_field
from jira_workflow.domain.requests import (
    TERMINAL_STATES,
    ApprovalDecision,
    Decision,
    RequestRecord,
    RequestState,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

REQUEST_PREFIX = "REQUEST#"
CURRENT_SK = "CURRENT"
TOKEN_SK = "TOKEN"  # noqa: S105 - a sort key, not a credential
TOKEN_PK_PREFIX = "TOKEN#"  # noqa: S105 - a key prefix, not a credential
STATE_INDEX = "by_state"
# Set on a request whose recorded decision is being sent to Step Functions again.
RESENDING_MARKER = lifecycle.COMPLETION_RESENT
DECISION_FIELDS = ("decision", "actor", "decided_at", "decision_comment", "decision_source")
MAX_HISTORY = 100

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
    approval_deadline: int = 0  # epoch seconds: the attempt's TimeoutSeconds ends then


class RequestsTable:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # ---- reading requests ------------------------------------------------------------

    def get(self, issue_key: str) -> RequestRecord | None:
        """The issue's current request."""
        name = self._current_name(issue_key)
        return self.get_request(issue_key, name) if name else None

    def get_request(self, issue_key: str, execution_name: str) -> RequestRecord | None:
        """The request made by `execution_name`, current or not."""
        item = self._client.get_item(
            TableName=self._table,
            Key=_request_key(issue_key, execution_name),
            ConsistentRead=True,
        ).get("Item")
        return _to_record(item) if item else None

    def history(self, issue_key: str, limit: int = MAX_HISTORY) -> list[RequestRecord]:
        """Every request recorded for the issue, newest first."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": _values(pk=issue_key, prefix=REQUEST_PREFIX),
            "ConsistentRead": True,
        }
        records: list[RequestRecord] = []
        while True:
            page = self._client.query(**kwargs)
            records.extend(_to_record(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        records.sort(key=lambda r: (r.created_at, r.execution_name), reverse=True)
        return records[:limit]

    def _current_name(self, issue_key: str) -> str:
        item = self._client.get_item(
            TableName=self._table, Key=_key(issue_key, CURRENT_SK), ConsistentRead=True
        ).get("Item")
        return str(item["execution_name"]["S"]) if item else ""

    # ---- starting a request ----------------------------------------------------------

    def claim(
        self, issue_key: str, execution_name: str, delivery_id: str, payload_key: str, now: str
    ) -> ClaimOutcome:
        """Create the request and make it the issue's current one, unless one is active or
        this delivery already made one.

        A finished request is followed by a new one (the issue was resubmitted); a retry of
        any earlier delivery finds its own request and changes nothing.
        """
        own = self.get_request(issue_key, execution_name)
        if own is not None:
            return ClaimOutcome(own, claimed=False, same_delivery=True)
        record = RequestRecord(
            issue_key=issue_key,
            state=RequestState.RECEIVED,
            execution_name=execution_name,
            delivery_id=delivery_id,
            payload_key=payload_key,
            created_at=now,
            updated_at=now,
        )
        current_name = self._current_name(issue_key)
        current = self.get_request(issue_key, current_name) if current_name else None
        if current is not None and not current.is_terminal:
            return ClaimOutcome(current, claimed=False, same_delivery=False)
        writes: list[Any] = [
            self._move_pointer(issue_key, execution_name, now, current_name),
            *self._require_finished(issue_key, current_name),
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _to_item(record),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
        ]
        try:
            self._client.transact_write_items(TransactItems=writes)
            return ClaimOutcome(record, claimed=True, same_delivery=False)
        except ClientError as exc:
            if _error_code(exc) != "TransactionCanceledException":
                raise
        # Another claim won meanwhile: report what is there now.
        own = self.get_request(issue_key, execution_name)
        if own is not None:
            return ClaimOutcome(own, claimed=False, same_delivery=True)
        existing = self.get(issue_key)
        if existing is None:  # deleted between the calls: let the sender retry
            raise RequestNotFound(f"request for {issue_key} vanished while claiming")
        return ClaimOutcome(existing, claimed=False, same_delivery=False)

    def _move_pointer(
        self, issue_key: str, execution_name: str, now: str, expected: str
    ) -> dict[str, Any]:
        condition = "execution_name = :expected" if expected else "attribute_not_exists(pk)"
        values = {"name": execution_name, "now": now}
        if expected:
            values["expected"] = expected
        return {
            "Update": {
                "TableName": self._table,
                "Key": _key(issue_key, CURRENT_SK),
                "UpdateExpression": "SET execution_name = :name, created_at = :now",
                "ConditionExpression": condition,
                "ExpressionAttributeValues": _values(**values),
            }
        }

    def _require_finished(self, issue_key: str, execution_name: str) -> list[dict[str, Any]]:
        if not execution_name:
            return []
        condition, names, values = _state_condition(tuple(TERMINAL_STATES))
        return [
            {
                "ConditionCheck": {
                    "TableName": self._table,
                    "Key": _request_key(issue_key, execution_name),
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": _values(**values),
                }
            }
        ]

    # ---- moving a request through its life cycle -------------------------------------

    def advance(
        self,
        issue_key: str,
        execution_name: str,
        event: Event,
        now: str,
        **attributes: Any,
    ) -> RequestRecord:
        """Apply `event` to the request made by `execution_name`, setting `attributes`.

        Raises TransitionRefused when the life cycle does not allow it from where the
        request is (or its guard does not hold).
        """
        return self._transition(issue_key, execution_name, event, now, attributes)

    def update(
        self,
        issue_key: str,
        execution_name: str,
        now: str,
        state: RequestState | None = None,
        **attributes: Any,
    ) -> None:
        """Set attributes on the request made by `execution_name`, and no other.

        With `state`, only from a state the life cycle can lead there from: never out of a
        terminal outcome. Steps name their event (`advance`); this is for the rest.
        """
        values = {**attributes, "updated_at": now}
        condition = "attribute_exists(pk)"
        names: dict[str, str] = {}
        condition_values: dict[str, Any] = {}
        if state is not None:
            values["state"] = state.value
            in_states, names, condition_values = _state_condition(lifecycle.states_reaching(state))
            condition += f" AND {in_states}"
        names.update({f"#{k}": k for k in values})
        sets = ", ".join(f"#{k} = :{k}" for k in values)
        self._client.update_item(
            TableName=self._table,
            Key=_request_key(issue_key, execution_name),
            UpdateExpression=f"SET {sets}",
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=_values(**values, **condition_values),
        )

    def claim_once(self, issue_key: str, execution_name: str, notice: Notice, now: str) -> bool:
        """True for the first caller only: Jira is told each fact once per request."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_request_key(issue_key, execution_name),
                UpdateExpression="SET #marker = :now",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(#marker)",
                ExpressionAttributeNames={"#marker": notice_field(notice)},
                ExpressionAttributeValues=_values(now=now),
            )
            return True
        except ClientError as exc:
            _reraise_unless_condition_failed(exc)
            return False

    def release_once(self, issue_key: str, execution_name: str, notice: Notice) -> None:
        """Undo a claim whose action failed, so the retry performs it."""
        self._client.update_item(
            TableName=self._table,
            Key=_request_key(issue_key, execution_name),
            UpdateExpression="REMOVE #marker",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#marker": notice_field(notice)},
        )

    def close_if_open(self, issue_key: str, execution_name: str, cause: str, now: str) -> bool:
        """Close the request of `execution_name` (its execution ended without recording an
        outcome) as FAILED, only while it is open: an outcome written meanwhile is final, and
        a newer request on the issue has an item of its own. False if nothing moved."""
        record = self.get_request(issue_key, execution_name)
        if record is None or record.state not in OPEN_STATES:
            return False
        try:
            self.advance(issue_key, execution_name, Event.FAILED, now, failure_cause=cause)
        except TransitionRefused:
            return False
        return True

    def record_decision(self, decision: ApprovalDecision, now: str) -> RequestRecord:
        """Record the decision on the issue's current request if it is the first;
        otherwise say why it cannot be."""
        name = self._current_name(decision.issue_key)
        if not name:
            raise RequestNotFound(f"no request is recorded for {decision.issue_key}")
        event = Event.APPROVED if decision.decision is Decision.APPROVED else Event.REJECTED
        try:
            return self._transition(
                decision.issue_key,
                name,
                event,
                now,
                {
                    "decision": decision.decision.value,
                    "actor": decision.actor,
                    "decided_at": decision.decided_at or now,
                    "decision_comment": decision.comment,
                    "decision_source": decision.source,
                },
            )
        except TransitionRefused:
            raise _why_not_decidable(
                self.get_request(decision.issue_key, name), decision.issue_key
            ) from None

    def withdraw_decision(self, record: RequestRecord, now: str, state: RequestState) -> bool:
        """Put a recorded decision back (Step Functions refused it); `state` says where to.

        False when the decision is no longer the one recorded, or is being sent again
        (`mark_resending`): another send of it may have been applied, so it must stay.
        """
        event = (
            Event.DECISION_WITHDRAWN
            if state is RequestState.AWAITING_APPROVAL
            else Event.DECISION_TOO_LATE
        )
        try:
            self._transition(
                record.issue_key,
                record.execution_name,
                event,
                now,
                {},
                remove=DECISION_FIELDS,
                extra=("decided_at = :seen_decided_at", {"seen_decided_at": record.decided_at}),
            )
            return True
        except TransitionRefused:
            return False

    def mark_resending(self, record: RequestRecord, now: str) -> bool:
        """Note that the recorded decision is about to be sent again, so it is never withdrawn.

        False when the decision was withdrawn (or replaced) meanwhile: nothing to resend.
        """
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_request_key(record.issue_key, record.execution_name),
                UpdateExpression=f"SET {RESENDING_MARKER} = :now",
                ConditionExpression="attribute_exists(decision) AND decided_at = :decided_at",
                ExpressionAttributeValues=_values(now=now, decided_at=record.decided_at),
            )
            return True
        except ClientError as exc:
            _reraise_unless_condition_failed(exc)
            return False

    def _transition(
        self,
        issue_key: str,
        execution_name: str,
        event: Event,
        now: str,
        attributes: Mapping[str, Any],
        remove: tuple[str, ...] = (),
        extra: tuple[str, Mapping[str, Any]] | None = None,
    ) -> RequestRecord:
        """One conditional write: the event's sources and guard, rendered from the table."""
        target = lifecycle.single_target(event)
        if target is None:  # where it leads depends on where it is: read, then expect that
            seen = self.get_request(issue_key, execution_name)
            if seen is None or not lifecycle.may_happen(event, seen.state, _attributes(seen)):
                raise _refused(event, seen)
            target = lifecycle.next_state(event, seen.state)
            from_states: tuple[RequestState, ...] = (seen.state,)
        else:
            from_states = lifecycle.sources(event)
        condition, names, values = _state_condition(from_states)
        rule = lifecycle.guard(event)
        for i, name in enumerate((*rule.present, *rule.absent)):
            names[f"#g{i}"] = name
            kind = "attribute_exists" if i < len(rule.present) else "attribute_not_exists"
            condition += f" AND {kind}(#g{i})"
        if extra is not None:
            condition += f" AND {extra[0]}"
            values.update(extra[1])
        sets = {**attributes, "state": target.value, "updated_at": now}
        names.update({f"#s_{k}": k for k in sets})
        names.update({f"#r_{k}": k for k in remove})
        expression = "SET " + ", ".join(f"#s_{k} = :s_{k}" for k in sets)
        if remove:
            expression += " REMOVE " + ", ".join(f"#r_{k}" for k in remove)
        values.update({f"s_{k}": v for k, v in sets.items()})
        try:
            item = self._client.update_item(
                TableName=self._table,
                Key=_request_key(issue_key, execution_name),
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=_values(**values),
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except ClientError as exc:
            _reraise_unless_condition_failed(exc)
            raise _refused(event, self.get_request(issue_key, execution_name)) from None
        return _to_record(item)

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

    def store_token(
        self,
        issue_key: str,
        execution_name: str,
        token: str,
        expires_at: int,
        approval_deadline: int = 0,
    ) -> None:
        """Keep the newest token of the execution (a retried task gets a new one)."""
        self._client.put_item(
            TableName=self._table,
            Item={
                **token_key(issue_key),
                "task_token": {"S": token},
                "execution_name": {"S": execution_name},
                "expires_at": {"N": str(expires_at)},
                "approval_deadline": {"N": str(approval_deadline)},
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
            approval_deadline=int(item.get("approval_deadline", {"N": "0"})["N"]),
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


def _refused(event: Event, record: RequestRecord | None) -> TransitionRefused:
    where = record.state.value if record is not None else "not recorded"
    return TransitionRefused(f"{event.value} is not allowed for a request that is {where}")


def _state_condition(
    states: tuple[RequestState, ...],
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """`#state IN (...)`, its names and its values."""
    values = {f"st{i}": state.value for i, state in enumerate(states)}
    listed = ", ".join(f":{name}" for name in values)
    return f"#state IN ({listed})", {"#state": "state"}, values


def _attributes(record: RequestRecord) -> dict[str, object]:
    return {name: getattr(record, name) for name in _RECORD_FIELDS}


def _request_key(issue_key: str, execution_name: str) -> dict[str, Any]:
    return _key(issue_key, f"{REQUEST_PREFIX}{execution_name}")


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
    return {**_request_key(record.issue_key, record.execution_name), **item}


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


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _reraise_unless_condition_failed(exc: ClientError) -> None:
    if _error_code(exc) != "ConditionalCheckFailedException":
        raise exc
