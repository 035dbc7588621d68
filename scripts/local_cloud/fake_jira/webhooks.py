"""Webhooks sent the way Jira Cloud sends them: an HMAC-SHA256 `X-Hub-Signature`, one
delivery identifier reused on every retry, `X-Atlassian-Webhook-Retry`, and retries on
408/409/425/429/5xx. Tests can drop a delivery, sign one with the wrong secret, or send
one twice, to exercise the receiver's failure paths."""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import secrets
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from local_cloud.fake_jira.adf import adf_to_text
from local_cloud.fake_jira.model import FakeIssue, FakeUser, Workflow
from local_cloud.fake_jira.rest import issue_json

WEBHOOK_RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
# The fake posts signed bodies: only to this machine, never to an address out there.
ALLOWED_WEBHOOK_HOSTS = frozenset({"127.0.0.1"})


def sign(body: bytes, secret: str) -> str:
    """The `X-Hub-Signature` value Jira sends: sha256=<hex HMAC-SHA256 of the raw body>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def event_body(
    event: str,
    issue: FakeIssue,
    actor: FakeUser,
    changelog: dict[str, Any] | None,
    workflow: Workflow,
    base_url: str,
) -> bytes:
    """The JSON Jira posts for an issue event."""
    payload: dict[str, Any] = {
        "timestamp": int(time.time() * 1000),
        "webhookEvent": event,
        "issue_event_type_name": "issue_created" if changelog is None else "issue_generic",
        "user": actor.to_api(),
        "issue": _webhook_issue(issue, workflow, base_url),
    }
    if changelog is not None:
        payload["changelog"] = changelog
    return json.dumps(payload).encode()


def _webhook_issue(issue: FakeIssue, workflow: Workflow, base_url: str) -> dict[str, Any]:
    # Jira Cloud webhooks carry fields in the REST v2 shape: description is plain text.
    rendered = issue_json(issue, workflow, base_url, None)
    rendered["fields"]["description"] = adf_to_text(issue.description) or None
    return rendered


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


class WebhookSender:
    """Queues one delivery per registered webhook and event, and sends them in order
    on its own thread, so a slow receiver never holds up the REST API."""

    def __init__(self, retry_delays: Sequence[float], timeout_seconds: float) -> None:
        self.retry_delays = tuple(retry_delays)
        self.timeout_seconds = timeout_seconds
        self._lock = threading.Lock()
        self._webhooks: list[Webhook] = []
        self._deliveries: list[Delivery] = []
        self._outbox: queue.Queue[Delivery | None] = queue.Queue()
        self._session = requests.Session()
        self._drop_next = 0
        self._wrong_secret_next = 0
        self._thread: threading.Thread | None = None

    # ---- Lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._send_until_stopped, name="fake-jira-hooks", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._outbox.put(None)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None

    # ---- What tests and the fake call -------------------------------------------------

    def register(self, url: str, secret: str, events: Iterable[str]) -> None:
        host = urlsplit(url).hostname
        if host not in ALLOWED_WEBHOOK_HOSTS:
            raise ValueError(f"the fake only sends webhooks to 127.0.0.1, not {host!r}")
        with self._lock:
            self._webhooks.append(Webhook(url, secret, frozenset(events)))

    def publish(self, event: str, issue_key: str, body: bytes) -> None:
        """Queue a delivery of `body` to every webhook that listens to `event`."""
        with self._lock:
            for hook in self._webhooks:
                if event in hook.events:
                    self._queue(hook, event, issue_key, body)

    def drop_next(self, count: int) -> None:
        with self._lock:
            self._drop_next += count

    def sign_next_with_wrong_secret(self, count: int) -> None:
        with self._lock:
            self._wrong_secret_next += count

    def clear_faults(self) -> None:
        with self._lock:
            self._drop_next = 0
            self._wrong_secret_next = 0

    def send_duplicate(self, identifier: str | None) -> Delivery:
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

    def wait_for_deliveries(self, timeout: float) -> None:
        """Block until every queued delivery (with its retries) has finished."""
        deadline = time.monotonic() + timeout
        while self._outbox.unfinished_tasks:
            if time.monotonic() > deadline:
                raise TimeoutError("webhook deliveries still pending")
            time.sleep(0.01)

    # ---- Sending ----------------------------------------------------------------------

    def _queue(self, hook: Webhook, event: str, issue_key: str, body: bytes) -> None:
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

    def _send_until_stopped(self) -> None:
        while True:
            delivery = self._outbox.get()
            try:
                if delivery is None:
                    return
                self._deliver(delivery)
            finally:
                self._outbox.task_done()

    def _deliver(self, delivery: Delivery) -> None:
        for retry in range(len(self.retry_delays) + 1):
            if retry:
                time.sleep(self.retry_delays[retry - 1])
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
                delivery.url, data=delivery.body, headers=headers, timeout=self.timeout_seconds
            )
        except requests.RequestException as exc:
            return DeliveryAttempt(retry, None, type(exc).__name__)
        return DeliveryAttempt(retry, response.status_code)
