"""One botocore model loader for every session the tests make.

Each boto3 Session reads botocore's service models and endpoint rules from disk (json
decoding them is about 60 ms a client), and the functional tests make a fresh session for
every container and fixture: a quarter of that tier's time went to reading the same files
again. The files do not change during a run, so sessions share a loader per search path.
Lambda keeps one session per container for the same reason; production code is untouched.
"""

from __future__ import annotations

import threading
from typing import Any

import botocore.loaders
import botocore.session

_loaders: dict[str | None, Any] = {}
_lock = threading.Lock()


def _shared_loader(search_path_string: str | None = None) -> Any:
    with _lock:
        if search_path_string not in _loaders:
            _loaders[search_path_string] = botocore.loaders.create_loader(search_path_string)
        return _loaders[search_path_string]


def install() -> None:
    """Sessions made from now on share loaders (botocore.session binds `create_loader`)."""
    botocore.session.create_loader = _shared_loader
