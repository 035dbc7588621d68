"""The threaded WSGI servers of the local cloud (the API front and the control API)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


class NoDelayRequestHandler(WSGIRequestHandler):
    # werkzeug sends the headers, then each body chunk, as separate writes; with Nagle's
    # algorithm on, a small write behind an unacknowledged one waits for the peer's
    # delayed ACK (about 40 ms on Linux).
    disable_nagle_algorithm = True


def make_threaded_server(host: str, port: int, app: WSGIApplication) -> BaseWSGIServer:
    """A thread per request, and TCP_NODELAY on every accepted socket."""
    return make_server(host, port, app, threaded=True, request_handler=NoDelayRequestHandler)
