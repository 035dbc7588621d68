"""boto3 clients for the emulator: one place for its endpoint and its throwaway credentials."""

from __future__ import annotations

import threading
from typing import Any

import boto3

# The emulator accepts any credentials; these make sure a developer's real ones are never sent.
EMULATOR_ACCESS_KEY = "local"

# Making a client costs 20-30 ms of CPU, and drivers run in the emulator's own process: a
# poll that made a client each time took that from the functions it was waiting on. boto3's
# low-level clients are thread-safe, so one per service and endpoint serves every caller.
_clients: dict[tuple[str, str, str], Any] = {}
_clients_lock = threading.Lock()


def emulator_client(service: str, endpoint_url: str, region: str) -> Any:
    """The client for `service` on the emulator (the name is chosen at run time, hence Any)."""
    key = (service, endpoint_url, region)
    with _clients_lock:  # boto3's default session is not safe to make clients from in parallel
        if key not in _clients:
            _clients[key] = _new_client(service, endpoint_url, region)
        return _clients[key]


def _new_client(service: str, endpoint_url: str, region: str) -> Any:
    factory: Any = boto3.client
    return factory(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=EMULATOR_ACCESS_KEY,
        aws_secret_access_key=EMULATOR_ACCESS_KEY,
    )
