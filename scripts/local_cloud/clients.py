"""boto3 clients for the emulator: one place for its endpoint and its throwaway credentials."""

from __future__ import annotations

from typing import Any

import boto3

# The emulator accepts any credentials; these make sure a developer's real ones are never sent.
EMULATOR_ACCESS_KEY = "local"


def emulator_client(service: str, endpoint_url: str, region: str) -> Any:
    """A client for `service` on the emulator (the name is chosen at run time, hence Any)."""
    factory: Any = boto3.client
    return factory(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=EMULATOR_ACCESS_KEY,
        aws_secret_access_key=EMULATOR_ACCESS_KEY,
    )
