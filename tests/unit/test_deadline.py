"""The invocation deadline the handlers start and the HTTP clients read."""

from __future__ import annotations

import math

from jira_workflow.deadline import Deadline


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Context:
    def __init__(self, millis: int) -> None:
        self.millis = millis

    def get_remaining_time_in_millis(self) -> int:
        return self.millis


def test_outside_an_invocation_there_is_no_bound() -> None:
    assert Deadline().remaining() == math.inf


def test_inside_an_invocation_the_margin_is_kept_back_and_time_runs() -> None:
    clock = Clock()
    deadline = Deadline(margin_seconds=3.0, clock=clock)

    with deadline.bounded_by(Context(30_000)):
        assert deadline.remaining() == 27.0
        clock.now += 10
        assert deadline.remaining() == 17.0
        clock.now += 20
        assert deadline.remaining() == -3.0

    assert deadline.remaining() == math.inf  # the next invocation starts afresh


def test_nested_invocations_restore_the_outer_deadline() -> None:
    # The local emulator can run one function inside another's thread of control.
    clock = Clock()
    deadline = Deadline(margin_seconds=0.0, clock=clock)

    with deadline.bounded_by(Context(30_000)):
        with deadline.bounded_by(Context(5_000)):
            assert deadline.remaining() == 5.0
        assert deadline.remaining() == 30.0
