"""`FakeJira`: one fake Jira Cloud site, wired together: the issue store, the REST API
on its own HTTP server, and the webhook sender, with the knobs tests turn.

    jira = FakeJira(email="bot@example.com", api_token="t0ken").start()
    key = jira.create_issue("OPS", "Need a laptop", issue_type="Service Request")
    jira.register_webhook("http://127.0.0.1:8080/jira/webhook", secret="s3cret")
    jira.transition(key, "Approved", actor="Bob Approver")   # fires jira:issue_updated
    jira.wait_for_deliveries()
    jira.stop()
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from local_cloud.fake_jira.adf import adf_to_text
from local_cloud.fake_jira.api import RestApi
from local_cloud.fake_jira.model import (
    DEFAULT_APPROVER_GROUP,
    DEFAULT_APPROVERS,
    DEFAULT_BOT_PERMISSIONS,
    DEFAULT_ISSUE_TYPES,
    FakeIssue,
    FakeUser,
    IssueStore,
    Workflow,
)
from local_cloud.fake_jira.server import CallLog, JiraHttpServer
from local_cloud.fake_jira.webhooks import Delivery, WebhookSender, event_body


class FakeJira:
    def __init__(
        self,
        *,
        email: str = "workflow-bot@example.com",
        api_token: str = "fake-api-token",  # noqa: S107 - a local fake's default
        workflow: Workflow | None = None,
        projects: Iterable[str] = ("OPS",),
        issue_types: Sequence[str] = DEFAULT_ISSUE_TYPES,
        bot_permissions: frozenset[str] = DEFAULT_BOT_PERMISSIONS,
        webhook_retry_delays: Sequence[float] = (0.05, 0.1, 0.2, 0.4, 0.8),
        webhook_timeout_seconds: float = 10.0,
        validate_against_spec: bool = True,
        approver_groups: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """`approver_groups`: group name -> display names of its members (default: the
        request-approvers group with the approvers the tests move issues as)."""
        self.email = email
        self.api_token = api_token
        self.api_user = FakeUser("557058:workflow-bot", "Workflow Bot", email)
        self.store = IssueStore(workflow or Workflow.default(), on_event=self._publish)
        self.store.add_user(self.api_user)
        self.webhooks = WebhookSender(webhook_retry_delays, webhook_timeout_seconds)
        self.api = RestApi(
            self.store,
            self.api_user,
            base_url=self._base_url,
            credentials=lambda: f"{self.email}:{self.api_token}",
            validate_against_spec=validate_against_spec,
            bot_permissions=bot_permissions,
        )
        self.api_calls: CallLog = []
        self._server: JiraHttpServer | None = None
        self._issue_types = tuple(issue_types)
        for project in projects:
            self.add_project(project)
        groups = (
            {DEFAULT_APPROVER_GROUP: DEFAULT_APPROVERS}
            if approver_groups is None
            else approver_groups
        )
        for group, members in groups.items():
            for member in members:
                self.add_to_group(group, member)

    # ---- Lifecycle ------------------------------------------------------------------

    def start(self, port: int = 0) -> FakeJira:
        """Serve on 127.0.0.1 (port 0 picks a free one) and start the webhook sender."""
        self._server = JiraHttpServer(self.api, self.api_calls, port)
        self.webhooks.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
        self.webhooks.stop()
        self._server = None

    def __enter__(self) -> FakeJira:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeJira is not started")
        return self._server.url

    @property
    def workflow(self) -> Workflow:
        return self.store.workflow

    @workflow.setter
    def workflow(self, workflow: Workflow) -> None:
        """Switch the site's workflow, as an admin would (existing statuses must remain)."""
        with self.store.lock:
            self.store.workflow = workflow

    @property
    def response_problems(self) -> list[str]:
        """What the fake answered that the spec does not allow: tests assert it is empty."""
        return self.api.response_problems

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], object]:
        """Answer one REST call without HTTP: (status, extra headers, JSON body or None)."""
        return self.api.handle(method, raw_path, headers, body)

    # ---- Test helpers: state --------------------------------------------------------

    def add_project(self, key: str, issue_types: Sequence[str] | None = None) -> None:
        """A project (default: the site's issue types), all on the site's one workflow."""
        self.store.add_project(key, issue_types or self._issue_types)

    @property
    def bot_permissions(self) -> set[str]:
        """The bot's project permissions: a test may grant or revoke one."""
        return self.api.bot_permissions

    def user(self, display_name: str) -> FakeUser:
        """The user with that display name, created on first use."""
        return self.store.user(display_name)

    def add_to_group(self, group: str, display_name: str) -> None:
        """Put the user (created on first use) in the group (created on first use)."""
        self.store.add_to_group(group, self.user(display_name))

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
        issue = self.store.create_issue(
            project,
            summary,
            issue_type=issue_type,
            status=status,
            description=description,
            labels=labels,
            reporter=reporter,
            priority=priority,
            notify=notify,
        )
        return issue.key

    def transition(self, issue_key: str, to_status: str, actor: str = "Bob Approver") -> None:
        """Move the issue as a person in the UI would; fires `jira:issue_updated`.

        Only along the workflow, as in Jira: ValueError when no transition leads from the
        issue's status to `to_status`.
        """
        with self.store.lock:
            issue = self.store.issue(issue_key)
            if self.store.workflow.leading_to(issue.status, to_status) is None:
                raise ValueError(
                    f"{issue_key}: the workflow has no transition from {issue.status!r} "
                    f"to {to_status!r}"
                )
            self.store.move(issue, to_status, self.user(actor))

    def status(self, issue_key: str) -> str:
        with self.store.lock:
            return self.store.issue(issue_key).status

    def comments(self, issue_key: str) -> list[str]:
        with self.store.lock:
            return [adf_to_text(c.body) for c in self.store.issue(issue_key).comments]

    def issue(self, issue_key: str) -> FakeIssue:
        with self.store.lock:
            return self.store.issue(issue_key)

    # ---- Test helpers: faults -------------------------------------------------------

    def fail_next(
        self, count: int = 1, status: int = 503, retry_after: float | None = None
    ) -> None:
        """The next `count` API calls answer `status` (with Retry-After seconds if given)."""
        self.api.faults.fail_next(count, status, retry_after)

    def set_latency(self, seconds: float) -> None:
        """Every API call waits this long before answering (0 turns it off)."""
        self.api.faults.latency = seconds

    def stop_answering(self, after_seconds: float = 15.0) -> None:
        """Jira down: every API call is held `after_seconds` (longer than a client's read
        timeout) and then dropped unanswered, nothing applied. `clear_faults` ends it."""
        self.api.faults.unanswered_after = after_seconds

    def throttle(self, retry_after: float) -> None:
        """Every API call is answered 429 with `Retry-After: retry_after`, unprompted,
        until `clear_faults`."""
        self.api.faults.throttle_retry_after = retry_after

    def clear_faults(self) -> None:
        self.api.faults.clear()
        self.webhooks.clear_faults()

    # ---- Test helpers: webhooks -----------------------------------------------------

    def register_webhook(
        self,
        url: str,
        secret: str,
        events: Iterable[str] = ("jira:issue_created", "jira:issue_updated"),
    ) -> None:
        self.webhooks.register(url, secret, events)

    def drop_next_deliveries(self, count: int = 1) -> None:
        """The next `count` deliveries are never sent: a webhook that never arrives."""
        self.webhooks.drop_next(count)

    def sign_next_with_wrong_secret(self, count: int = 1) -> None:
        self.webhooks.sign_next_with_wrong_secret(count)

    def send_duplicate(self, identifier: str | None = None) -> Delivery:
        """Send a delivery again with the same identifier and body (default: the last)."""
        return self.webhooks.send_duplicate(identifier)

    @property
    def deliveries(self) -> list[Delivery]:
        return self.webhooks.deliveries

    def wait_for_deliveries(self, timeout: float = 10.0) -> None:
        """Block until every queued delivery (with its retries) has finished."""
        self.webhooks.wait_for_deliveries(timeout)

    # ---- Internals ------------------------------------------------------------------

    def _publish(
        self, event: str, issue: FakeIssue, actor: FakeUser, changelog: dict[str, Any] | None
    ) -> None:
        body = event_body(event, issue, actor, changelog, self.store.workflow, self._base_url())
        self.webhooks.publish(event, issue.key, body)

    def _base_url(self) -> str:
        return self.url if self._server is not None else "http://127.0.0.1"
