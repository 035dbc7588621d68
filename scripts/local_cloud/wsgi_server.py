"""The threaded WSGI servers of the local cloud (the API front and the control API), and how
every local HTTP server here is run in the background."""

from __future__ import annotations

import socketserver
import threading
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


# serve_forever notices shutdown() only at its next poll: 0.5 s by default, which every test
# that stopped a server used to pay (a third of the functional tier's teardown time).
SHUTDOWN_POLL_SECONDS = 0.05


def serve_in_background(server: socketserver.BaseServer, name: str) -> threading.Thread:
    """Serve on a daemon thread that stops within SHUTDOWN_POLL_SECONDS of shutdown()."""
    thread = threading.Thread(
        target=server.serve_forever, args=(SHUTDOWN_POLL_SECONDS,), name=name, daemon=True
    )
    thread.start()
    return thread
