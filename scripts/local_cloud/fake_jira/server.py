"""The fake's HTTP front: a threaded server on 127.0.0.1 that hands each request to
`RestApi.handle` and writes its answer as JSON."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from local_cloud.fake_jira.api import Answer, NoAnswer, RestApi
from local_cloud.fake_jira.rest import errors
from local_cloud.wsgi_server import serve_in_background

# (method, path, status) of every call, for tests that count calls; status 0: unanswered.
CallLog = list[tuple[str, str, int]]


class JiraRequestHandler(BaseHTTPRequestHandler):
    """One connection's requests; `api` and `calls` are bound per server."""

    protocol_version = "HTTP/1.1"
    server_version = "FakeJira/1.0"
    # Headers and body leave in two writes: with Nagle's algorithm on, the body waits
    # for the client's delayed ACK of the headers, about 40 ms per call.
    disable_nagle_algorithm = True
    api: RestApi
    calls: CallLog

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def do_PUT(self) -> None:
        self._answer()

    def do_DELETE(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            status, extra, payload = self._call_api(body)
        except NoAnswer:
            self.calls.append((self.command, self.path, 0))
            self.close_connection = True  # the client sees its read timeout, or a reset
            return
        self.calls.append((self.command, self.path, status))
        data = b"" if payload is None else json.dumps(payload).encode()
        # The client may have given up (a timeout test): nothing left to answer.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._write(status, extra, data)

    def _call_api(self, body: bytes) -> Answer:
        try:
            return self.api.handle(self.command, self.path, dict(self.headers.items()), body)
        except ValueError as exc:  # a body that is not JSON reaches here only unvalidated
            return 400, {}, errors(f"Invalid request: {exc}")

    def _write(self, status: int, extra: Mapping[str, str], data: bytes) -> None:
        self.send_response(status)
        for name, value in extra.items():
            self.send_header(name, value)
        if data:
            self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: request lines would carry issue keys into test output only


class JiraHttpServer:
    def __init__(self, api: RestApi, calls: CallLog, port: int = 0) -> None:
        bound = {"api": api, "calls": calls}
        handler = type("BoundJiraRequestHandler", (JiraRequestHandler,), bound)
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = serve_in_background(self._server, "fake-jira")

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
