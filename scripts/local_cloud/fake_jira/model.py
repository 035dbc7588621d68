"""What a fake Jira site holds: projects, users, issues, comments, one workflow and the
bot's project permissions.

`IssueStore` owns every change under one lock and reports each one as an event, so a
person's move in the UI and a REST transition fire the same webhook.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from local_cloud.fake_jira.adf import text_to_adf

DEFAULT_STATUSES: tuple[str, ...] = (
    "To Do",
    "Submitted",
    "Awaiting Approval",
    "Approved",
    "Rejected",
    "Done",
    "Failed",
)
# (name, from statuses, to status): the transitions docs/runbooks/configure-jira.md
# prescribes, and only those, so code that assumes more (Submitted > Done) fails here as
# it would in a real project. "Submit" is how the project's own issues reach the trigger
# status, which the runbook leaves to the project.
RUNBOOK_TRANSITIONS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("Submit", ("To Do",), "Submitted"),
    ("Request approval", ("Submitted",), "Awaiting Approval"),
    ("Approve", ("Awaiting Approval",), "Approved"),
    ("Reject", ("Awaiting Approval",), "Rejected"),
    ("Complete", ("Approved",), "Done"),
    ("Fail", ("Approved", "Awaiting Approval"), "Failed"),
)
# Global transitions (available from every status but their own target), as in a
# simple team-managed Jira workflow: `Workflow.build(DEFAULT_STATUSES, GLOBAL_TRANSITIONS)`.
GLOBAL_TRANSITIONS: tuple[tuple[str, str], ...] = (
    ("Submit", "Submitted"),
    ("Request approval", "Awaiting Approval"),
    ("Approve", "Approved"),
    ("Reject", "Rejected"),
    ("Complete", "Done"),
    ("Fail", "Failed"),
    ("Reopen", "To Do"),
)
DEFAULT_ISSUE_TYPES: tuple[str, ...] = ("Service Request", "Task", "Bug")
# What a bot account is granted in a project set up by the configure-jira runbook (plus the
# read-only workflow view the Jira doctor needs to see the transitions).
DEFAULT_BOT_PERMISSIONS: frozenset[str] = frozenset(
    {"BROWSE_PROJECTS", "ADD_COMMENTS", "TRANSITION_ISSUES", "VIEW_READONLY_WORKFLOW"}
)
# A transition as `Workflow.build` takes it: (name, to) is global, (name, from, to) is not.
TransitionSpec = tuple[str, str] | tuple[str, Sequence[str], str]
# The group whose members may decide requests by moving the issue (the workflow's
# JIRA_APPROVER_GROUP locally), and who is in it: the approvers the tests move issues as.
DEFAULT_APPROVER_GROUP = "request-approvers"
DEFAULT_APPROVERS: tuple[str, ...] = ("Bob Approver", "Carol Approver")
ISSUE_CREATED = "jira:issue_created"
ISSUE_UPDATED = "jira:issue_updated"


def now() -> datetime:
    return datetime.now(UTC)


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
    # Empty: a global transition, available from every status but its target.
    from_statuses: tuple[str, ...] = ()
    # The fields on the transition's screen: a POST that sets any other field is refused.
    screen_fields: tuple[str, ...] = ()

    @property
    def is_global(self) -> bool:
        return not self.from_statuses

    def available_from(self, status: str) -> bool:
        if self.from_statuses:
            return status in self.from_statuses
        return status != self.to_status


@dataclass
class Workflow:
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    transitions: tuple[Transition, ...] = ()
    name: str = "Request workflow"

    @classmethod
    def default(cls) -> Workflow:
        """The workflow the configure-jira runbook prescribes."""
        return cls.build(DEFAULT_STATUSES, RUNBOOK_TRANSITIONS)

    @classmethod
    def build(
        cls,
        statuses: Sequence[str],
        transitions: Iterable[TransitionSpec],
        screens: Mapping[str, Sequence[str]] | None = None,
        name: str = "Request workflow",
    ) -> Workflow:
        """A workflow of these statuses; `screens` names each screened transition's fields."""
        built = []
        for i, spec in enumerate(transitions):
            froms: tuple[str, ...] = ()
            if len(spec) == 2:
                label, to = spec[0], spec[1]
            else:
                label, froms, to = spec[0], tuple(spec[1]), spec[2]
            built.append(
                Transition(
                    id=str(11 + 10 * i),
                    name=label,
                    to_status=to,
                    from_statuses=tuple(froms),
                    screen_fields=tuple((screens or {}).get(label, ())),
                )
            )
        unknown = {s for t in built for s in (t.to_status, *t.from_statuses)} - set(statuses)
        if unknown:
            raise ValueError(f"transitions lead to unknown statuses: {sorted(unknown)}")
        return cls(statuses=tuple(statuses), transitions=tuple(built), name=name)

    def status_id(self, name: str) -> str:
        return str(10000 + self.statuses.index(name))

    def available_from(self, status: str) -> list[Transition]:
        return [t for t in self.transitions if t.available_from(status)]

    def leading_to(self, status: str, to_status: str) -> Transition | None:
        """The transition a person would take from `status` to `to_status`, if any."""
        return next((t for t in self.available_from(status) if t.to_status == to_status), None)


@dataclass(frozen=True)
class FakeProject:
    id: str
    key: str
    issue_types: tuple[str, ...]


@dataclass
class FakeComment:
    id: str
    body: dict[str, Any]
    author: FakeUser
    created: datetime


@dataclass
class FakeHistory:
    """One changelog entry: who changed what, when (REST `expand=changelog`)."""

    id: str
    author: FakeUser
    created: datetime
    items: list[dict[str, Any]]


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
    project_id: str = "10000"
    comments: list[FakeComment] = field(default_factory=list)
    histories: list[FakeHistory] = field(default_factory=list)


# (event name, issue, who did it, changelog or None): what a webhook is built from.
EventListener = Callable[[str, FakeIssue, FakeUser, dict[str, Any] | None], None]


class IssueStore:
    """The site's projects, users and issues. Callers that read several things at once
    hold `lock`; it is re-entrant, so they may call the methods below while holding it."""

    def __init__(self, workflow: Workflow, on_event: EventListener) -> None:
        self.workflow = workflow
        self.lock = threading.RLock()
        self.issues: dict[str, FakeIssue] = {}
        self._on_event = on_event
        self.projects: dict[str, FakeProject] = {}
        self._issue_numbers: dict[str, itertools.count[int]] = {}
        self._users: dict[str, FakeUser] = {}
        # Group name -> account ids of its members.
        self.groups: dict[str, set[str]] = {}
        # One sequence for issue, comment and changelog ids, as in a small Jira site.
        self._ids = itertools.count(10001)

    def next_id(self) -> str:
        return str(next(self._ids))

    def add_project(self, key: str, issue_types: Sequence[str] = DEFAULT_ISSUE_TYPES) -> None:
        with self.lock:
            if key not in self.projects:
                project_id = str(10000 + len(self.projects))
                self.projects[key] = FakeProject(project_id, key, tuple(issue_types))
                self._issue_numbers[key] = itertools.count(1)

    def project(self, key_or_id: str) -> FakeProject:
        """The project with that key or id (keys are case sensitive); KeyError if none."""
        found = self.projects.get(key_or_id) or next(
            (p for p in self.projects.values() if p.id == key_or_id), None
        )
        if found is None:
            raise KeyError(key_or_id)
        return found

    def add_user(self, user: FakeUser) -> None:
        with self.lock:
            self._users[user.display_name] = user

    def user(self, display_name: str) -> FakeUser:
        """The user with that display name, created on first use."""
        with self.lock:
            if display_name not in self._users:
                account = f"557058:{uuid.uuid5(uuid.NAMESPACE_URL, display_name)}"
                self._users[display_name] = FakeUser(account, display_name)
            return self._users[display_name]

    def add_to_group(self, group: str, user: FakeUser) -> None:
        with self.lock:
            self.groups.setdefault(group, set()).add(user.account_id)

    def groups_of(self, account_id: str) -> list[str]:
        """The user's groups; KeyError when no such user exists."""
        with self.lock:
            if all(u.account_id != account_id for u in self._users.values()):
                raise KeyError(account_id)
            return sorted(g for g, members in self.groups.items() if account_id in members)

    def issue(self, key: str) -> FakeIssue:
        """The issue with that key (any case); KeyError when there is none."""
        issue = self.issues.get(key.upper())
        if issue is None:
            raise KeyError(key)
        return issue

    def create_issue(
        self,
        project: str,
        summary: str,
        *,
        issue_type: str,
        status: str | None,
        description: str,
        labels: Sequence[str],
        reporter: str,
        priority: str,
        notify: bool,
    ) -> FakeIssue:
        status = status or self.workflow.statuses[0]
        self._require_status(status)
        with self.lock:
            if project not in self.projects:
                raise ValueError(f"unknown project {project!r}")
            created = now()
            issue = FakeIssue(
                id=self.next_id(),
                key=f"{project}-{next(self._issue_numbers[project])}",
                project_key=project,
                summary=summary,
                description=text_to_adf(description) if description else None,
                issue_type=issue_type,
                status=status,
                labels=list(labels),
                reporter=self.user(reporter),
                priority=priority,
                created=created,
                updated=created,
                project_id=self.projects[project].id,
            )
            self.issues[issue.key] = issue
            if notify:
                self._on_event(ISSUE_CREATED, issue, issue.reporter, None)
            return issue

    def move(self, issue: FakeIssue, to_status: str, actor: FakeUser) -> None:
        """Change the status and fire `jira:issue_updated` with the status changelog."""
        self._require_status(to_status)
        with self.lock:
            previous = issue.status
            issue.status = to_status
            issue.updated = now()
            changelog = self._status_changelog(previous, to_status)
            issue.histories.append(
                FakeHistory(changelog["id"], actor, issue.updated, changelog["items"])
            )
            self._on_event(ISSUE_UPDATED, issue, actor, changelog)

    def add_comment(self, issue: FakeIssue, body: dict[str, Any], author: FakeUser) -> FakeComment:
        with self.lock:
            comment = FakeComment(self.next_id(), body, author, now())
            issue.comments.append(comment)
            issue.updated = comment.created
            return comment

    def _require_status(self, status: str) -> None:
        if status not in self.workflow.statuses:
            raise ValueError(f"unknown status {status!r}")

    def _status_changelog(self, previous: str, to_status: str) -> dict[str, Any]:
        return {
            "id": self.next_id(),
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
