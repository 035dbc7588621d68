"""A fake Jira Cloud: the REST v3 calls the workflow makes, plus signed webhooks.

Every request it receives is checked against Atlassian's official OpenAPI spec
(`jira_openapi.validate_request`) and answered 400 with the problems when it does not
match, so code tested against the fake cannot drift from the real API. Webhooks are
sent the way Jira Cloud sends them: HMAC-SHA256 `X-Hub-Signature`, a delivery
identifier reused on retries, `X-Atlassian-Webhook-Retry`, retries on 408/409/425/429/5xx.

In-process use (tests, emulator, demo):

    jira = FakeJira(email="bot@example.com", api_token="t0ken").start()
    key = jira.create_issue("OPS", "Need a laptop", issue_type="Service Request")
    jira.register_webhook("http://127.0.0.1:8080/jira/webhook", secret="s3cret")
    jira.transition(key, "Approved", actor="Bob Approver")   # fires jira:issue_updated
    jira.wait_for_deliveries()
    jira.stop()

Standalone: python -m local_cloud.fake_jira --help
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import hashlib
import hmac
import itertools
import json
import queue
import re
import secrets
import signal
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from jira_workflow.adapters.adf import adf_problems, adf_to_text, text_to_adf
from local_cloud.jira_openapi import JiraCall, validate_request, validate_response

# Every REST operation the fake answers; the committed spec holds exactly these and the
# client's (a contract test checks both directions).
SERVED_CALLS: tuple[JiraCall, ...] = (
    JiraCall("GET", "/rest/api/3/issue/{issueIdOrKey}"),
    JiraCall("GET", "/rest/api/3/issue/{issueIdOrKey}/transitions"),
    JiraCall("POST", "/rest/api/3/issue/{issueIdOrKey}/transitions"),
    JiraCall("GET", "/rest/api/3/issue/{issueIdOrKey}/comment"),
    JiraCall("POST", "/rest/api/3/issue/{issueIdOrKey}/comment"),
    JiraCall("POST", "/rest/api/3/search/jql"),
)

DEFAULT_STATUSES: tuple[str, ...] = (
    "To Do",
    "Submitted",
    "Awaiting Approval",
    "Approved",
    "Rejected",
    "Done",
    "Failed",
)
# Global transitions (available from every status but their own target), as in a
# simple team-managed Jira workflow.
DEFAULT_TRANSITIONS: tuple[tuple[str, str], ...] = (
    ("Submit", "Submitted"),
    ("Request approval", "Awaiting Approval"),
    ("Approve", "Approved"),
    ("Reject", "Rejected"),
    ("Complete", "Done"),
    ("Fail", "Failed"),
    ("Reopen", "To Do"),
)
WEBHOOK_RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
_ALLOWED_WEBHOOK_HOSTS = frozenset({"127.0.0.1"})
_NOT_FOUND = "Issue does not exist or you do not have permission to see it."
_MAX_PAGE = 100


# ---- State --------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeUser:
    account_id: str
    display_name: str
    email: str = ""

    def to_api(self) -> dict[str, Any]:
        return {"accountId": self.account_id, "displayName": self.display_name, "active": True}


@dataclass(frozen=True)
class Transition:
    id: str
    name: str
    to_status: str


@dataclass
class Workflow:
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    transitions: tuple[Transition, ...] = ()

    @classmethod
    def default(cls) -> Workflow:
        return cls.build(DEFAULT_STATUSES, DEFAULT_TRANSITIONS)

    @classmethod
    def build(cls, statuses: Sequence[str], transitions: Iterable[tuple[str, str]]) -> Workflow:
        built = tuple(
            Transition(id=str(11 + 10 * i), name=name, to_status=to)
            for i, (name, to) in enumerate(transitions)
        )
        unknown = {t.to_status for t in built} - set(statuses)
        if unknown:
            raise ValueError(f"transitions lead to unknown statuses: {sorted(unknown)}")
        return cls(statuses=tuple(statuses), transitions=built)

    def status_id(self, name: str) -> str:
        return str(10000 + self.statuses.index(name))

    def available_from(self, status: str) -> list[Transition]:
        return [t for t in self.transitions if t.to_status != status]


@dataclass
class FakeComment:
    id: str
    body: dict[str, Any]
    author: FakeUser
    created: datetime


@dataclass
class FakeIssue:
    id: str
    key: str
    project_key: str
    summary: str
    description: dict[str, Any] | None
    issue_type: str
    status: str
    labels: list[str]
    reporter: FakeUser
    priority: str
    created: datetime
    updated: datetime
    comments: list[FakeComment] = field(default_factory=list)


@dataclass
class Webhook:
    url: str
    secret: str
    events: frozenset[str]


@dataclass
class DeliveryAttempt:
    retry: int
    status: int | None
    error: str | None = None


@dataclass
class Delivery:
    """One webhook delivery (and its retries); `identifier` is reused on every retry."""

    identifier: str
    event: str
    issue_key: str
    url: str
    body: bytes
    secret: str
    attempts: list[DeliveryAttempt] = field(default_factory=list)
    dropped: bool = False
    duplicate_of: str | None = None

    @property
    def statuses(self) -> list[int | None]:
        return [a.status for a in self.attempts]

    @property
    def delivered(self) -> bool:
        return any(a.status is not None and 200 <= a.status < 300 for a in self.attempts)


@dataclass
class _Fault:
    status: int
    retry_after: float | None


# ---- The fake -----------------------------------------------------------------------


class FakeJira:
    def __init__(
        self,
        *,
        email: str = "workflow-bot@example.com",
        api_token: str = "fake-api-token",  # noqa: S107 - a local fake's default
        workflow: Workflow | None = None,
        projects: Iterable[str] = ("OPS",),
        webhook_retry_delays: Sequence[float] = (0.05, 0.1, 0.2, 0.4, 0.8),
        webhook_timeout_seconds: float = 10.0,
        validate_against_spec: bool = True,
    ) -> None:
        self.email = email
        self.api_token = api_token
        self.workflow = workflow or Workflow.default()
        self.webhook_retry_delays = tuple(webhook_retry_delays)
        self.webhook_timeout_seconds = webhook_timeout_seconds
        self.validate_against_spec = validate_against_spec
        self.api_user = FakeUser("557058:workflow-bot", "Workflow Bot", email)
        self._lock = threading.RLock()
        self._projects: dict[str, itertools.count[int]] = {}
        self._issues: dict[str, FakeIssue] = {}
        self._users: dict[str, FakeUser] = {self.api_user.display_name: self.api_user}
        self._ids = itertools.count(10001)
        self._faults: list[_Fault] = []
        self._latency = 0.0
        self._webhooks: list[Webhook] = []
        self._drop_next = 0
        self._wrong_secret_next = 0
        self._deliveries: list[Delivery] = []
        self._outbox: queue.Queue[Delivery | None] = queue.Queue()
        self._session = requests.Session()
        self.api_calls: list[tuple[str, str, int]] = []
        # What the fake answered that the spec does not allow: tests assert it stays empty.
        self.response_problems: list[str] = []
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        for project in projects:
            self.add_project(project)

    # ---- Lifecycle ------------------------------------------------------------------

    def start(self, port: int = 0) -> FakeJira:
        """Serve on 127.0.0.1 (port 0 picks a free one) and start the webhook sender."""
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler_for(self))
        self._server.daemon_threads = True
        self._threads = [
            threading.Thread(
                target=self._server.serve_forever, args=(0.05,), name="fake-jira", daemon=True
            ),
            threading.Thread(target=self._send_deliveries, name="fake-jira-hooks", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self._outbox.put(None)
        for thread in self._threads:
            thread.join(timeout=5)
        self._server = None
        self._threads = []

    def __enter__(self) -> FakeJira:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeJira is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # ---- Test helpers: state --------------------------------------------------------

    def add_project(self, key: str) -> None:
        with self._lock:
            self._projects.setdefault(key, itertools.count(1))

    def user(self, display_name: str) -> FakeUser:
        """The user with that display name, created on first use."""
        with self._lock:
            if display_name not in self._users:
                account = f"557058:{uuid.uuid5(uuid.NAMESPACE_URL, display_name)}"
                self._users[display_name] = FakeUser(account, display_name)
            return self._users[display_name]

    def create_issue(
        self,
        project: str,
        summary: str,
        *,
        issue_type: str = "Service Request",
        status: str | None = None,
        description: str = "",
        labels: Sequence[str] = (),
        reporter: str = "Alice Reporter",
        priority: str = "Medium",
        notify: bool = True,
    ) -> str:
        """Create an issue as a person would (fires `jira:issue_created` unless notify=False)."""
        status = status or self.workflow.statuses[0]
        if status not in self.workflow.statuses:
            raise ValueError(f"unknown status {status!r}")
        with self._lock:
            if project not in self._projects:
                raise ValueError(f"unknown project {project!r}")
            now = _now()
            issue = FakeIssue(
                id=str(next(self._ids)),
                key=f"{project}-{next(self._projects[project])}",
                project_key=project,
                summary=summary,
                description=text_to_adf(description) if description else None,
                issue_type=issue_type,
                status=status,
                labels=list(labels),
                reporter=self.user(reporter),
                priority=priority,
                created=now,
                updated=now,
            )
            self._issues[issue.key] = issue
            if notify:
                self._queue_event("jira:issue_created", issue, issue.reporter, changelog=None)
            return issue.key

    def transition(self, issue_key: str, to_status: str, actor: str = "Bob Approver") -> None:
        """Move the issue as a person in the UI would; fires `jira:issue_updated`."""
        with self._lock:
            issue = self._issue(issue_key)
            if to_status not in self.workflow.statuses:
                raise ValueError(f"unknown status {to_status!r}")
            self._move(issue, to_status, self.user(actor))

    def status(self, issue_key: str) -> str:
        with self._lock:
            return self._issue(issue_key).status

    def comments(self, issue_key: str) -> list[str]:
        with self._lock:
            return [adf_to_text(c.body) for c in self._issue(issue_key).comments]

    def issue(self, issue_key: str) -> FakeIssue:
        with self._lock:
            return self._issue(issue_key)

    # ---- Test helpers: faults -------------------------------------------------------

    def fail_next(
        self, count: int = 1, status: int = 503, retry_after: float | None = None
    ) -> None:
        """The next `count` API calls answer `status` (with Retry-After seconds if given)."""
        with self._lock:
            self._faults.extend(_Fault(status, retry_after) for _ in range(count))

    def set_latency(self, seconds: float) -> None:
        """Every API call waits this long before answering (0 turns it off)."""
        with self._lock:
            self._latency = seconds

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._latency = 0.0
            self._drop_next = 0
            self._wrong_secret_next = 0

    # ---- Test helpers: webhooks -----------------------------------------------------

    def register_webhook(
        self,
        url: str,
        secret: str,
        events: Iterable[str] = ("jira:issue_created", "jira:issue_updated"),
    ) -> None:
        host = urlsplit(url).hostname
        if host not in _ALLOWED_WEBHOOK_HOSTS:
            raise ValueError(f"the fake only sends webhooks to 127.0.0.1, not {host!r}")
        with self._lock:
            self._webhooks.append(Webhook(url, secret, frozenset(events)))

    def drop_next_deliveries(self, count: int = 1) -> None:
        """The next `count` deliveries are never sent: a webhook that never arrives."""
        with self._lock:
            self._drop_next += count

    def sign_next_with_wrong_secret(self, count: int = 1) -> None:
        with self._lock:
            self._wrong_secret_next += count

    def send_duplicate(self, identifier: str | None = None) -> Delivery:
        """Send a delivery again with the same identifier and body (default: the last)."""
        with self._lock:
            sent = [d for d in self._deliveries if d.duplicate_of is None]
            original = next((d for d in reversed(sent) if identifier in (None, d.identifier)), None)
            if original is None:
                raise ValueError(f"no delivery {identifier!r} to duplicate")
            duplicate = Delivery(
                identifier=original.identifier,
                event=original.event,
                issue_key=original.issue_key,
                url=original.url,
                body=original.body,
                secret=original.secret,
                duplicate_of=original.identifier,
            )
            self._deliveries.append(duplicate)
        self._outbox.put(duplicate)
        return duplicate

    @property
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    def wait_for_deliveries(self, timeout: float = 10.0) -> None:
        """Block until every queued delivery (with its retries) has finished."""
        deadline = time.monotonic() + timeout
        while self._outbox.unfinished_tasks:
            if time.monotonic() > deadline:
                raise TimeoutError("webhook deliveries still pending")
            time.sleep(0.01)

    # ---- Internals: state changes and events ----------------------------------------

    def _issue(self, key: str) -> FakeIssue:
        issue = self._issues.get(key.upper())
        if issue is None:
            raise KeyError(key)
        return issue

    def _move(self, issue: FakeIssue, to_status: str, actor: FakeUser) -> None:
        previous = issue.status
        issue.status = to_status
        issue.updated = _now()
        changelog = {
            "id": str(next(self._ids)),
            "items": [
                {
                    "field": "status",
                    "fieldtype": "jira",
                    "fieldId": "status",
                    "from": self.workflow.status_id(previous),
                    "fromString": previous,
                    "to": self.workflow.status_id(to_status),
                    "toString": to_status,
                }
            ],
        }
        self._queue_event("jira:issue_updated", issue, actor, changelog)

    def _queue_event(
        self, event: str, issue: FakeIssue, actor: FakeUser, changelog: dict[str, Any] | None
    ) -> None:
        payload: dict[str, Any] = {
            "timestamp": int(time.time() * 1000),
            "webhookEvent": event,
            "issue_event_type_name": "issue_created" if changelog is None else "issue_generic",
            "user": actor.to_api(),
            "issue": self._webhook_issue(issue),
        }
        if changelog is not None:
            payload["changelog"] = changelog
        body = json.dumps(payload).encode()
        for hook in self._webhooks:
            if event in hook.events:
                self._queue_delivery(hook, event, issue.key, body)

    def _queue_delivery(self, hook: Webhook, event: str, issue_key: str, body: bytes) -> None:
        secret = hook.secret
        if self._wrong_secret_next:
            self._wrong_secret_next -= 1
            secret = "wrong-" + secrets.token_hex(8)
        delivery = Delivery(str(uuid.uuid4()), event, issue_key, hook.url, body, secret)
        self._deliveries.append(delivery)
        if self._drop_next:
            self._drop_next -= 1
            delivery.dropped = True
            return
        self._outbox.put(delivery)

    def _webhook_issue(self, issue: FakeIssue) -> dict[str, Any]:
        # Jira Cloud webhooks carry fields in the REST v2 shape: description is plain text.
        rendered = self._issue_json(issue, None)
        rendered["fields"]["description"] = adf_to_text(issue.description) or None
        return rendered

    # ---- Internals: webhook sending -------------------------------------------------

    def _send_deliveries(self) -> None:
        while True:
            delivery = self._outbox.get()
            try:
                if delivery is None:
                    return
                self._deliver(delivery)
            finally:
                self._outbox.task_done()

    def _deliver(self, delivery: Delivery) -> None:
        for retry in range(len(self.webhook_retry_delays) + 1):
            if retry:
                time.sleep(self.webhook_retry_delays[retry - 1])
            attempt = self._attempt(delivery, retry)
            with self._lock:
                delivery.attempts.append(attempt)
            if attempt.status is not None and attempt.status not in WEBHOOK_RETRY_STATUSES:
                return

    def _attempt(self, delivery: Delivery, retry: int) -> DeliveryAttempt:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Atlassian Webhook HTTP Client",
            "X-Atlassian-Webhook-Identifier": delivery.identifier,
            "X-Hub-Signature": sign(delivery.body, delivery.secret),
        }
        if retry:
            headers["X-Atlassian-Webhook-Retry"] = str(retry)
        try:
            response = self._session.post(
                delivery.url,
                data=delivery.body,
                headers=headers,
                timeout=self.webhook_timeout_seconds,
            )
        except requests.RequestException as exc:
            return DeliveryAttempt(retry, None, type(exc).__name__)
        return DeliveryAttempt(retry, response.status_code)

    # ---- Internals: REST API --------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], object]:
        """Answer one REST call: (status, extra headers, JSON body or None)."""
        split = urlsplit(raw_path)
        with self._lock:
            fault = self._faults.pop(0) if self._faults else None
            latency = self._latency
        if latency:
            time.sleep(latency)
        if fault is not None:
            extra = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
            return fault.status, extra, _errors(f"Injected fault: HTTP {fault.status}")
        if not self._authorised(headers.get("Authorization", "")):
            return (
                401,
                {"WWW-Authenticate": 'Basic realm="protected-area"'},
                _errors("Client must be authenticated to access this resource."),
            )
        if self.validate_against_spec:
            problems = validate_request(
                method, split.path, parse_qs(split.query), body, headers.get("Content-Type")
            )
            if problems:
                return 400, {}, {"errorMessages": problems, "errors": {}}
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        status, extra, answer = self._route(method, split.path, query, body)
        if status < 300 and self.validate_against_spec:
            self.response_problems.extend(validate_response(method, split.path, status, answer))
        return status, extra, answer

    def _authorised(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        expected = f"{self.email}:{self.api_token}"
        return hmac.compare_digest(decoded.encode(), expected.encode())

    def _route(
        self, method: str, path: str, query: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], object]:
        routes: list[tuple[str, str, Callable[..., tuple[int, object]]]] = [
            ("GET", r"/rest/api/3/issue/([^/]+)", self._get_issue),
            ("GET", r"/rest/api/3/issue/([^/]+)/transitions", self._get_transitions),
            ("POST", r"/rest/api/3/issue/([^/]+)/transitions", self._post_transition),
            ("GET", r"/rest/api/3/issue/([^/]+)/comment", self._get_comments),
            ("POST", r"/rest/api/3/issue/([^/]+)/comment", self._post_comment),
            ("POST", r"/rest/api/3/search/jql", self._search),
        ]
        payload = json.loads(body) if body else {}
        for route_method, pattern, action in routes:
            match = re.fullmatch(pattern, path.rstrip("/"))
            if match and method == route_method:
                with self._lock:
                    try:
                        status, answer = action(*match.groups(), query=query, body=payload)
                    except KeyError:
                        status, answer = 404, _errors(_NOT_FOUND)
                return status, {}, answer
        return 501, {}, _errors(f"The fake does not implement {method} {path}")

    def _get_issue(self, key: str, *, query: Mapping[str, str], body: object) -> tuple[int, object]:
        fields = _field_list(query.get("fields"), default="*all")
        return 200, self._issue_json(self._issue(key), fields)

    def _get_transitions(
        self, key: str, *, query: Mapping[str, str], body: object
    ) -> tuple[int, object]:
        issue = self._issue(key)
        return 200, {
            "expand": "transitions",
            "transitions": [
                self._transition_json(t) for t in self.workflow.available_from(issue.status)
            ],
        }

    def _post_transition(
        self, key: str, *, query: Mapping[str, str], body: Mapping[str, Any]
    ) -> tuple[int, object]:
        issue = self._issue(key)
        wanted = str((body.get("transition") or {}).get("id", ""))
        chosen = next(
            (t for t in self.workflow.available_from(issue.status) if t.id == wanted), None
        )
        if chosen is None:
            return 400, _errors(f"Transition id '{wanted}' is not valid for this issue.")
        self._move(issue, chosen.to_status, self.api_user)
        return 204, None

    def _get_comments(
        self, key: str, *, query: Mapping[str, str], body: object
    ) -> tuple[int, object]:
        comments = [self._comment_json(key, c) for c in self._issue(key).comments]
        return 200, {
            "comments": comments,
            "startAt": 0,
            "maxResults": len(comments),
            "total": len(comments),
        }

    def _post_comment(
        self, key: str, *, query: Mapping[str, str], body: Mapping[str, Any]
    ) -> tuple[int, object]:
        issue = self._issue(key)
        # The spec leaves `body` untyped; real Jira rejects a body that is not valid ADF.
        problems = adf_problems(body.get("body"))
        if problems:
            return 400, {"errorMessages": [], "errors": {"comment": "; ".join(problems)}}
        comment = FakeComment(str(next(self._ids)), body["body"], self.api_user, _now())
        issue.comments.append(comment)
        issue.updated = comment.created
        return 201, self._comment_json(key, comment)

    def _search(self, *, query: Mapping[str, str], body: Mapping[str, Any]) -> tuple[int, object]:
        try:
            matches = JqlFilter.parse(str(body.get("jql", ""))).select(self._issues.values())
        except JqlError as exc:
            return 400, _errors(f"Error in the JQL Query: {exc}")
        start = _decode_page_token(body.get("nextPageToken"))
        if start is None:
            return 400, _errors("The provided next page token is invalid or expired.")
        size = max(1, min(int(body.get("maxResults", 50)), _MAX_PAGE))
        fields = body.get("fields") or ["id"]
        page = matches[start : start + size]
        answer: dict[str, Any] = {
            "issues": [self._issue_json(issue, list(fields)) for issue in page],
            "isLast": start + size >= len(matches),
        }
        if not answer["isLast"]:
            answer["nextPageToken"] = _encode_page_token(start + size)
        return 200, answer

    # ---- Internals: JSON shapes -----------------------------------------------------

    def _issue_json(self, issue: FakeIssue, fields: list[str] | None) -> dict[str, Any]:
        status_id = self.workflow.status_id(issue.status)
        all_fields: dict[str, Any] = {
            "summary": issue.summary,
            "description": issue.description,
            "issuetype": {
                "id": str(zlib.crc32(issue.issue_type.encode()) % 10000),
                "name": issue.issue_type,
            },
            "project": {"id": "10000", "key": issue.project_key, "name": issue.project_key},
            "status": {
                "id": status_id,
                "name": issue.status,
                "statusCategory": {"key": _status_category(issue.status)},
            },
            "labels": list(issue.labels),
            "reporter": issue.reporter.to_api(),
            "priority": {"id": "3", "name": issue.priority},
            "created": _jira_time(issue.created),
            "updated": _jira_time(issue.updated),
        }
        selected = _select_fields(all_fields, fields)
        rendered: dict[str, Any] = {
            "id": issue.id,
            "key": issue.key,
            "self": f"{self._base()}/rest/api/3/issue/{issue.id}",
        }
        if selected is not None:
            rendered["fields"] = selected
        return rendered

    def _transition_json(self, transition: Transition) -> dict[str, Any]:
        return {
            "id": transition.id,
            "name": transition.name,
            "hasScreen": False,
            "isGlobal": True,
            "isInitial": False,
            "isAvailable": True,
            "isConditional": False,
            "to": {
                "id": self.workflow.status_id(transition.to_status),
                "name": transition.to_status,
                "statusCategory": {"key": _status_category(transition.to_status)},
            },
        }

    def _comment_json(self, key: str, comment: FakeComment) -> dict[str, Any]:
        return {
            "id": comment.id,
            "self": f"{self._base()}/rest/api/3/issue/{key}/comment/{comment.id}",
            "author": comment.author.to_api(),
            "body": comment.body,
            "created": _jira_time(comment.created),
            "updated": _jira_time(comment.created),
        }

    def _base(self) -> str:
        return self.url if self._server is not None else "http://127.0.0.1"


# ---- JQL subset ---------------------------------------------------------------------


class JqlError(ValueError):
    """The query uses JQL the fake does not understand (real Jira answers 400 too)."""


_CLAUSE = re.compile(
    r"""\s*(?P<field>[A-Za-z]+)\s*
        (?:(?P<op>!=|>=|<=|=|>|<)\s*(?P<value>"[^"]*"|'[^']*'|[^\s()]+)
          |(?P<neg>not\s+)?in\s*\((?P<values>[^)]*)\))\s*""",
    re.IGNORECASE | re.VERBOSE,
)
_FIELD_ALIASES = {"type": "issuetype", "createddate": "created", "updateddate": "updated"}
_RELATIVE = re.compile(r"^([+-]?\d+)([wdhm])$")


@dataclass(frozen=True)
class _Clause:
    field: str
    op: str
    values: tuple[str, ...]

    def matches(self, issue: FakeIssue) -> bool:
        if self.field in ("created", "updated"):
            return self._compare_time(getattr(issue, self.field))
        actual = _issue_value(issue, self.field)
        folded = {v.casefold() for v in self.values}
        hit = any(a.casefold() in folded for a in actual)
        return not hit if self.op in ("!=", "not in") else hit

    def _compare_time(self, when: datetime) -> bool:
        bound = _jql_time(self.values[0])
        comparisons: dict[str, Callable[[datetime, datetime], bool]] = {
            ">=": lambda a, b: a >= b,
            ">": lambda a, b: a > b,
            "<=": lambda a, b: a <= b,
            "<": lambda a, b: a < b,
        }
        if self.op not in comparisons:
            raise JqlError(f"operator {self.op!r} is not supported for dates")
        return comparisons[self.op](when, bound)


@dataclass(frozen=True)
class JqlFilter:
    """`field = v`, `field != v`, `field in (...)`, `field not in (...)`, date comparisons
    on created/updated (`-1d`, `"2026-01-31 10:00"`), joined by AND; ORDER BY is ignored."""

    clauses: tuple[_Clause, ...]

    @classmethod
    def parse(cls, jql: str) -> JqlFilter:
        where = re.split(r"\border\s+by\b", jql, maxsplit=1, flags=re.IGNORECASE)[0].strip()
        if not where:
            return cls(())
        if re.search(r"\bor\b", where, re.IGNORECASE):
            raise JqlError("OR is not supported by the fake")
        parts = re.split(r"\band\b(?=(?:[^\"']|\"[^\"]*\"|'[^']*')*$)", where, flags=re.I)
        return cls(tuple(_parse_clause(part) for part in parts))

    def select(self, issues: Iterable[FakeIssue]) -> list[FakeIssue]:
        chosen = [i for i in issues if all(c.matches(i) for c in self.clauses)]
        return sorted(chosen, key=lambda i: int(i.id))


def _parse_clause(text: str) -> _Clause:
    match = _CLAUSE.fullmatch(text)
    if match is None:
        raise JqlError(f"cannot parse {text.strip()!r}")
    name = match["field"].lower()
    name = _FIELD_ALIASES.get(name, name)
    if name not in ("project", "issuetype", "status", "labels", "key", "created", "updated"):
        raise JqlError(f"field {match['field']!r} is not supported by the fake")
    if match["values"] is not None:
        values = tuple(_unquote(v) for v in match["values"].split(",") if v.strip())
        return _Clause(name, "not in" if match["neg"] else "in", values)
    return _Clause(name, match["op"], (_unquote(match["value"]),))


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _issue_value(issue: FakeIssue, name: str) -> list[str]:
    values = {
        "project": [issue.project_key],
        "issuetype": [issue.issue_type],
        "status": [issue.status],
        "labels": issue.labels,
        "key": [issue.key],
    }
    return values[name]


def _jql_time(value: str) -> datetime:
    relative = _RELATIVE.match(value)
    if relative:
        unit = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}[relative[2]]
        return _now() + timedelta(**{unit: int(relative[1])})
    for pattern in ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d"):
        try:
            return datetime.strptime(value, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise JqlError(f"date value {value!r} is not supported by the fake")


# ---- Helpers ------------------------------------------------------------------------


def sign(body: bytes, secret: str) -> str:
    """The `X-Hub-Signature` value Jira sends: sha256=<hex HMAC-SHA256 of the raw body>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _jira_time(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}+0000"


def _status_category(status: str) -> str:
    if status in ("Done", "Rejected", "Failed"):
        return "done"
    return "new" if status == "To Do" else "indeterminate"


def _errors(message: str) -> dict[str, Any]:
    return {"errorMessages": [message], "errors": {}}


def _field_list(raw: str | None, default: str) -> list[str]:
    return [f.strip() for f in (raw or default).split(",") if f.strip()]


def _select_fields(all_fields: dict[str, Any], wanted: list[str] | None) -> dict[str, Any] | None:
    if wanted is None or "*all" in wanted or "*navigable" in wanted:
        return dict(all_fields)
    chosen = {name: all_fields[name] for name in wanted if name in all_fields}
    # Only `id` requested: Jira omits `fields` altogether.
    return chosen if chosen or wanted != ["id"] else None


def _encode_page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _decode_page_token(token: object) -> int | None:
    if token in (None, ""):
        return 0
    try:
        text = base64.urlsafe_b64decode(str(token).encode()).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    prefix, _, number = text.partition(":")
    return int(number) if prefix == "offset" and number.isdigit() else None


def _handler_for(fake: FakeJira) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "FakeJira/1.0"

        def do_GET(self) -> None:
            self._answer()

        def do_POST(self) -> None:
            self._answer()

        def do_PUT(self) -> None:
            self._answer()

        def do_DELETE(self) -> None:
            self._answer()

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            try:
                status, extra, payload = fake.handle(
                    self.command, self.path, dict(self.headers.items()), body
                )
            except ValueError as exc:  # a body that is not JSON reaches here only unvalidated
                status, extra, payload = 400, {}, _errors(f"Invalid request: {exc}")
            fake.api_calls.append((self.command, self.path, status))
            data = b"" if payload is None else json.dumps(payload).encode()
            # The client may have given up (a timeout test): nothing left to answer.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._write(status, extra, data)

        def _write(self, status: int, extra: Mapping[str, str], data: bytes) -> None:
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            if data:
                self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: request lines would carry issue keys into test output only

    return Handler


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a fake Jira Cloud on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--email", default="workflow-bot@example.com")
    parser.add_argument("--api-token", default="fake-api-token")
    parser.add_argument("--project", action="append", default=None, help="repeatable; OPS")
    parser.add_argument("--webhook-url", help="http://127.0.0.1:<port>/... to send events to")
    parser.add_argument("--webhook-secret", default="fake-webhook-secret")
    args = parser.parse_args(argv)
    fake = FakeJira(email=args.email, api_token=args.api_token, projects=args.project or ["OPS"])
    if args.webhook_url:
        try:
            fake.register_webhook(args.webhook_url, args.webhook_secret)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    fake.start(args.port)
    signal.signal(signal.SIGTERM, _interrupt)  # stop cleanly when a parent process ends us
    print(f"fake Jira listening on {fake.url} (Ctrl-C stops it)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
