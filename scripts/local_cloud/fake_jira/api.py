"""The REST v3 calls the workflow and its Jira doctor make, answered from an `IssueStore`.

Every request is checked against Atlassian's OpenAPI spec (`jira_openapi`) and answered
400 with the problems when it does not match, so code tested against the fake cannot
drift from the real API; what the fake answers is checked too (`response_problems`).
Injected faults and latency come first, as a failing Jira answers before anything else:
queued failures (`fail_next`), slow answers (latency: the call is applied, late), calls
held and dropped unanswered (Jira down: the client's read timeout fires, nothing is
applied) and unprompted 429s with `Retry-After` on every call (Jira's rate limiting).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from local_cloud.fake_jira import rest
from local_cloud.fake_jira.adf import adf_problems
from local_cloud.fake_jira.jql import JqlError, JqlFilter
from local_cloud.fake_jira.model import (
    DEFAULT_BOT_PERMISSIONS,
    FakeIssue,
    FakeProject,
    FakeUser,
    IssueStore,
    Workflow,
)
from local_cloud.jira_openapi import JiraCall, validate_request, validate_response

_NOT_FOUND = "Issue does not exist or you do not have permission to see it."
_MAX_PAGE = 100

# Every REST operation the fake answers, and the method that answers it. The committed
# OpenAPI document holds exactly these and the client's calls (tests/unit/test_jira_contract.py).
_ANSWERED_BY: dict[JiraCall, str] = {
    JiraCall("GET", "/rest/api/3/issue/{issueIdOrKey}"): "_get_issue",
    JiraCall("GET", "/rest/api/3/issue/{issueIdOrKey}/transitions"): "_get_transitions",
    JiraCall("POST", "/rest/api/3/issue/{issueIdOrKey}/transitions"): "_post_transition",
    JiraCall("GET", "/rest/api/3/issue/{issueIdOrKey}/comment"): "_get_comments",
    JiraCall("POST", "/rest/api/3/issue/{issueIdOrKey}/comment"): "_post_comment",
    JiraCall("POST", "/rest/api/3/search/jql"): "_search",
    JiraCall("GET", "/rest/api/3/user/groups"): "_get_user_groups",
    # What the Jira doctor reads (workflow_tools.jira_doctor): the site's configuration.
    JiraCall("GET", "/rest/api/3/project/{projectIdOrKey}"): "_get_project",
    JiraCall("GET", "/rest/api/3/project/{projectIdOrKey}/statuses"): "_get_project_statuses",
    JiraCall("GET", "/rest/api/3/mypermissions"): "_get_my_permissions",
    JiraCall("POST", "/rest/api/3/workflows"): "_read_workflows",
    JiraCall("GET", "/rest/api/3/group/bulk"): "_find_groups",
}
SERVED_CALLS: tuple[JiraCall, ...] = tuple(_ANSWERED_BY)


def _path_pattern(template: str) -> re.Pattern[str]:
    """`/issue/{issueIdOrKey}` -> a regex whose groups are the path parameters, in order."""
    return re.compile(re.sub(r"\\\{[^}]+\\\}", "([^/]+)", re.escape(template)))


# (status, extra headers, JSON body or None)
Answer = tuple[int, dict[str, str], object]
RouteAction = Callable[..., tuple[int, object]]


@dataclass
class _Fault:
    status: int
    retry_after: float | None

    def answer(self) -> Answer:
        extra = {} if self.retry_after is None else {"Retry-After": f"{self.retry_after:g}"}
        return self.status, extra, rest.errors(f"Injected fault: HTTP {self.status}")


class NoAnswer(Exception):
    """The call goes unanswered: the server closes the connection without a response."""


class InjectedFaults:
    """Test knobs, switchable while the fake serves: fail the next calls with a status,
    slow every call down, hold every call and drop it unanswered, or throttle every call."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []
        self.latency = 0.0
        # Held this long, then the connection closes unanswered (0: off).
        self.unanswered_after = 0.0
        # Every call answered 429 with this Retry-After (None: off).
        self.throttle_retry_after: float | None = None

    def fail_next(self, count: int, status: int, retry_after: float | None) -> None:
        with self._lock:
            self._faults.extend(_Fault(status, retry_after) for _ in range(count))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self.latency = 0.0
            self.unanswered_after = 0.0
            self.throttle_retry_after = None

    def take(self) -> tuple[_Fault | None, float]:
        """The fault for this call, if any, and how long to wait before answering."""
        with self._lock:
            if self._faults:
                return self._faults.pop(0), self.latency
            if self.throttle_retry_after is not None:
                return _Fault(429, self.throttle_retry_after), self.latency
            return None, self.latency

    def hold_unanswered(self) -> None:
        """In "Jira down" mode, hold the call and then drop it: raises NoAnswer."""
        held = self.unanswered_after
        if held:
            time.sleep(held)
            raise NoAnswer


class RestApi:
    def __init__(
        self,
        store: IssueStore,
        api_user: FakeUser,
        base_url: Callable[[], str],
        credentials: Callable[[], str],
        *,
        validate_against_spec: bool,
        bot_permissions: frozenset[str] = DEFAULT_BOT_PERMISSIONS,
    ) -> None:
        self.store = store
        self.api_user = api_user
        # The bot's project permissions (every project alike), reported by /mypermissions and
        # enforced as Jira does: no Browse projects, no issue (404); no Transition issues, no
        # transitions listed and a POST refused (400, as the spec says); no Add comments, 403.
        self.bot_permissions = set(bot_permissions)
        self.faults = InjectedFaults()
        self.validate_against_spec = validate_against_spec
        # What the fake answered that the spec does not allow: tests assert it stays empty.
        self.response_problems: list[str] = []
        self._base_url = base_url
        self._credentials = credentials  # "email:api_token", read per call as tests may swap them
        self._routes: list[tuple[str, re.Pattern[str], RouteAction]] = [
            (call.method, _path_pattern(call.template), getattr(self, action))
            for call, action in _ANSWERED_BY.items()
        ]

    def handle(self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes) -> Answer:
        """Answer one REST call: (status, extra headers, JSON body or None); raises NoAnswer
        when the call is to go unanswered."""
        self.faults.hold_unanswered()
        fault, latency = self.faults.take()
        if latency:
            time.sleep(latency)
        if fault is not None:
            return fault.answer()
        if not self._authorised(headers.get("Authorization", "")):
            return (
                401,
                {"WWW-Authenticate": 'Basic realm="protected-area"'},
                rest.errors("Client must be authenticated to access this resource."),
            )
        split = urlsplit(raw_path)
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
        return hmac.compare_digest(decoded.encode(), self._credentials().encode())

    def _route(self, method: str, path: str, query: Mapping[str, str], body: bytes) -> Answer:
        payload = json.loads(body) if body else {}
        for route_method, pattern, action in self._routes:
            match = pattern.fullmatch(path.rstrip("/"))
            if match and method == route_method:
                with self.store.lock:
                    try:
                        status, answer = action(*match.groups(), query=query, body=payload)
                    except KeyError:
                        status, answer = 404, rest.errors(_NOT_FOUND)
                return status, {}, answer
        return 501, {}, rest.errors(f"The fake does not implement {method} {path}")

    # ---- Routes (called holding the store's lock) -----------------------------------

    def _get_issue(self, key: str, *, query: Mapping[str, str], body: object) -> tuple[int, object]:
        fields = rest.field_list(query.get("fields"), default="*all")
        issue = self._browsable_issue(key)
        answer = rest.issue_json(issue, self.store.workflow, self._base_url(), fields)
        if "changelog" in rest.field_list(query.get("expand"), default=""):
            answer["changelog"] = rest.changelog_json(issue)
        return 200, answer

    def _get_transitions(
        self, key: str, *, query: Mapping[str, str], body: object
    ) -> tuple[int, object]:
        workflow = self.store.workflow
        available = workflow.available_from(self._browsable_issue(key).status)
        if "TRANSITION_ISSUES" not in self.bot_permissions:
            available = []  # Jira lists only the transitions the caller may perform
        return 200, {
            "expand": "transitions",
            "transitions": [rest.transition_json(t, workflow) for t in available],
        }

    def _post_transition(
        self, key: str, *, query: Mapping[str, str], body: Mapping[str, Any]
    ) -> tuple[int, object]:
        issue = self._browsable_issue(key)
        if "TRANSITION_ISSUES" not in self.bot_permissions:
            return 400, rest.errors("You do not have permission to transition this issue.")
        wanted = str((body.get("transition") or {}).get("id", ""))
        available = self.store.workflow.available_from(issue.status)
        chosen = next((t for t in available if t.id == wanted), None)
        if chosen is None:
            return 400, rest.errors(f"Transition id '{wanted}' is not valid for this issue.")
        # Jira refuses a field the transition's screen does not have, naming each one.
        off_screen = {
            name: f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
            for section in ("fields", "update")
            for name in (body.get(section) or {})
            if name not in chosen.screen_fields
        }
        if off_screen:
            return 400, {"errorMessages": [], "errors": off_screen}
        self.store.move(issue, chosen.to_status, self.api_user)
        return 204, None

    def _get_comments(
        self, key: str, *, query: Mapping[str, str], body: object
    ) -> tuple[int, object]:
        base_url = self._base_url()
        issue = self._browsable_issue(key)
        comments = [rest.comment_json(key, c, base_url) for c in issue.comments]
        return 200, {
            "comments": comments,
            "startAt": 0,
            "maxResults": len(comments),
            "total": len(comments),
        }

    def _post_comment(
        self, key: str, *, query: Mapping[str, str], body: Mapping[str, Any]
    ) -> tuple[int, object]:
        issue = self._browsable_issue(key)
        if "ADD_COMMENTS" not in self.bot_permissions:
            return 403, rest.errors("You do not have the permission to comment on this issue.")
        # The spec leaves `body` untyped; real Jira rejects a body that is not valid ADF.
        problems = adf_problems(body.get("body"))
        if problems:
            return 400, {"errorMessages": [], "errors": {"comment": "; ".join(problems)}}
        comment = self.store.add_comment(issue, body["body"], self.api_user)
        return 201, rest.comment_json(key, comment, self._base_url())

    def _search(self, *, query: Mapping[str, str], body: Mapping[str, Any]) -> tuple[int, object]:
        try:
            # Issues of projects the caller cannot browse are left out, as in Jira.
            visible = (
                self.store.issues.values() if "BROWSE_PROJECTS" in self.bot_permissions else ()
            )
            matches = JqlFilter.parse(str(body.get("jql", ""))).select(
                visible, self.store.workflow.status_id
            )
        except JqlError as exc:
            return 400, rest.errors(f"Error in the JQL Query: {exc}")
        start = rest.decode_page_token(body.get("nextPageToken"))
        if start is None:
            return 400, rest.errors("The provided next page token is invalid or expired.")
        size = max(1, min(int(body.get("maxResults", 50)), _MAX_PAGE))
        fields = list(body.get("fields") or ["id"])
        base_url = self._base_url()
        page = matches[start : start + size]
        answer: dict[str, Any] = {
            "issues": [rest.issue_json(i, self.store.workflow, base_url, fields) for i in page],
            "isLast": start + size >= len(matches),
        }
        if not answer["isLast"]:
            answer["nextPageToken"] = rest.encode_page_token(start + size)
        return 200, answer

    def _get_project(
        self, key_or_id: str, *, query: Mapping[str, str], body: object
    ) -> tuple[int, object]:
        project = self._browsable_project(key_or_id)
        if project is None:
            return 404, rest.errors(f"No project could be found with key '{key_or_id}'.")
        return 200, rest.project_json(project, self._base_url())

    def _get_project_statuses(
        self, key_or_id: str, *, query: Mapping[str, str], body: object
    ) -> tuple[int, object]:
        project = self._browsable_project(key_or_id)
        if project is None:
            return 404, rest.errors(f"No project could be found with key '{key_or_id}'.")
        return 200, rest.project_statuses_json(project, self.store.workflow, self._base_url())

    def _get_user_groups(self, *, query: Mapping[str, str], body: object) -> tuple[int, object]:
        account_id = query.get("accountId", "")
        try:
            groups = self.store.groups_of(account_id)
        except KeyError:
            return 404, rest.errors(f"The user with account ID '{account_id}' does not exist.")
        return 200, [rest.group_json(name, self._base_url()) for name in groups]

    def _find_groups(self, *, query: Mapping[str, str], body: object) -> tuple[int, object]:
        # One groupName is all the doctor asks for; the real API takes several.
        wanted = query.get("groupName")
        names = sorted(n for n in self.store.groups if wanted is None or n == wanted)
        values = [{"name": n, "groupId": rest.group_id(n)} for n in names]
        return 200, {
            "isLast": True,
            "maxResults": 50,
            "startAt": 0,
            "total": len(values),
            "values": values,
        }

    def _get_my_permissions(self, *, query: Mapping[str, str], body: object) -> tuple[int, object]:
        keys = [k.strip() for k in query.get("permissions", "").split(",") if k.strip()]
        if not keys:
            return 400, rest.errors("The 'permissions' query parameter is required.")
        unknown = [k for k in keys if k not in rest.PROJECT_PERMISSIONS]
        if unknown:
            return 404, rest.errors(f"Permission(s) not found: {', '.join(unknown)}")
        where = query.get("projectId") or query.get("projectKey")
        if where is not None and self._browsable_project(where) is None:
            return 404, rest.errors(f"No project could be found with key '{where}'.")
        return 200, rest.permissions_json(keys, frozenset(self.bot_permissions))

    def _read_workflows(
        self, *, query: Mapping[str, str], body: Mapping[str, Any]
    ) -> tuple[int, object]:
        # The bulk read leaves out what the caller may not see: it needs Administer projects
        # or View (read-only) workflow in the project (the site's one workflow here).
        if not self.bot_permissions & {"ADMINISTER_PROJECTS", "VIEW_READONLY_WORKFLOW"}:
            return 200, rest.workflows_json([])
        workflow = self.store.workflow
        wanted = [
            self._pair_matches(pair, workflow) for pair in body.get("projectAndIssueTypes") or ()
        ]
        wanted.append(workflow.name in (body.get("workflowNames") or ()))
        return 200, rest.workflows_json([workflow] if any(wanted) else [])

    # ---- Helpers ----------------------------------------------------------------------

    def _browsable_issue(self, key: str) -> FakeIssue:
        """The issue, if the caller may see it; KeyError (404, as Jira) otherwise."""
        if "BROWSE_PROJECTS" not in self.bot_permissions:
            raise KeyError(key)
        return self.store.issue(key)

    def _browsable_project(self, key_or_id: str) -> FakeProject | None:
        """Jira answers 404 alike for a missing project and one the caller cannot browse."""
        if "BROWSE_PROJECTS" not in self.bot_permissions:
            return None
        try:
            return self.store.project(key_or_id)
        except KeyError:
            return None

    def _pair_matches(self, pair: Mapping[str, Any], workflow: Workflow) -> bool:
        project = self._browsable_project(str(pair.get("projectId", "")))
        issue_type = str(pair.get("issueTypeId", ""))
        return project is not None and any(
            rest.issue_type_id(name) == issue_type for name in project.issue_types
        )
