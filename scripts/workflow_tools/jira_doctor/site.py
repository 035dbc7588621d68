"""What the Jira doctor reads of a Jira site, through the REST API v3 as the bot.

Per trigger project: the project (it exists and the bot can browse it; its id), the
statuses of each issue type, the bot's permissions there, and the workflow of each issue
type with its transitions. The workflow comes from the bulk read `POST /workflows` with
`projectAndIssueTypes`: it resolves a project and issue type to the workflow that governs
it in one call (no workflow-scheme walk), it is not deprecated (`GET /workflow/search` is),
it needs only the read-only *View (read-only) workflow* project permission, and its answer
(statuses by reference, transitions with the statuses they start from) is what the fake
Jira models, so the fake serves it faithfully.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from jira_workflow.adapters.jira import JiraCredentials, JiraOperation

GET_PROJECT = JiraOperation("get_project", "GET", "/rest/api/3/project/{projectIdOrKey}")
GET_PROJECT_STATUSES = JiraOperation(
    "get_project_statuses", "GET", "/rest/api/3/project/{projectIdOrKey}/statuses"
)
GET_MY_PERMISSIONS = JiraOperation("get_my_permissions", "GET", "/rest/api/3/mypermissions")
READ_WORKFLOWS = JiraOperation("read_workflows", "POST", "/rest/api/3/workflows")
FIND_GROUPS = JiraOperation("find_groups", "GET", "/rest/api/3/group/bulk")

# Every call the doctor makes; the committed OpenAPI document holds them
# (workflow_tools.jira_spec.calls_in_use, tests/unit/test_jira_contract.py).
SITE_OPERATIONS: tuple[JiraOperation, ...] = (
    GET_PROJECT,
    GET_PROJECT_STATUSES,
    GET_MY_PERMISSIONS,
    READ_WORKFLOWS,
    FIND_GROUPS,
)

# The bot's project permissions the workflow uses, and the ones that let it read a workflow.
WORKFLOW_PERMISSIONS: tuple[str, ...] = ("BROWSE_PROJECTS", "ADD_COMMENTS", "TRANSITION_ISSUES")
WORKFLOW_READ_PERMISSIONS: tuple[str, ...] = ("VIEW_READONLY_WORKFLOW", "ADMINISTER_PROJECTS")


class SiteError(RuntimeError):
    """Jira could not be read (unreachable, or an answer the doctor cannot use)."""


class CredentialsRefused(SiteError):
    """Jira answered 401: the bot's email and API token were not accepted."""


@dataclass(frozen=True)
class IssueTypeStatuses:
    id: str
    name: str
    statuses: tuple[str, ...]


@dataclass(frozen=True)
class WorkflowTransition:
    name: str
    to_status: str
    from_statuses: tuple[str, ...] = ()  # empty: global, available from every status

    def available_from(self, status: str) -> bool:
        if self.to_status.casefold() == status.casefold():
            return False  # Jira never offers a transition into the issue's own status
        return not self.from_statuses or status.casefold() in _folded(self.from_statuses)


@dataclass(frozen=True)
class SiteWorkflow:
    name: str
    transitions: tuple[WorkflowTransition, ...]

    def can_move(self, from_status: str, to_status: str) -> bool:
        """Whether the product's `transition_to(to_status)` finds a transition in from_status."""
        wanted = to_status.casefold()
        return any(
            t.available_from(from_status) and wanted in (t.to_status.casefold(), t.name.casefold())
            for t in self.transitions
        )


@dataclass(frozen=True)
class ProjectSite:
    """What the bot could read of one project; `found` False means Jira answered 404."""

    key: str
    found: bool
    permissions: Mapping[str, bool] = field(default_factory=dict)
    issue_types: tuple[IssueTypeStatuses, ...] = ()
    # By issue type name; None: the bot could not read that issue type's workflow.
    workflows: Mapping[str, SiteWorkflow | None] = field(default_factory=dict)


def _folded(names: Sequence[str]) -> set[str]:
    return {n.casefold() for n in names}


class SiteReader:
    """The doctor's own small Jira reader (the product never needs these calls)."""

    def __init__(
        self,
        base_url: str,
        credentials: JiraCredentials,
        *,
        session: requests.Session | None = None,
        timeout_seconds: float = 10.0,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._credentials = credentials
        self._session = session or requests.Session()
        self._timeout = timeout_seconds

    def read_project(self, key: str, issue_types: Sequence[str]) -> ProjectSite:
        """The project's facts; for `issue_types` (empty: all of the project's) only."""
        status, project = self._call(GET_PROJECT, {"projectIdOrKey": key})
        if status == 404 or not isinstance(project, dict):
            return ProjectSite(key=key, found=False)
        _, listed = self._call(GET_PROJECT_STATUSES, {"projectIdOrKey": key})
        all_types = _issue_types(listed)
        wanted = _folded(issue_types)
        checked = tuple(t for t in all_types if not wanted or t.name.casefold() in wanted)
        project_id = str(project.get("id", ""))
        return ProjectSite(
            key=key,
            found=True,
            permissions=self.my_permissions(key),
            issue_types=all_types,
            workflows={t.name: self.workflow(project_id, t.id) for t in checked},
        )

    def my_permissions(self, project_key: str) -> dict[str, bool]:
        keys = ",".join((*WORKFLOW_PERMISSIONS, *WORKFLOW_READ_PERMISSIONS))
        _, body = self._call(
            GET_MY_PERMISSIONS, {}, params={"projectKey": project_key, "permissions": keys}
        )
        listed = body.get("permissions") if isinstance(body, dict) else None
        return {
            str(key): bool(value.get("havePermission"))
            for key, value in (listed or {}).items()
            if isinstance(value, dict)
        }

    def group_exists(self, name: str) -> bool | None:
        """Whether the site has that group; None when the bot may not browse groups."""
        status, body = self._call(FIND_GROUPS, {}, params={"groupName": name}, allow=(403,))
        if status == 403 or not isinstance(body, dict):
            return None
        return any(v.get("name") == name for v in body.get("values") or () if isinstance(v, dict))

    def workflow(self, project_id: str, issue_type_id: str) -> SiteWorkflow | None:
        """The workflow of one project and issue type; None when the bot may not read it."""
        pair = {"projectId": project_id, "issueTypeId": issue_type_id}
        status, body = self._call(
            READ_WORKFLOWS, {}, json={"projectAndIssueTypes": [pair]}, allow=(403,)
        )
        if status == 403 or not isinstance(body, dict):
            return None
        return parse_workflow(body)

    def _call(
        self,
        operation: JiraOperation,
        path_params: Mapping[str, str],
        *,
        params: Mapping[str, str] | None = None,
        json: Mapping[str, Any] | None = None,
        allow: Sequence[int] = (),
    ) -> tuple[int, Any]:
        path = operation.path(**path_params)
        try:
            response = self._session.request(
                operation.method,
                self._base_url + path,
                params=params,
                json=json,
                auth=(self._credentials.email, self._credentials.api_token),
                headers={"Accept": "application/json"},
                timeout=self._timeout,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise SiteError(
                f"Jira at {self._base_url} did not answer ({type(exc).__name__})"
            ) from None
        if response.status_code == 401:
            raise CredentialsRefused(f"Jira answered 401 to {operation.method} {path}")
        if response.status_code >= 400 and response.status_code not in (404, *allow):
            raise SiteError(f"Jira answered {response.status_code} to {operation.method} {path}")
        try:
            return response.status_code, response.json() if response.content else None
        except ValueError:
            raise SiteError(
                f"Jira answered {operation.method} {path} with a non-JSON body"
            ) from None


def _issue_types(listed: object) -> tuple[IssueTypeStatuses, ...]:
    if not isinstance(listed, list):
        return ()
    return tuple(
        IssueTypeStatuses(
            id=str(item.get("id", "")),
            name=str(item.get("name", "")),
            statuses=tuple(str(s.get("name", "")) for s in item.get("statuses") or ()),
        )
        for item in listed
        if isinstance(item, dict)
    )


def parse_workflow(body: Mapping[str, Any]) -> SiteWorkflow | None:
    """The first workflow of a `POST /workflows` answer, with status references as names."""
    workflows = body.get("workflows") or []
    if not workflows:
        return None
    names = {
        str(s.get("statusReference")): str(s.get("name", "")) for s in body.get("statuses") or ()
    }
    workflow = workflows[0]
    transitions = []
    for raw in workflow.get("transitions") or ():
        kind = raw.get("type")
        if kind == "INITIAL":
            continue  # creates an issue; never available to an existing one
        to_status = names.get(str(raw.get("toStatusReference")), "")
        froms = tuple(
            names.get(str(link.get("fromStatusReference")), "")
            for link in raw.get("links") or ()
            if link and link.get("fromStatusReference") is not None
        )
        if kind == "DIRECTED" and not froms:
            continue  # a directed transition without a start is unreachable
        transitions.append(
            WorkflowTransition(
                name=str(raw.get("name", "")),
                to_status=to_status,
                from_statuses=() if kind == "GLOBAL" else froms,
            )
        )
    return SiteWorkflow(name=str(workflow.get("name", "")), transitions=tuple(transitions))
