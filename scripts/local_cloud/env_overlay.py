"""Per-thread environment variables, so concurrent in-process Lambda invocations each
see their own function's configuration.

Why not a lock around an `os.environ` swap: the invocations are re-entrant (the enrich
Lambda calls the mock API, itself a Lambda behind the local API front, while the first
invocation is still running) so a global lock would deadlock, and it would serialise
every Lambda in the stack. Instead `os.environ` is replaced once by a mapping that serves
the current thread's overlay when one is active and the real environment otherwise.
Code that reads `os.environ` / `os.getenv` (pydantic-settings, Powertools, botocore)
sees the overlay; threads the handler itself starts see the process environment.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager


class ThreadLocalEnviron(MutableMapping[str, str]):
    """`os.environ` stand-in: a thread with an active overlay sees only that overlay."""

    def __init__(self, process_environ: MutableMapping[str, str]) -> None:
        self.process_environ = process_environ
        self._local = threading.local()

    def _current(self) -> MutableMapping[str, str]:
        overlay: dict[str, str] | None = getattr(self._local, "overlay", None)
        return self.process_environ if overlay is None else overlay

    def __getitem__(self, key: str) -> str:
        return self._current()[key]

    def __setitem__(self, key: str, value: str) -> None:
        self._current()[key] = value

    def __delitem__(self, key: str) -> None:
        del self._current()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._current()))

    def __len__(self) -> int:
        return len(self._current())

    def copy(self) -> dict[str, str]:
        return dict(self._current())

    @contextmanager
    def overlay(self, variables: Mapping[str, str]) -> Iterator[None]:
        """Within the block this thread sees exactly `variables` (nested blocks stack)."""
        previous = getattr(self._local, "overlay", None)
        self._local.overlay = dict(variables)
        try:
            yield
        finally:
            self._local.overlay = previous

    @contextmanager
    def without_overlay(self) -> Iterator[None]:
        """Within the block this thread sees the process environment, as a server thread
        would (an AWS call handed to moto on a function's own thread, see in_process_aws)."""
        previous = getattr(self._local, "overlay", None)
        self._local.overlay = None
        try:
            yield
        finally:
            self._local.overlay = previous


_install_lock = threading.Lock()


def install() -> ThreadLocalEnviron:
    """Replace `os.environ` with the per-thread mapping (idempotent) and return it."""
    with _install_lock:
        if not isinstance(os.environ, ThreadLocalEnviron):
            # Replacing (not clearing) is the point: the real environment lives on inside.
            os.environ = ThreadLocalEnviron(os.environ)  # type: ignore[assignment]  # noqa: B003
        return os.environ  # type: ignore[return-value]


@contextmanager
def process_view() -> Iterator[None]:
    """This thread sees the process environment within the block, overlay or not."""
    environ = os.environ
    if not isinstance(environ, ThreadLocalEnviron):
        yield
        return
    with environ.without_overlay():
        yield
