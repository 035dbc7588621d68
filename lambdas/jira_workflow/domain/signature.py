"""Jira webhook signatures: `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body>`."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from jira_workflow.domain.errors import BadSignature

_SCHEME = "sha256="


def sign(body: bytes, secret: str) -> str:
    """The header value Jira sends for `body` signed with `secret`."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"{_SCHEME}{digest}"


def verify_signature(body: bytes, header: str | None, secrets: Iterable[str]) -> None:
    """Accept the body if any configured secret signed it (old and new during rotation).

    Every secret is compared in constant time, so timing tells nothing about which one
    nearly matched.
    """
    if not header or not header.startswith(_SCHEME):
        raise BadSignature("missing or malformed X-Hub-Signature")
    presented = header.encode("ascii", errors="replace")
    matched = False
    for secret in secrets:
        if secret and hmac.compare_digest(presented, sign(body, secret).encode("ascii")):
            matched = True
    if not matched:
        raise BadSignature("signature does not match")
