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
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
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


def patch_atomic_dynamodb_writes() -> None:
    """Idempotent: wrapping twice would still be correct, but is skipped."""
    if getattr(DynamoDBBackend, _PATCHED_FLAG, False):
        return
    for name in WRITE_METHODS:
        original = getattr(DynamoDBBackend, name, None)
        if original is not None:
            setattr(DynamoDBBackend, name, _serialised(original))
    DynamoHandler.call_action = _serialised(DynamoHandler.call_action)  # type: ignore[method-assign]
    setattr(DynamoDBBackend, _PATCHED_FLAG, True)


def _serialised(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _write_lock:
            return method(*args, **kwargs)

    return locked
