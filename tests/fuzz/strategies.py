"""Hypothesis strategies for what arrives at the API: Jira payloads (valid, mutated, hostile),
headers and signatures, decision bodies and issue keys.

Everything is bytes in, because that is what crosses the wire; `proxy_event` then wraps the
bytes the way API Gateway does (base64 when they are not UTF-8).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import strategies as st

from jira_workflow.domain.signature import sign
from tests.functional.conftest import WEBHOOK_SECRET
from tests.support.jira_payloads import issue_created, status_changed
from tests.support.lambda_events import api_event

# A small key space, so accepted deliveries hit the same few issues again (duplicates,
# "already in progress", decisions) instead of each writing a fresh request.
ISSUE_KEYS = tuple(f"{project}-{n}" for project in ("OPS", "IT", "HR") for n in range(1, 6))
SEEDED_KEYS = ("OPS-1", "OPS-2", "OPS-3", "OPS-4")  # see properties.SeededApprovals
STATUSES = ("Submitted", "Approved", "Rejected", "To Do", "Awaiting Approval", "Done", "")
EVENTS = (
    "jira:issue_created",
    "jira:issue_updated",
    "jira:issue_deleted",
    "comment_created",
    "worklog_updated",
    "",
)
HOSTILE_TEXT = (
    "\ud800",  # a lone surrogate: legal in a JSON escape, not encodable as UTF-8
    "\x00",
    "OPS-1\nOPS-2",
    "../../etc/passwd",
    "' OR 1=1 --",
    "${jndi:ldap://x}",
    "é" * 300,
    "🙂" * 100,
    " " * 10,
)
MAX_WEBHOOK_BYTES = 65_536  # as tests/functional/conftest.py configures the function


def weighted(*choices: tuple[st.SearchStrategy[Any], int]) -> st.SearchStrategy[Any]:
    """Pick a strategy in proportion to its weight (hypothesis' one_of favours the first)."""
    pool = [strategy for strategy, weight in choices for _ in range(weight)]
    return st.sampled_from(pool).flatmap(lambda strategy: strategy)


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(HOSTILE_TEXT),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def jira_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A well-formed Jira webhook document: created, or a status change, on a known issue."""
    key = draw(st.sampled_from(ISSUE_KEYS))
    issue_type = draw(st.sampled_from(("Service Request", "Task", "Bug", "")))
    if draw(st.booleans()):
        body = issue_created(key, issue_type=issue_type, status=draw(st.sampled_from(STATUSES)))
    else:
        body = status_changed(
            key,
            draw(st.sampled_from(STATUSES)),
            draw(st.sampled_from(STATUSES)),
            actor=draw(st.one_of(st.text(max_size=30), st.sampled_from(HOSTILE_TEXT))),
            issue_type=issue_type,
        )
    document: dict[str, Any] = json.loads(body)
    if draw(st.sampled_from(range(10))) == 0:
        document["webhookEvent"] = draw(st.one_of(st.sampled_from(EVENTS), st.text(max_size=20)))
    return document


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document a mutation can hit, the root excluded."""
    found: list[tuple[Any, ...]] = []
    children: list[tuple[Any, Any]] = []
    if isinstance(value, dict):
        children = list(value.items())
    elif isinstance(value, list):
        children = list(enumerate(value))
    for key, child in children:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


def _parent(document: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        document = document[part]
    return document


@st.composite
def mutated_documents(draw: st.DrawFn) -> Any:
    """A Jira document with 1-4 mutations: a field dropped, retyped, nulled, or junk added."""
    document: Any = draw(jira_documents())
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(document)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _parent(document, path)
        action = draw(st.sampled_from(("drop", "retype", "null", "junk", "hostile")))
        if action == "drop":
            del parent[path[-1]]
        elif action == "retype":
            parent[path[-1]] = draw(json_values)
        elif action == "null":
            parent[path[-1]] = None
        elif action == "hostile":
            parent[path[-1]] = draw(st.sampled_from(HOSTILE_TEXT))
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=12))] = draw(json_values)
    if draw(st.sampled_from(range(20))) == 0:
        document = draw(json_values)  # the top level itself is not an object
    return document


def _deeply_nested(depth: int) -> bytes:
    return b'{"webhookEvent": "jira:issue_created", "issue": ' + b"[" * depth + b"]" * depth + b"}"


def _huge_number(digits: int) -> bytes:
    return b'{"webhookEvent": "jira:issue_created", "timestamp": ' + b"7" * digits + b"}"


def _over_the_limit(extra: int) -> bytes:
    summary = "x" * (MAX_WEBHOOK_BYTES + extra)
    return issue_created("OPS-1", summary=summary)


def _invalid_utf8(body: bytes, where: int, junk: bytes) -> bytes:
    where %= max(len(body), 1)
    return body[:where] + junk + body[where:]


def _json_bytes(document: Any) -> bytes:
    # ensure_ascii (the default) writes lone surrogates as \ud800 escapes, as a hostile
    # sender can: they only appear once the body is parsed.
    return json.dumps(document).encode("utf-8")


hostile_bodies = st.one_of(
    st.builds(_deeply_nested, st.integers(500, 60_000)),
    st.builds(_huge_number, st.integers(4_000, 20_000)),
    st.builds(_over_the_limit, st.integers(1, 10_000)),
    st.builds(
        _invalid_utf8,
        st.builds(issue_created, st.sampled_from(ISSUE_KEYS)),
        st.integers(0, 2_000),
        st.sampled_from((b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80\x80")),
    ),
    st.sampled_from(
        (b"", b"null", b"[]", b'"text"', b"1e999", b"NaN", b'{"webhookEvent": NaN}', b"{" * 3)
    ),
    st.binary(max_size=300),
)

webhook_bodies = weighted(
    (jira_documents().map(_json_bytes), 2),
    (mutated_documents().map(_json_bytes), 4),
    (hostile_bodies, 2),
)

delivery_ids = st.one_of(
    st.uuids().map(str),
    st.text(max_size=40),
    st.text(min_size=120, max_size=200),
    st.sampled_from(("", "   ", "\t", "a" * 128, "a" * 129, "délivrance-1", "../x", "x y z")),
)


@st.composite
def signature_headers(draw: st.DrawFn, body: bytes) -> dict[str, str]:
    """A valid signature most of the time; forged, truncated or malformed otherwise."""
    valid = sign(body, WEBHOOK_SECRET)
    choice = draw(st.sampled_from(range(10)))
    if choice < 6:
        return {"X-Hub-Signature": valid}
    forged = draw(
        st.one_of(
            st.just(valid[: draw(st.integers(0, len(valid) - 1))]),  # truncated
            st.just(valid.upper()),
            st.just(valid.replace("sha256=", "sha1=")),
            st.just(sign(body + b" ", WEBHOOK_SECRET)),  # signed over a different body
            st.just(sign(body, "not-the-secret")),
            st.just("sha256=" + "0" * 64),
            st.text(max_size=80),
        )
    )
    if choice == 6:
        return {}
    return {draw(st.sampled_from(("X-Hub-Signature", "x-hub-signature"))): forged}


def proxy_event(
    method: str,
    path: str,
    body: bytes | None,
    headers: dict[str, str],
    *,
    binary: bool = False,
    resource: str | None = None,
    path_parameters: dict[str, str] | None = None,
    api_key_id: str | None = None,
) -> dict[str, Any]:
    """The REST proxy event API Gateway builds: base64 when the body is not UTF-8 text
    (or when the API treats the media type as binary)."""
    event = api_event(
        method,
        path,
        None,
        headers,
        resource=resource,
        path_parameters=path_parameters,
        api_key_id=api_key_id,
    )
    if body is None:
        return event
    try:
        event["body"] = body.decode("utf-8")
    except UnicodeDecodeError:
        binary = True
    if binary:
        event["body"] = base64.b64encode(body).decode("ascii")
        event["isBase64Encoded"] = True
    return event


@st.composite
def decision_documents(draw: st.DrawFn) -> Any:
    """Callback bodies: well-formed decisions, then the same with fields broken."""
    document: dict[str, Any] = {
        "issueKey": draw(
            st.one_of(st.sampled_from(SEEDED_KEYS), st.sampled_from(ISSUE_KEYS), st.text())
        ),
        "decision": draw(st.sampled_from(("approved", "rejected", "approved", "maybe", ""))),
        "actor": draw(st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE_TEXT))),
    }
    if draw(st.booleans()):
        document["comment"] = draw(st.one_of(st.text(max_size=60), st.sampled_from(HOSTILE_TEXT)))
    for _ in range(draw(st.sampled_from((0, 0, 0, 1, 2)))):  # mostly well-formed
        field = draw(st.sampled_from((*document, "extra")))
        document[field] = draw(json_values)
    if draw(st.sampled_from(range(10))) == 0:
        return draw(json_values)
    return document


callback_bodies = weighted(
    (decision_documents().map(_json_bytes), 6),
    (hostile_bodies, 1),
    (st.builds(lambda n: b'{"comment": "' + b"c" * n + b'"}', st.integers(16_000, 40_000)), 1),
)

issue_key_parameters = st.one_of(
    st.sampled_from(ISSUE_KEYS),
    st.from_regex(r"[A-Z][A-Z0-9_]{0,49}-[1-9][0-9]{0,17}", fullmatch=True),
    st.text(max_size=80),
    st.sampled_from(("", "OPS-0", "ops-1", "OPS-1/../IT-1", "OPS-1%00", "A" * 51 + "-1", "🙂-1")),
)


@st.composite
def decision_webhooks(draw: st.DrawFn) -> dict[str, Any]:
    """A status change into Approved/Rejected by anyone, on the seeded requests."""
    body = status_changed(
        draw(st.sampled_from((*SEEDED_KEYS, "OPS-5"))),
        "Awaiting Approval",
        draw(st.sampled_from(("Approved", "Rejected"))),
        actor=draw(st.one_of(st.text(max_size=300), st.sampled_from(HOSTILE_TEXT))),
        issue_type=draw(st.sampled_from(("Service Request", "Task"))),
    )
    document: dict[str, Any] = json.loads(body)
    return document
