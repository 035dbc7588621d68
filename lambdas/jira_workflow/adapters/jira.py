"""Jira Cloud REST v3 client: comments, transitions, issue reads and JQL search.

The caller reads the API credentials (Secrets Manager) and hands them in; nothing here
reads the environment. Transient failures (429, 5xx, connection errors, timeouts) are
retried with capped exponential backoff and full jitter, honouring `Retry-After`; when
the attempts run out the client raises `JiraUnavailable` so the state machine retries.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from jira_workflow.adapters.adf import adf_to_text, text_to_adf
from jira_workflow.domain.errors import (
    JiraIssueNotFound,
    JiraRequestRejected,
    JiraTransitionUnavailable,
    JiraUnavailable,
)

logger = logging.getLogger(__name__)

_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
_MAX_ERROR_DETAIL_CHARS = 500


# ---- The request registry: every call the client can make -------------------------


@dataclass(frozen=True)
class JiraOperation:
    """One REST call the client makes; the contract test enumerates these."""

    name: str
    method: str
    path_template: str

    def path(self, **params: str) -> str:
        # Issue keys are safe, but quote anyway so a hostile key cannot change the path.
        return self.path_template.format(**{k: quote(v, safe="") for k, v in params.items()})


GET_ISSUE = JiraOperation("get_issue", "GET", "/rest/api/3/issue/{issueIdOrKey}")
ADD_COMMENT = JiraOperation("add_comment", "POST", "/rest/api/3/issue/{issueIdOrKey}/comment")
LIST_TRANSITIONS = JiraOperation(
    "list_transitions", "GET", "/rest/api/3/issue/{issueIdOrKey}/transitions"
)
DO_TRANSITION = JiraOperation(
    "do_transition", "POST", "/rest/api/3/issue/{issueIdOrKey}/transitions"
)
SEARCH_JQL = JiraOperation("search_jql", "POST", "/rest/api/3/search/jql")

JIRA_OPERATIONS: tuple[JiraOperation, ...] = (
    GET_ISSUE,
    ADD_COMMENT,
    LIST_TRANSITIONS,
    DO_TRANSITION,
    SEARCH_JQL,
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
        )


@dataclass(frozen=True)
class JiraTransition:
    id: str
    name: str
    to_status: str

    def matches(self, wanted: str) -> bool:
        wanted_folded = wanted.casefold()
        return wanted_folded in (self.name.casefold(), self.to_status.casefold())


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
    ) -> None:
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

    # ---- Public API -------------------------------------------------------------------

    def add_comment(self, issue_key: str, text: str) -> str:
        """Comment on the issue (one ADF paragraph per line); returns the comment id."""
        body = self._call(
            ADD_COMMENT, {"issueIdOrKey": issue_key}, json={"body": text_to_adf(text)}
        )
        return str(body.get("id", ""))

    def get_issue(self, issue_key: str, fields: Sequence[str] = ISSUE_FIELDS) -> JiraIssue:
        body = self._call(
            GET_ISSUE, {"issueIdOrKey": issue_key}, params={"fields": ",".join(fields)}
        )
        return JiraIssue.from_api(body)

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
            available = ", ".join(f"{t.name} -> {t.to_status}" for t in transitions) or "none"
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
        path = operation.path(**path_params)
        for attempt in range(1, self._max_attempts + 1):
            response = self._send(operation.method, path, params, json, attempt)
            if response is not None and response.status_code not in _RETRYABLE_STATUS:
                return self._result(operation, path, response)
            if attempt < self._max_attempts:
                self._sleep(self._delay(attempt, response))
        logger.warning(
            "Jira unavailable", extra={"operation": operation.name, "attempts": self._max_attempts}
        )
        raise JiraUnavailable(
            f"Jira did not answer {operation.method} {path} after {self._max_attempts} attempts"
        )

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        json: Mapping[str, Any] | None,
        attempt: int,
    ) -> requests.Response | None:
        """One attempt; None means a connection error or timeout (worth retrying)."""
        try:
            response = self._session.request(
                method,
                self._base_url + path,
                params=params,
                json=json,
                auth=self._auth(),
                headers={"Accept": "application/json", "Content-Type": "application/json"},
                timeout=self._timeout,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            # Only the exception type: its text can echo the URL, never the auth header.
            logger.info(
                "Jira call failed",
                extra={"path": path, "attempt": attempt, "error": type(exc).__name__},
            )
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
            return min(retry_after, self._max_delay)
        # Full jitter spreads retries from concurrent Lambdas instead of synchronising them.
        ceiling = min(self._max_delay, self._backoff_base * 2.0 ** (attempt - 1))
        return ceiling * self._jitter()

    @staticmethod
    def _result(operation: JiraOperation, path: str, response: requests.Response) -> dict[str, Any]:
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
        return body if isinstance(body, dict) else {}


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
