"""redrive.py against moto: which executions are redriven, and which are left alone."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jira_workflow.adapters.requests_table import RequestsTable
from jira_workflow.domain.requests import RequestState
from tests.functional.conftest import REGION, Workflow
from workflow_tools.ops import redrive
from workflow_tools.ops.common import OpsError, Target


class RecordingSfn:
    """moto's Step Functions, plus RedriveExecution (which moto lacks) recorded in a list."""

    def __init__(self, sfn: Any, errors: dict[str, str]) -> None:
        self._sfn = sfn
        self._errors = errors
        self.redriven: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sfn, name)

    def describe_execution(self, executionArn: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
        detail = dict(self._sfn.describe_execution(executionArn=executionArn))
        if executionArn in self._errors:
            detail["error"] = self._errors[executionArn]
        return detail

    def redrive_execution(self, executionArn: str) -> dict[str, Any]:  # noqa: N803
        self.redriven.append(executionArn)
        return {"redriveDate": datetime.now(UTC)}


def _stopped(workflow: Workflow, name: str) -> str:
    arn = workflow.sfn.start_execution(
        stateMachineArn=workflow.state_machine_arn, name=name, input=json.dumps({"issueKey": name})
    )["executionArn"]
    workflow.sfn.stop_execution(executionArn=arn, error="States.Runtime", cause="test")
    return str(arn)


def _since() -> datetime:
    return datetime.now(UTC) - timedelta(hours=1)


def test_unhandled_failures_are_redriven_and_handled_ones_left(workflow: Workflow) -> None:
    aborted = _stopped(workflow, "aborted-during-rollback")
    handled = _stopped(workflow, "reported-to-jira")
    sfn = RecordingSfn(workflow.sfn, {handled: redrive.HANDLED_FAILURE_ERROR})
    failed = redrive.find_failed(sfn, workflow.state_machine_arn, _since())
    assert {f.name for f in failed} == {"aborted-during-rollback", "reported-to-jira"}
    done = redrive.redrive(sfn, failed, dry_run=False)
    assert done == sfn.redriven == [aborted]
    advice = {f.name: f.advice for f in failed}
    assert advice["reported-to-jira"].startswith("handled failure")


def test_an_outcome_whose_reporting_failed_is_never_redriven_nor_resubmitted(
    workflow: Workflow,
) -> None:
    fulfilled = _stopped(workflow, "fulfilled-jira-down")
    sfn = RecordingSfn(workflow.sfn, {fulfilled: redrive.REPORTING_FAILED_ERROR})
    failed = redrive.find_failed(sfn, workflow.state_machine_arn, _since())

    assert redrive.redrive(sfn, failed, dry_run=False) == []
    advice = failed[0].advice
    assert "never resubmit" in advice
    assert "resubmit the issue" not in advice


def test_dry_run_redrives_nothing(workflow: Workflow) -> None:
    _stopped(workflow, "one")
    sfn = RecordingSfn(workflow.sfn, {})
    failed = redrive.find_failed(sfn, workflow.state_machine_arn, _since())
    assert len(redrive.redrive(sfn, failed, dry_run=True)) == 1
    assert sfn.redriven == []


def test_running_executions_are_not_listed(workflow: Workflow) -> None:
    workflow.sfn.start_execution(stateMachineArn=workflow.state_machine_arn, name="still-running")
    assert redrive.find_failed(workflow.sfn, workflow.state_machine_arn, _since()) == []


def test_not_redrivable_status_is_explained(workflow: Workflow) -> None:
    arn = _stopped(workflow, "too-old")
    sfn = RecordingSfn(workflow.sfn, {})
    sfn.describe_execution = lambda **_: {  # type: ignore[method-assign]
        "redriveStatus": "NOT_REDRIVABLE",
        "redriveStatusReason": "Execution redrivable period exceeded.",
    }
    failed = redrive.find_failed(sfn, workflow.state_machine_arn, _since())
    assert failed[0].arn == arn
    assert failed[0].advice == "Execution redrivable period exceeded."
    assert redrive.redrive(sfn, failed, dry_run=False) == []


def test_cli_list(workflow: Workflow, capsys: pytest.CaptureFixture[str]) -> None:
    _stopped(workflow, "listed")
    code = redrive.main(
        [
            "--env",
            "test",
            "--region",
            "eu-west-1",
            "--state-machine-arn",
            workflow.state_machine_arn,
            "list",
        ]
    )
    out = capsys.readouterr()
    assert code == 0
    assert "listed" in out.out
    assert "1 unsuccessful, 1 redrivable" in out.err


def test_an_issues_execution_is_the_one_its_request_records(workflow: Workflow) -> None:
    arn = _stopped(workflow, "exec-OPS-7")
    table = RequestsTable(workflow.dynamodb, workflow.table)
    table.claim("OPS-7", "exec-OPS-7", "d-7", "webhooks/OPS-7/d.json", "2026-11-27T10:00:00.000Z")
    table.update("OPS-7", "exec-OPS-7", "2026-11-27T10:00:01.000Z", RequestState.FAILED)
    target = Target(environment="test", region=REGION, table=workflow.table)
    with pytest.raises(OpsError, match="no execution recorded for OPS-7"):
        redrive.execution_of_issue(target, "OPS-7")

    table.update("OPS-7", "exec-OPS-7", "2026-11-27T10:00:02.000Z", execution_arn=arn)

    assert redrive.execution_of_issue(target, "OPS-7") == arn
    with pytest.raises(OpsError, match="no execution recorded for OPS-8"):
        redrive.execution_of_issue(target, "OPS-8")
