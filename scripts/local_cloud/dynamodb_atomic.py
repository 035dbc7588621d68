"""Make moto's DynamoDB calls atomic, as DynamoDB's are.

moto evaluates a ConditionExpression and then applies the write as two separate steps with
no lock, so two threads can both pass `attribute_not_exists(decision)` and both "win". Real
DynamoDB evaluates the condition and writes atomically per item; the workflow's
exactly-once guarantees (one request per issue, one decision per approval) rest on that.

The backend's writes are not the whole call: moto's UpdateItem handler deep-copies the
stored item before it calls the backend, and every read serialises items, while a write on
another thread changes the same item in place. So each DynamoDB call is also handled whole
under the lock; otherwise a racing decision fails with "dictionary changed size during
iteration", where DynamoDB would answer. One process-wide lock is stronger than per-item
atomicity, and cheap at emulator scale.

The lock also makes a transaction's rollback cheap. moto deep-copies each table a
TransactWriteItems names, once per item, to restore it on cancellation: every claim cost
time in proportion to the table (7 s for the reconciler's 200-issue backlog). Under the lock
nothing else changes the table meanwhile, so the copy keeps only the partitions the
transaction touches and shares the rest.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections import defaultdict
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any, cast

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler

WRITE_METHODS = (
    "put_item",
    "update_item",
    "delete_item",
    "transact_write_items",
    "batch_write_item",
)
_write_lock = threading.RLock()
_PATCHED_FLAG = "_jira_workflow_atomic_writes"
# Table name -> the hash keys the running transaction touches; None outside a transaction.
_touched_partitions: ContextVar[Mapping[str, set[DynamoType] | None] | None] = ContextVar(
    "touched_partitions", default=None
)


def patch_atomic_dynamodb_writes() -> None:
    """Idempotent: wrapping twice would still be correct, but is skipped."""
    if getattr(DynamoDBBackend, _PATCHED_FLAG, False):
        return
    # Inside the lock below: the partitions are read from the tables the transaction sees.
    DynamoDBBackend.transact_write_items = _noting_touched_partitions(  # type: ignore[method-assign]
        DynamoDBBackend.transact_write_items
    )
    for name in WRITE_METHODS:
        original = getattr(DynamoDBBackend, name, None)
        if original is not None:
            setattr(DynamoDBBackend, name, _serialised(original))
    DynamoHandler.call_action = _serialised(DynamoHandler.call_action)  # type: ignore[method-assign]
    Table.__deepcopy__ = _copy_for_rollback  # type: ignore[attr-defined]
    setattr(DynamoDBBackend, _PATCHED_FLAG, True)


def _serialised(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _write_lock:
            return method(*args, **kwargs)

    return locked


def _noting_touched_partitions(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def transact_write_items(backend: DynamoDBBackend, transact_items: list[Any]) -> Any:
        token = _touched_partitions.set(_partitions_named(backend, transact_items))
        try:
            return method(backend, transact_items)
        finally:
            _touched_partitions.reset(token)

    return transact_write_items


def _partitions_named(
    backend: DynamoDBBackend, transact_items: list[Any]
) -> dict[str, set[DynamoType] | None]:
    """Per table, the hash keys of the transaction's items; a table whose keys cannot be read
    maps to None and is copied whole, as moto does."""
    touched: dict[str, set[DynamoType] | None] = {}
    for entry in transact_items:
        for operation in entry.values():
            name = operation.get("TableName")
            table = backend.tables.get(name)
            if table is None:
                continue  # moto answers ResourceNotFound; nothing to copy
            attributes = operation.get("Key") or operation.get("Item") or {}
            hash_value = attributes.get(table.hash_key_attr)
            if hash_value is None:
                touched[name] = None
            elif (partitions := touched.setdefault(name, set())) is not None:
                partitions.add(DynamoType(hash_value))
    return touched


def _copy_for_rollback(table: Table, memo: dict[int, Any]) -> Table:
    """Inside a transaction: a table sharing every partition but the touched ones, which
    are deep-copied. Anywhere else, and for a table whose keys were unreadable, the full
    deep copy Python would make."""
    touched = (_touched_partitions.get() or {}).get(table.name)
    if touched is None:
        return _full_copy(table, memo)
    snapshot = copy.copy(table)
    snapshot.items = defaultdict(dict, table.items)
    snapshot.stream_shard = copy.deepcopy(table.stream_shard, memo)  # a write appends to it
    for hash_value in touched & table.items.keys():
        snapshot.items[hash_value] = copy.deepcopy(table.items[hash_value], memo)
    return snapshot


def _full_copy(table: Table, memo: dict[int, Any]) -> Table:
    clone = cast(Table, Table.__new__(type(table)))
    memo[id(table)] = clone
    clone.__dict__.update(copy.deepcopy(table.__dict__, memo))
    return clone
