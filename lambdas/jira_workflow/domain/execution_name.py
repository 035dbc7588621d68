"""Step Functions execution names derived from Jira's webhook delivery identifier.

The same delivery (Jira retries it with the same `X-Atlassian-Webhook-Identifier`) must map
to the same name so StartExecution starts nothing new.
"""

from __future__ import annotations

import hashlib
import re

MAX_NAME_LENGTH = 80
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_-]")
# Only a key shaped like `PROJ-123` parses back out of `<issue>-<delivery>` unambiguously.
_PLAIN_ISSUE_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*-[0-9]+")


def execution_name(issue_key: str, delivery_id: str) -> str:
    """`<issue>-<delivery>`: readable, valid characters only, at most 80 characters.

    Characters outside `[A-Za-z0-9_-]` become `_`; when that (or truncation) could make two
    different deliveries collide, a hash of the original identifier keeps them apart.
    """
    joined = f"{issue_key}-{delivery_id}"
    readable = _NOT_ALLOWED.sub("_", joined)
    if (
        readable == joined
        and len(readable) <= MAX_NAME_LENGTH
        and _PLAIN_ISSUE_KEY.fullmatch(issue_key)  # else ("A-1", "2-x") == ("A-1-2", "x")
    ):
        return readable
    # Length-prefixed: a separator alone lets ("A\0", "b") and ("A", "\0b") hash alike.
    identity = f"{len(issue_key)}:{issue_key}\0{delivery_id}"
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    return f"{readable[: MAX_NAME_LENGTH - len(digest) - 1]}-{digest}"


def reconciler_delivery_id(issue_key: str, observed_at: str) -> str:
    """A stable delivery id for a start the reconciler makes on Jira's behalf."""
    digest = hashlib.sha256(f"{issue_key}\0{observed_at}".encode()).hexdigest()[:24]
    return f"reconciler-{digest}"
