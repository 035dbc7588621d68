"""Every HTTP server of the local cloud sets TCP_NODELAY on the sockets it accepts: with
Nagle's algorithm on, a response written in two parts waited for the client's delayed ACK,
about 40 ms per call on the fake Jira (every tier pays it, several times per request)."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import MotoRequestHandler

from local_cloud import moto_patches
from local_cloud.api_front import ApiGatewayFront
from local_cloud.fake_jira.fake import FakeJira
from local_cloud.wsgi_server import make_threaded_server


@pytest.fixture
def accepted_nodelay(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """TCP_NODELAY of every socket a server in this process accepts from now on."""
    seen: list[int] = []
    setup = socketserver.StreamRequestHandler.setup

    def record_after_setup(handler: socketserver.StreamRequestHandler) -> None:
        setup(handler)
        seen.append(handler.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    monkeypatch.setattr(socketserver.StreamRequestHandler, "setup", record_after_setup)
    return seen


def _hello(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return iter([b"ok"])


def test_the_fake_jira_answers_without_nagle_delay(accepted_nodelay: list[int]) -> None:
    with FakeJira() as jira:
        requests.get(f"{jira.url}/rest/api/3/issue/OPS-1", timeout=5)

    assert accepted_nodelay
    assert all(accepted_nodelay)


def test_the_control_api_server_answers_without_nagle_delay(accepted_nodelay: list[int]) -> None:
    server = make_threaded_server("127.0.0.1", 0, _hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert requests.get(f"http://127.0.0.1:{server.server_port}/", timeout=5).text == "ok"
    finally:
        server.shutdown()
        server.server_close()

    assert accepted_nodelay
    assert all(accepted_nodelay)


def test_the_api_front_answers_without_nagle_delay(accepted_nodelay: list[int]) -> None:
    front = ApiGatewayFront("123456789012", "us-east-1")
    front.start()
    try:
        requests.get(f"{front.url}/local/nowhere", timeout=5)
    finally:
        front.stop()

    assert accepted_nodelay
    assert all(accepted_nodelay)


def test_the_moto_server_answers_without_nagle_delay(
    accepted_nodelay: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(moto_patches, "APPLIED", [])
    monkeypatch.setattr(MotoRequestHandler, "disable_nagle_algorithm", False)
    moto_patches.patch_moto_server_no_delay()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        requests.get(f"http://{host}:{port}/moto-api/data.json", timeout=10)
    finally:
        server.stop()

    assert moto_patches.APPLIED == ["moto_server_no_delay"]
    assert accepted_nodelay
    assert all(accepted_nodelay)
