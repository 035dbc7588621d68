"""Each function thread sees its own environment; moto, answering a call on that thread,
sees the process's (env_overlay.process_view)."""

from __future__ import annotations

import os
import threading

from local_cloud import env_overlay


def test_an_overlay_is_seen_only_by_its_own_thread() -> None:
    environ = env_overlay.install()
    seen_elsewhere: list[str | None] = []

    with environ.overlay({"FUNCTION_ONLY": "webhook"}):
        other = threading.Thread(target=lambda: seen_elsewhere.append(os.getenv("FUNCTION_ONLY")))
        other.start()
        other.join()
        assert os.environ["FUNCTION_ONLY"] == "webhook"

    assert seen_elsewhere == [None]
    assert "FUNCTION_ONLY" not in os.environ


def test_process_view_shows_the_process_environment_inside_an_overlay() -> None:
    environ = env_overlay.install()
    environ.process_environ["PROCESS_ONLY"] = "moto"
    try:
        with environ.overlay({"FUNCTION_ONLY": "webhook"}):
            with env_overlay.process_view():
                assert os.getenv("PROCESS_ONLY") == "moto"
                assert os.getenv("FUNCTION_ONLY") is None
            assert os.getenv("FUNCTION_ONLY") == "webhook"
            assert os.getenv("PROCESS_ONLY") is None
    finally:
        del environ.process_environ["PROCESS_ONLY"]
