"""A timed-out function's thread is stopped, but never inside an AWS call handed to moto
on that thread: AWS finishes a call it received even when the caller's sandbox is gone."""

from __future__ import annotations

import threading
import time

from local_cloud.lambda_runner import FunctionTimedOut, stop_thread, uninterruptible


def run_until_stopped(steps: list[str], section_started: threading.Event) -> threading.Thread:
    def worker() -> None:
        try:
            with uninterruptible():
                section_started.set()
                time.sleep(0.3)  # the stop arrives while the call is being handled
                steps.append("call finished")
            steps.append("went on after the call")
        except FunctionTimedOut:
            steps.append("stopped")

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    return thread


def test_a_stop_during_an_uninterruptible_call_lands_when_the_call_ends() -> None:
    steps: list[str] = []
    started = threading.Event()
    thread = run_until_stopped(steps, started)
    started.wait(5)

    stop_thread(thread)
    thread.join(5)

    assert steps == ["call finished", "stopped"]


def test_a_stop_outside_any_call_lands_at_once() -> None:
    steps: list[str] = []
    ready = threading.Event()

    def worker() -> None:
        try:
            ready.set()
            while True:
                time.sleep(0.01)
        except FunctionTimedOut:
            steps.append("stopped")

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    ready.wait(5)

    stop_thread(thread)
    thread.join(5)

    assert steps == ["stopped"]
    assert not thread.is_alive()


def test_a_stop_during_nested_calls_waits_for_the_outermost_to_end() -> None:
    steps: list[str] = []
    inner_done = threading.Event()
    stopped_meanwhile = threading.Event()

    def worker() -> None:
        try:
            with uninterruptible():
                with uninterruptible():
                    steps.append("inner call")
                inner_done.set()
                stopped_meanwhile.wait(5)
                steps.append("outer call finished")
            steps.append("went on after the call")
        except FunctionTimedOut:
            steps.append("stopped")

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    inner_done.wait(5)

    stop_thread(thread)
    stopped_meanwhile.set()
    thread.join(5)

    assert steps == ["inner call", "outer call finished", "stopped"]
