"""The mock external API (the code `enable_mock_apis` deploys) served over real HTTP on
127.0.0.1, without the emulator: functional tests exercise our HTTP client, timeouts and
status mapping against it, and the cold-start bench's step functions call it."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from local_cloud.wsgi_server import serve_in_background
from mock_apis.services.mock_external_api import Fault, MockAnswer, MockExternalApi


class ExternalApiServer:
    def __init__(self) -> None:
        self.api = MockExternalApi({})
        self.requests: list[dict[str, Any]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> ExternalApiServer:
        serve_in_background(self._server, "external-api")
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(
        self, endpoint: str, mode: str, remaining: int | None = None, seconds: float = 2.0
    ) -> None:
        self.api.set_faults({endpoint: Fault(mode=mode, remaining=remaining, seconds=seconds)})


def _handler(server: ExternalApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True  # headers and body are separate writes

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            if not self.headers.get("Authorization", "").startswith("Bearer "):
                self._send(MockAnswer(401, {"message": "missing bearer token"}))
            elif self.path.endswith("/enrich"):
                self._send(server.api.enrich(body))
            else:
                self._send(server.api.fulfil(body, self.headers.get("Idempotency-Key", "")))

        def _send(self, answer: MockAnswer) -> None:
            payload = json.dumps(answer.body).encode()
            try:
                self.send_response(answer.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out first, as the timeout fault intends

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
