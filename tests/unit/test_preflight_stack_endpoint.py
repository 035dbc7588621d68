"""Preflight attaches to a running `make local` stack, never to a stale stack file."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from workflow_tools.preflight.terraform import stack_endpoint


def _stack_file(tmp_path: Path, endpoint: str) -> Path:
    path = tmp_path / "stack.json"
    path.write_text(json.dumps({"aws_endpoint": endpoint}))
    return path


def test_endpoint_of_a_listening_stack_is_used(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        endpoint = f"http://127.0.0.1:{listener.getsockname()[1]}"

        assert stack_endpoint(_stack_file(tmp_path, endpoint)) == endpoint


def test_stack_file_left_by_a_stopped_stack_is_ignored(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]

    assert stack_endpoint(_stack_file(tmp_path, f"http://127.0.0.1:{free_port}")) is None


def test_missing_stack_file_means_no_stack(tmp_path: Path) -> None:
    assert stack_endpoint(tmp_path / "absent.json") is None
