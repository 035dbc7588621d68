"""Jira Cloud REST v3 client: comments, transitions, issue reads and JQL search.

The caller reads the API credentials (Secrets Manager) and hands them in; nothing here
reads the environment. Transient failures (429, 5xx, connection errors, timeouts) are
retried with capped exponential backoff and full jitter, honouring `Retry-After`; when
the attempts run out the client raises `JiraUnavailable` so the state machine retries.

Every attempt and every wait is bounded by `remaining` (the invocation's time left, see
`jira_workflow.deadline`): the per-attempt timeout shrinks to what remains, and when the
next attempt could not start in time the client raises `JiraUnavailable` at once rather
than be killed with the function. A POST that changes the issue (comment, transition) is
not re-sent once it may have reached Jira (a read timeout, a connection broken after
sending): `JiraUnavailable(may_have_applied=True)` hands the retry to the state machine,
where the step's once-markers and `transition_to`'s status check decide what to redo.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from jira_workflow.adapters.adf import adf_to_text, text_to_adf
from jira_workflow.deadline import RemainingSeconds, unbounded
from jira_workflow.domain.errors import (
    JiraIssueNotFound,
    JiraRequestRejected,
    JiraTransitionUnavailable,
    JiraUnavailable,
)
from jira_workflow.domain.trigger import is_status_item

logger = logging.getLogger(__name__)

_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
_MAX_ERROR_DETAIL_CHARS = 500
# An attempt given less time than this cannot be expected to answer; don't start it.
MIN_ATTEMPT_SECONDS = 1.0


# ---- The request registry: every call the client can make -------------------------


@dataclass(frozen=True)
class JiraOperation:
    """One REST call the client makes; the contract test enumerates these."""

    name: str
    method: str
    path_template: str
    # False for calls that change the issue: re-sending one Jira may have applied doubles it.
    idempotent: bool = True

    def path(self, **params: str) -> str:
        # Issue keys are safe, but quote anyway so a hostile key cannot change the path.
        return self.path_template.format(**{k: quote(v, safe="") for k, v in params.items()})


GET_ISSUE = JiraOperation("get_issue", "GET", "/rest/api/3/issue/{issueIdOrKey}")
ADD_COMMENT = JiraOperation(
    "add_comment", "POST", "/rest/api/3/issue/{issueIdOrKey}/comment", idempotent=False
)
LIST_TRANSITIONS = JiraOperation(
    "list_transitions", "GET", "/rest/api/3/issue/{issueIdOrKey}/transitions"
)
DO_TRANSITION = JiraOperation(
    "do_transition", "POST", "/rest/api/3/issue/{issueIdOrKey}/transitions", idempotent=False
)
SEARCH_JQL = JiraOperation("search_jql", "POST", "/rest/api/3/search/jql")
USER_GROUPS = JiraOperation("user_groups", "GET", "/rest/api/3/user/groups")

JIRA_OPERATIONS: tuple[JiraOperation, ...] = (
    GET_ISSUE,
    ADD_COMMENT,
    LIST_TRANSITIONS,
    DO_TRANSITION,
    SEARCH_JQL,
    USER_GROUPS,
)

ISSUE_FIELDS: tuple[str, ...] = (
    "summary",
    "status",
    "issuetype",
    "project",
    "description",
    "labels",
    "reporter",
    "priority",
)


# ---- Value objects ------------------------------------------------------------------


@dataclass(frozen=True)
class JiraCredentials:
    """Email + API token for Basic auth; the token never appears in repr or logs."""

    email: str
    api_token: str = field(repr=False)


CredentialsSource = JiraCredentials | Callable[[], JiraCredentials]


@dataclass(frozen=True)
class StatusChange:
    """One move of the issue into a status, from its changelog (`expand=changelog`)."""

    to_status: str
    author_name: str | None
    author_account_id: str | None
    created: datetime | None
    history_id: str = ""

    @classmethod
    def from_history(cls, history: Mapping[str, Any]) -> StatusChange | None:
        for item in history.get("items") or ():
            if is_status_item(str(item.get("field") or ""), item.get("fieldId")):
                author = history.get("author") or {}
                return cls(
                    to_status=str(item.get("toString") or ""),
                    author_name=author.get("displayName"),
                    author_account_id=author.get("accountId"),
                    created=_jira_time(history.get("created")),
                    history_id=str(history.get("id") or ""),
                )
        return None


@dataclass(frozen=True)
class JiraIssue:
    key: str
    id: str
    status: str
    issue_type: str
    project_key: str
    summary: str
    description: str
    labels: tuple[str, ...]
    reporter_name: str | None
    reporter_account_id: str | None
    priority: str | None
    status_id: str | None = None
    # Only with `expand=changelog`; Jira returns the most recent histories (up to 100).
    status_changes: tuple[StatusChange, ...] = ()

    def last_move_into(self, status: str) -> StatusChange | None:
        """The latest change into `status` (any case); by time, whatever Jira's order."""
        moves = [c for c in self.status_changes if c.to_status.casefold() == status.casefold()]
        dated = [c for c in moves if c.created is not None]
        if dated:
            return max(dated, key=lambda c: c.created or datetime.min)
        return moves[0] if moves else None

    @classmethod
    def from_api(cls, body: Mapping[str, Any]) -> JiraIssue:
        fields: Mapping[str, Any] = body.get("fields") or {}
        reporter = fields.get("reporter") or {}
        return cls(
            key=str(body.get("key", "")),
            id=str(body.get("id", "")),
            status=_name_of(fields.get("status")) or "",
            issue_type=_name_of(fields.get("issuetype")) or "",
            project_key=str((fields.get("project") or {}).get("key", "")),
            summary=str(fields.get("summary") or ""),
            description=adf_to_text(fields.get("description")),
            labels=tuple(str(label) for label in fields.get("labels") or ()),
            reporter_name=reporter.get("displayName"),
            reporter_account_id=reporter.get("accountId"),
            priority=_name_of(fields.get("priority")),
            status_id=_id_of(fields.get("status")),
            status_changes=tuple(
                change
                for history in (body.get("changelog") or {}).get("histories") or ()
                if (change := StatusChange.from_history(history)) is not None
            ),
        )


@dataclass(frozen=True)
class JiraTransition:
    id: str
    name: str
    to_status: str

    def matches(self, wanted: str) -> bool:
        wanted_folded = wanted.casefold()
        return wanted_folded in (self.name.casefold(), self.to_status.casefold())


def _jira_time(value: object) -> datetime | None:
    """Jira's `2026-11-29T10:00:00.000+0000`; None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    for pattern in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(value, pattern)
        except ValueError:
            continue
    return None


def _id_of(value: object) -> str | None:
    if isinstance(value, Mapping) and value.get("id") is not None:
        return str(value["id"])
    return None


def _name_of(value: object) -> str | None:
    if isinstance(value, Mapping) and value.get("name") is not None:
        return str(value["name"])
    return None


# ---- The client ---------------------------------------------------------------------


class JiraClient:
    def __init__(
        self,
        base_url: str,
        credentials: CredentialsSource,
        *,
        session: requests.Session | None = None,
        timeout_seconds: float = 10.0,
        max_attempts: int = 4,
        sleep: Callable[[float], None] = time.sleep,
        backoff_base_seconds: float = 0.5,
        max_delay_seconds: float = 20.0,
        jitter: Callable[[], float] = random.random,
        remaining: RemainingSeconds = unbounded,
        min_attempt_seconds: float = MIN_ATTEMPT_SECONDS,
    ) -> None:
        """`remaining` is read before every attempt and wait: the invocation's time left."""
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._base_url = base_url.rstrip("/")
        self._credentials = credentials
        self._session = session or requests.Session()
        self._timeout = timeout_seconds
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._backoff_base = backoff_base_seconds
        self._max_delay = max_delay_seconds
        self._jitter = jitter
        self._remaining = remaining
        self._min_attempt = min_attempt_seconds

    # ---- Public API -------------------------------------------------------------------

    def add_comment(self, issue_key: str, text: str) -> str:
        """Comment on the issue (one ADF paragraph per line); returns the comment id."""
        body = self._call(
            ADD_COMMENT, {"issueIdOrKey": issue_key}, json={"body": text_to_adf(text)}
        )
        return str(body.get("id", ""))

    def get_issue(
        self,
        issue_key: str,
        fields: Sequence[str] = ISSUE_FIELDS,
        expand: Sequence[str] = (),
    ) -> JiraIssue:
        """The issue's `fields`; `expand=("changelog",)` adds its status changes."""
        params = {"fields": ",".join(fields)}
        if expand:
            params["expand"] = ",".join(expand)
        body = self._call(GET_ISSUE, {"issueIdOrKey": issue_key}, params=params)
        return JiraIssue.from_api(body)

    def user_groups(self, account_id: str) -> tuple[str, ...]:
        """Names of the groups the user belongs to."""
        body = self._call_list(USER_GROUPS, {"accountId": account_id})
        return tuple(str(g.get("name", "")) for g in body if isinstance(g, Mapping))

    def list_transitions(self, issue_key: str) -> list[JiraTransition]:
        body = self._call(LIST_TRANSITIONS, {"issueIdOrKey": issue_key})
        return [
            JiraTransition(
                id=str(item.get("id", "")),
                name=str(item.get("name", "")),
                to_status=_name_of(item.get("to")) or "",
            )
            for item in body.get("transitions") or ()
        ]

    def transition_to(self, issue_key: str, name: str) -> bool:
        """Perform the transition whose name or target status is `name` (any case).

        Returns False without calling Jira's transition endpoint when the issue already
        has that status, so retried Lambda invocations are idempotent. Pass the target
        status name for that guarantee: Jira does not list transitions into the current
        status, so a transition name can no longer be resolved once it has been taken.
        """
        current = self.get_issue(issue_key, fields=("status",)).status
        if current.casefold() == name.casefold():
            return False
        transitions = self.list_transitions(issue_key)
        chosen = next((t for t in transitions if t.matches(name)), None)
        if chosen is None:
            # Jira lists none at all to an account without the Transition issues permission.
            available = ", ".join(f"{t.name} -> {t.to_status}" for t in transitions) or (
                "none (does the bot account have the Transition issues permission?)"
            )
            raise JiraTransitionUnavailable(
                f"{issue_key} has no transition named or leading to {name!r} "
                f"from {current!r}; available: {available}"
            )
        if chosen.to_status.casefold() == current.casefold():
            return False
        self._call(
            DO_TRANSITION, {"issueIdOrKey": issue_key}, json={"transition": {"id": chosen.id}}
        )
        return True

    def search_issues(
        self,
        jql: str,
        fields: Sequence[str] = ISSUE_FIELDS,
        max_results: int = 50,
        limit: int | None = None,
    ) -> Iterator[JiraIssue]:
        """Yield issues matching `jql`, following `nextPageToken` (enhanced search).

        `max_results` is the page size Jira is asked for; `limit` caps the total yielded.
        """
        yielded = 0
        token: str | None = None
        while True:
            body = self._call(
                SEARCH_JQL, {}, json=self._search_body(jql, fields, max_results, token)
            )
            for raw in body.get("issues") or ():
                if limit is not None and yielded >= limit:
                    return
                yield JiraIssue.from_api(raw)
                yielded += 1
            token = body.get("nextPageToken")
            if not token or body.get("isLast", False) or not body.get("issues"):
                return

    # ---- Transport ----------------------------------------------------------------------

    @staticmethod
    def _search_body(
        jql: str, fields: Sequence[str], max_results: int, token: str | None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"jql": jql, "fields": list(fields), "maxResults": max_results}
        if token:
            body["nextPageToken"] = token
        return body

    def _call(
        self,
        operation: JiraOperation,
        path_params: Mapping[str, str],
        *,
        params: Mapping[str, str] | None = None,
        json: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        body = self._call_json(operation, path_params, params=params, json=json)
        return body if isinstance(body, dict) else {}

    def _call_list(self, operation: JiraOperation, params: Mapping[str, str]) -> list[Any]:
        """A call whose answer is a JSON array (e.g. a user's groups)."""
        body = self._call_json(operation, {}, params=params)
        return body if isinstance(body, list) else []

    def _call_json(
        self,
        operation: JiraOperation,
        path_params: Mapping[str, str],
        *,
        params: Mapping[str, str] | None = None,
        json: Mapping[str, Any] | None = None,
    ) -> Any:
        path = operation.path(**path_params)
        for attempt in range(1, self._max_attempts + 1):
            timeout = self._attempt_timeout()
            if timeout is None:
                raise self._out_of_time(operation, path, attempt - 1, "no time left")
            response = self._send(operation, path, params, json, attempt, timeout)
            if response is not None and response.status_code not in _RETRYABLE_STATUS:
                return self._result(operation, path, response)
            if attempt == self._max_attempts:
                break
            delay = self._delay(attempt, response)
            if delay > self._max_delay:
                # Calling sooner than Retry-After asks is wasted: the state machine retries later.
                raise self._out_of_time(operation, path, attempt, f"Retry-After {delay:g} s")
            if self._remaining() - delay < self._min_attempt:
                raise self._out_of_time(operation, path, attempt, "no time left to wait and retry")
            self._sleep(delay)
        logger.warning(
            "Jira unavailable", extra={"operation": operation.name, "attempts": self._max_attempts}
        )
        raise JiraUnavailable(
            f"Jira did not answer {operation.method} {path} after {self._max_attempts} attempts"
        )

    def _attempt_timeout(self) -> float | None:
        """The configured timeout, shrunk to the time left; None when too little is left."""
        remaining = self._remaining()
        if remaining < self._min_attempt:
            return None
        return min(self._timeout, remaining)

    def _out_of_time(
        self, operation: JiraOperation, path: str, attempts: int, why: str
    ) -> JiraUnavailable:
        logger.warning(
            "Jira call stopped before the invocation's deadline",
            extra={"operation": operation.name, "attempts": attempts, "why": why},
        )
        return JiraUnavailable(
            f"Jira did not answer {operation.method} {path} in time ({attempts} attempts; {why})"
        )

    def _send(
        self,
        operation: JiraOperation,
        path: str,
        params: Mapping[str, str] | None,
        json: Mapping[str, Any] | None,
        attempt: int,
        timeout: float,
    ) -> requests.Response | None:
        """One attempt; None means a failure worth retrying here."""
        try:
            response = self._session.request(
                operation.method,
                self._base_url + path,
                params=params,
                json=json,
                auth=self._auth(),
                headers={"Accept": "application/json", "Content-Type": "application/json"},
                timeout=timeout,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            # Only the exception type: its text can echo the URL, never the auth header.
            logger.info(
                "Jira call failed",
                extra={"path": path, "attempt": attempt, "error": type(exc).__name__},
            )
            if not operation.idempotent and _may_have_reached_jira(exc):
                raise JiraUnavailable(
                    f"Jira did not answer {operation.method} {path} ({type(exc).__name__}); "
                    "not re-sent, it may have been applied",
                    may_have_applied=True,
                ) from None
            return None
        if response.status_code in _RETRYABLE_STATUS:
            logger.info(
                "Jira call throttled or failed",
                extra={"path": path, "attempt": attempt, "status": response.status_code},
            )
        return response

    def _auth(self) -> tuple[str, str]:
        # Resolved per call so a rotated secret is picked up by the caller's cache.
        credentials = self._credentials() if callable(self._credentials) else self._credentials
        return (credentials.email, credentials.api_token)

    def _delay(self, attempt: int, response: requests.Response | None) -> float:
        retry_after = _retry_after_seconds(response)
        if retry_after is not None:
            return retry_after
        # Full jitter spreads retries from concurrent Lambdas instead of synchronising them.
        ceiling = min(self._max_delay, self._backoff_base * 2.0 ** (attempt - 1))
        return ceiling * self._jitter()

    @staticmethod
    def _result(operation: JiraOperation, path: str, response: requests.Response) -> Any:
        status = response.status_code
        if status == 404:
            raise JiraIssueNotFound(_rejection_message(operation, path, response))
        if status >= 400:
            raise JiraRequestRejected(_rejection_message(operation, path, response))
        if status == 204 or not response.content:
            return {}
        try:
            body = response.json()
        except ValueError as exc:
            raise JiraRequestRejected(
                f"Jira answered {status} to {operation.method} {path} with a non-JSON body"
            ) from exc
        return body


def _may_have_reached_jira(exc: requests.RequestException) -> bool:
    """False only when the request provably never left: no connection was made."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError):
        reason = exc.args[0] if exc.args else None
        if isinstance(reason, MaxRetryError) and isinstance(reason.reason, NewConnectionError):
            return False  # refused, unreachable, or the name did not resolve
    return True


def _retry_after_seconds(response: requests.Response | None) -> float | None:
    if response is None:
        return None
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # Jira sends seconds; an HTTP date falls back to our own backoff.


def _rejection_message(operation: JiraOperation, path: str, response: requests.Response) -> str:
    return (
        f"Jira answered {response.status_code} to {operation.method} {path}: "
        f"{_error_detail(response)}"
    )


def _error_detail(response: requests.Response) -> str:
    """Jira's own `errorMessages` and `errors`; the request (and its auth) is never echoed."""
    try:
        body = response.json()
    except ValueError:
        return response.reason or "no detail"
    if not isinstance(body, dict):
        return "no detail"
    messages = [str(m) for m in body.get("errorMessages") or ()]
    errors = body.get("errors") or {}
    if isinstance(errors, dict):
        messages.extend(f"{k}: {v}" for k, v in errors.items())
    detail = "; ".join(messages) or "no detail"
    return detail[:_MAX_ERROR_DETAIL_CHARS]
