"""AWS calls made inside the emulator's process reach moto without a round trip over HTTP.

The functions, the ASL interpreter's Task states and the stack all run in the emulator's
process, yet each of their AWS calls went out over TCP to moto's server on the same
process: werkzeug closes every connection after one answer, so each call paid a connect, a
server thread and HTTP parsing on both sides (about half its cost). Here botocore's HTTP
sender hands a request addressed to an emulator straight to that emulator's WSGI
application, on the caller's thread: the same moto code answers it (request parsing,
recorder, patches, fault plan), only the socket is skipped. The sender is patched rather
than a session's `before-send` event because a session copies botocore's handlers when it
is made, and clients of sessions made before the emulator started must be covered too.
Callers in other processes (Terraform, the test drivers, the CLI) still speak HTTP.

A Lambda timeout must not stop a function thread half-way through moto's handling of a
call (AWS completes a call it received even when the caller's sandbox is stopped), so
calls run inside `lambda_runner.uninterruptible()`.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders
from botocore.httpsession import URLLib3Session
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.test import EnvironBuilder, run_wsgi_app

from local_cloud import env_overlay
from local_cloud.lambda_runner import uninterruptible

WsgiApp = Any
LOOPBACK_NAMES = ("127.0.0.1", "localhost")


class _RawBody(io.BytesIO):
    """What botocore reads a response body from (urllib3's `stream` included)."""

    def stream(self, amt: int | None = None, **_: Any) -> Iterator[bytes]:
        while chunk := self.read(amt or 64 * 1024):
            yield chunk


class InProcessRoutes:
    """Emulators of this process by their AWS endpoint's address (host:port)."""

    def __init__(self) -> None:
        self._apps: dict[str, WsgiApp] = {}
        self._lock = threading.Lock()

    def add(self, port: int) -> None:
        # A dispatcher of our own: it serves moto's process-wide backends, as the server's does.
        app = DomainDispatcherApplication(create_backend_app)
        with self._lock:
            for host in LOOPBACK_NAMES:
                self._apps[f"{host}:{port}"] = app

    def remove(self, port: int) -> None:
        with self._lock:
            for host in LOOPBACK_NAMES:
                self._apps.pop(f"{host}:{port}", None)

    def app_for(self, url: str) -> WsgiApp | None:
        parts = urlsplit(url)
        if parts.scheme != "http":
            return None
        return self._apps.get(parts.netloc)

    def answer(self, app: WsgiApp, request: AWSPreparedRequest) -> AWSResponse:
        environ = wsgi_environ(request)
        # moto reads settings from the environment: it must see the process's, not the
        # calling function's (each function thread sees its own, see env_overlay).
        with env_overlay.process_view(), uninterruptible():
            body, status, headers = run_wsgi_app(app, environ)
            try:
                content = b"".join(body)
            finally:
                getattr(body, "close", lambda: None)()
        answer_headers = HTTPHeaders()
        for name, value in headers.items():
            answer_headers[name] = value
        return AWSResponse(request.url, int(status.split()[0]), answer_headers, _RawBody(content))


def wsgi_environ(request: AWSPreparedRequest) -> dict[str, Any]:
    """The environ werkzeug's server would build for this request."""
    parts = urlsplit(request.url)
    headers = [(name, _text(value)) for name, value in request.headers.items()]
    return EnvironBuilder(
        method=request.method,
        base_url=f"{parts.scheme}://{parts.netloc}",
        path=parts.path or "/",
        query_string=parts.query,
        headers=headers,
        data=_body_bytes(request.body),
    ).get_environ()


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    chunks: Iterable[bytes | str] = body
    return b"".join(c.encode("utf-8") if isinstance(c, str) else c for c in chunks)


ROUTES = InProcessRoutes()
_install_lock = threading.Lock()


def _install_sender() -> None:
    over_http = URLLib3Session.send
    if getattr(over_http, "in_process_routes", None) is ROUTES:
        return

    def send(self: URLLib3Session, request: AWSPreparedRequest) -> AWSResponse:
        app = ROUTES.app_for(request.url)
        return over_http(self, request) if app is None else ROUTES.answer(app, request)

    send.in_process_routes = ROUTES  # type: ignore[attr-defined]
    URLLib3Session.send = send  # type: ignore[method-assign,assignment]


def serve_in_process(port: int) -> None:
    """From now on every botocore client in this process calls the emulator on
    127.0.0.1:`port` (or localhost:`port`) directly."""
    with _install_lock:
        _install_sender()
    ROUTES.add(port)


def stop_serving_in_process(port: int) -> None:
    ROUTES.remove(port)
