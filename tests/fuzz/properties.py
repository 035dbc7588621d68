"""What every fuzz property checks, and the account state it compares: a plain module
(not the conftest) so tests and fixtures share one copy of each class.

FUZZ_EXAMPLES sets the total number of cases per run (split evenly between the property
tests); `make test` runs a few hundred, `make fuzz` ten thousand or more.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from hypothesis import HealthCheck, settings
from moto.core.models import DEFAULT_ACCOUNT_ID as ACCOUNT
from moto.dynamodb.models import dynamodb_backends
from moto.s3.models import s3_backends
from moto.stepfunctions.models import stepfunctions_backends

from jira_workflow.domain.lifecycle import JiraNotice
from tests.functional.conftest import REGION, Workflow

DEFAULT_EXAMPLES = 300
PROPERTY_TESTS = 6  # the number of @given tests in this folder; the budget is split by it
CASES: Counter[str] = Counter()


def examples_per_test() -> int:
    total = int(os.environ.get("FUZZ_EXAMPLES", DEFAULT_EXAMPLES))
    return max(1, math.ceil(total / PROPERTY_TESTS))


FUZZ = settings(
    max_examples=examples_per_test(),
    deadline=None,  # moto calls vary too much for a per-example deadline to mean anything
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
    print_blob=True,  # a failure prints the blob that replays it
)


@dataclass(frozen=True)
class AccountState:
    """Everything a request could write: table items, S3 objects, executions."""

    items: tuple[str, ...]
    objects: tuple[tuple[str, str], ...]
    executions: tuple[str, ...]


def account_state(workflow: Workflow) -> AccountState:
    """Read straight from moto's backends: three API calls per snapshot cost more than the
    handler under test, and the snapshot is taken twice per example."""
    table = dynamodb_backends[ACCOUNT][REGION].tables[workflow.table]
    bucket = s3_backends[ACCOUNT]["aws"].buckets[workflow.bucket]
    machines = stepfunctions_backends[ACCOUNT][REGION].state_machines
    return AccountState(
        items=tuple(
            sorted(json.dumps(item.to_json(), sort_keys=True) for item in table.all_items())
        ),
        objects=tuple(sorted((name, key.etag) for name, key in bucket.keys.items())),
        executions=tuple(
            sorted(e.execution_arn for machine in machines for e in machine.executions)
        ),
    )


def assert_well_answered(
    response: dict[str, Any], before: AccountState, after: AccountState
) -> dict[str, Any]:
    """The properties every answer keeps, whatever came in."""
    status = response["statusCode"]
    CASES[str(status)] += 1
    assert status < 500, f"{status}: {response.get('body')}"
    body = json.loads(response["body"])
    assert isinstance(body, dict)
    if 400 <= status < 500:
        assert isinstance(body.get("reason"), str) and body["reason"], body
        if status == 410:
            # A well-formed decision that came too late: Jira is told once, and the claim
            # recording that is the one write a 410 may leave.
            before, after = _without_claim(before), _without_claim(after)
        assert after == before, f"a rejected request changed the account: {_diff(before, after)}"
    return body


def _without_claim(
    state: AccountState, claim: str = JiraNotice.LATE_DECISION.value
) -> AccountState:
    def strip(item: str) -> str:
        document = json.loads(item)
        document.get("Attributes", document).pop(claim, None)
        return json.dumps(document, sort_keys=True)

    return replace(state, items=tuple(sorted(strip(item) for item in state.items)))


def _diff(before: AccountState, after: AccountState) -> dict[str, Any]:
    return {
        part: {
            "gone": sorted(set(getattr(before, part)) - set(getattr(after, part))),
            "new": sorted(set(getattr(after, part)) - set(getattr(before, part))),
        }
        for part in ("items", "objects", "executions")
        if getattr(before, part) != getattr(after, part)
    }


# ---- requests in every state a decision can meet ---------------------------------------

AWAITING, DECIDED, TIMED_OUT, RUNNING = "OPS-1", "OPS-2", "OPS-3", "OPS-4"


@dataclass
class SeededApprovals:
    """OPS-1 awaits approval (its task accepts), OPS-2 is decided, OPS-3 timed out, OPS-4
    has not reached approval; `restore` puts them back after an example decided one."""

    workflow: Workflow
    baseline: AccountState
    items: list[dict[str, Any]]

    def restore(self) -> AccountState:
        now = account_state(self.workflow)
        if now.items == self.baseline.items:
            return now
        client, table = self.workflow.dynamodb, self.workflow.table
        for item in client.scan(TableName=table)["Items"]:
            client.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})
        for item in self.items:
            client.put_item(TableName=table, Item=item)
        return account_state(self.workflow)


def seed_approvals(workflow: Workflow, monkeypatch: Any) -> SeededApprovals:
    """OPS-1..4 as SeededApprovals describes; Step Functions accepts any task token."""
    from jira_workflow.container import container
    from jira_workflow.domain.requests import ApprovalDecision, Decision, RequestState

    table = container().table
    # The task token is made up, so Step Functions is told "accepted" for it.
    monkeypatch.setattr(container().executions._client, "send_task_success", lambda **_: {})
    for key in (AWAITING, DECIDED, TIMED_OUT, RUNNING):
        workflow.jira.create_issue("OPS", f"Seeded {key}", notify=False)
        name = f"{key}-seed"
        table.claim(key, name, "seed", f"webhooks/{key}/{name}.json", "2026-11-28T00:00:00Z")
    for key in (AWAITING, DECIDED):
        table.store_token(key, f"{key}-seed", f"token-{key}", 2_000_000_000)
        table.update(
            key, f"{key}-seed", "2026-11-28T00:00:01Z", state=RequestState.AWAITING_APPROVAL
        )
    table.record_decision(
        ApprovalDecision(DECIDED, Decision.APPROVED, "Carol Lead", "", "callback"),
        "2026-11-28T00:00:02Z",
    )
    table.update(
        TIMED_OUT,
        f"{TIMED_OUT}-seed",
        "2026-11-28T00:00:01Z",
        state=RequestState.APPROVAL_TIMED_OUT,
    )
    table.update(RUNNING, f"{RUNNING}-seed", "2026-11-28T00:00:01Z", state=RequestState.RUNNING)
    items = workflow.dynamodb.scan(TableName=workflow.table)["Items"]
    return SeededApprovals(workflow, account_state(workflow), items)
