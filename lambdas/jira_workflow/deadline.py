"""How long the current invocation may still spend on outbound calls.

A handler starts the deadline from its Lambda context; the Jira client and the external
API read `remaining()` before every attempt and every wait, so a call that cannot finish
in time raises the retryable error the state machine retries instead of the function
being killed by its timeout (`Sandbox.Timedout`, which nothing can report).

The end is kept in a context variable: the local emulator runs concurrent invocations of
one function in threads that share one cached container.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

# Time kept back for the function to log, write its record and return its error.
DEFAULT_MARGIN_SECONDS = 3.0

RemainingSeconds = Callable[[], float]


class HasRemainingTime(Protocol):
    """What the Lambda context offers (Powertools' `LambdaContext`, the emulator's)."""

    def get_remaining_time_in_millis(self) -> int: ...


def unbounded() -> float:
    """No invocation around the call (operators' tools, tests): only the HTTP timeouts apply."""
    return math.inf


class Deadline:
    """The monotonic end of the current invocation's outbound work, less a margin."""

    def __init__(
        self,
        margin_seconds: float = DEFAULT_MARGIN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._margin = margin_seconds
        self._clock = clock
        self._ends_at: ContextVar[float | None] = ContextVar("invocation_ends_at", default=None)

    @contextmanager
    def bounded_by(self, context: HasRemainingTime) -> Iterator[None]:
        """Bound every outbound call made inside the block by the invocation's time left."""
        remaining = context.get_remaining_time_in_millis() / 1000.0
        token = self._ends_at.set(self._clock() + remaining - self._margin)
        try:
            yield
        finally:
            self._ends_at.reset(token)

    def remaining(self) -> float:
        """Seconds left before the margin; infinite outside an invocation."""
        ends_at = self._ends_at.get()
        if ends_at is None:
            return math.inf
        return ends_at - self._clock()
