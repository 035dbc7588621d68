"""A timed-out function's thread is stopped, but never inside an AWS call handed to moto
on that thread: AWS finishes a call it received even when the caller's sandbox is gone."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from local_cloud.lambda_runner import FunctionTimedOut, stop_thread, uninterruptible


def stopped_while(body: Callable[[list[str]], None], ready: threading.Event) -> list[str]:
    """Run `body` as a function's thread, stop that thread once `ready` is set, and return
    what the body recorded ("stopped" when FunctionTimedOut reached it)."""
    steps: list[str] = []

    def worker() -> None:
        try:
            body(steps)
        except FunctionTimedOut:
            steps.append("stopped")

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    ready.wait(5)
    stop_thread(thread)
    thread.join(5)
    assert not thread.is_alive()
    return steps


def test_a_stop_during_an_uninterruptible_call_lands_when_the_call_ends() -> None:
    in_call = threading.Event()

    def body(steps: list[str]) -> None:
        with uninterruptible():
            in_call.set()
            time.sleep(0.3)  # the stop arrives while the call is being handled
            steps.append("call finished")
        steps.append("went on after the call")

    assert stopped_while(body, in_call) == ["call finished", "stopped"]


def test_a_stop_outside_any_call_lands_at_once() -> None:
    running = threading.Event()

    def body(steps: list[str]) -> None:
        running.set()
        while True:
            time.sleep(0.01)

    assert stopped_while(body, running) == ["stopped"]


def test_a_stop_during_nested_calls_waits_for_the_outermost_to_end() -> None:
    inner_done = threading.Event()

    def body(steps: list[str]) -> None:
        with uninterruptible():
            with uninterruptible():
                steps.append("inner call")
            inner_done.set()
            time.sleep(0.3)  # the stop arrives between the inner call and the outer's end
            steps.append("outer call finished")
        steps.append("went on after the call")

    assert stopped_while(body, inner_done) == ["inner call", "outer call finished", "stopped"]
