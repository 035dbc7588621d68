"""Start a local-cloud command as a child process and wait for its one-line JSON "ready"
message, so tests and the demo drive the stack over HTTP while its logs go to a file."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from local_cloud import REPO_ROOT


class ReadyProcess:
    """`python -m <module> <args>` whose first stdout line starting with `{` is its endpoints."""

    def __init__(
        self,
        module: str,
        args: list[str],
        log_file: Path,
        ready_timeout: float = 180.0,
        env: dict[str, str] | None = None,
    ) -> None:
        self.command = [sys.executable, "-m", module, *args]
        self.log_file = log_file
        self.ready_timeout = ready_timeout
        self.env = env
        self.process: subprocess.Popen[str] | None = None
        self.info: dict[str, Any] = {}

    def start(self) -> dict[str, Any]:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_file.open("a", encoding="utf-8")
        self.process = subprocess.Popen(
            self.command,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(self.env or {})},
            start_new_session=True,  # Ctrl-C in a terminal reaches us, and we stop it cleanly
        )
        lines: queue.Queue[str | None] = queue.Queue()
        assert self.process.stdout is not None
        threading.Thread(target=_pump, args=(self.process.stdout, lines, log), daemon=True).start()
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                break
            if line.startswith("{"):
                self.info = json.loads(line)
                return self.info
        self.stop()
        raise RuntimeError(f"{self.command[1]} did not become ready; see {self.log_file}")

    def stop(self, timeout: float = 20.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _pump(stream: IO[str], lines: queue.Queue[str | None], log: IO[str]) -> None:
    """Hand the ready line over; everything the child prints also lands in its log."""
    for line in stream:
        # The ready line holds the API key and webhook secret: hand it over, never log it.
        log.write("(ready line handed to the driver)\n" if line.startswith("{") else line)
        log.flush()
        lines.put(line.strip())
    lines.put(None)


def emulator_process(log_file: Path, *args: str) -> ReadyProcess:
    return ReadyProcess(
        "local_cloud.emulator",
        list(args),
        log_file,
        ready_timeout=60,
    )
