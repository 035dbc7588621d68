"""Each function's role is the AWS calls its code makes, no more and no less.

The grants live in terraform/permissions/<function>.json (Terraform builds the roles from
them; tests/iam.tftest.hcl checks the roles match). Here the code is read
(workflow_tools.iam_calls) and every function's reachable boto3 calls are compared with
its declaration, both ways.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest

from workflow_tools.iam_calls import (
    PERMISSIONS_DIR,
    PRODUCT,
    Grant,
    Product,
    calls_of,
    declared_functions,
    mismatches,
)

HANDLERS = PRODUCT / "handlers"
SHARED_HANDLER_MODULES = {"__init__", "http", "task"}  # helpers, not functions


@pytest.fixture(scope="module")
def product() -> Product:
    return Product()


def test_every_role_grants_exactly_the_calls_its_code_makes(product: Product) -> None:
    problems = [line for m in mismatches(product) for line in m.lines()]
    assert problems == []


def test_every_handler_has_one_declaration() -> None:
    handlers = {p.stem for p in HANDLERS.glob("*.py")} - SHARED_HANDLER_MODULES
    declared = {
        str(d["handler"]).split(".")[-2]
        for d in declared_functions().values()
        if d.get("package", "product") == "product"
    }
    assert declared == handlers
    assert {p.stem for p in PERMISSIONS_DIR.glob("*.json")} >= handlers


def test_a_grant_the_code_never_uses_is_reported(product: Product) -> None:
    declarations = copy.deepcopy(declared_functions())
    statements = declarations["status"]["statements"]
    assert isinstance(statements, list)
    statements.append(
        {"sid": "Extra", "actions": ["dynamodb:Scan"], "resources": ["request_records"]}
    )

    found = mismatches(product, {"status": declarations["status"]})

    assert [(m.function, m.unused, m.missing) for m in found] == [
        ("status", (Grant("dynamodb:Scan", "request_records"),), ())
    ]


def test_a_call_the_role_lacks_is_reported(product: Product) -> None:
    declarations = copy.deepcopy(declared_functions())
    declarations["callback"]["statements"] = [
        s
        for s in declarations["callback"]["statements"]  # type: ignore[attr-defined]
        if s["sid"] != "AnswerApprovalTaskTokens"
    ]

    found = mismatches(product, {"callback": declarations["callback"]})

    assert [(m.function, m.unused, m.missing) for m in found] == [
        ("callback", (), (Grant("states:SendTaskSuccess"),))
    ]


def test_a_new_boto3_call_in_the_code_is_found(tmp_path: Path) -> None:
    # A copy of the product where reading a record also scans the table.
    copied = tmp_path / "jira_workflow"
    shutil.copytree(PRODUCT, copied, ignore=shutil.ignore_patterns("__pycache__"))
    adapter = copied / "adapters" / "requests_table.py"
    source = adapter.read_text(encoding="utf-8")
    marker = "    def get(self, issue_key: str) -> RequestRecord | None:\n"
    assert marker in source
    adapter.write_text(
        source.replace(marker, marker + "        self._client.scan(TableName=self._table)\n"),
        encoding="utf-8",
    )

    calls = calls_of("jira_workflow.handlers.status", Product(copied))

    assert Grant("dynamodb:Scan", "request_records") in calls


def test_calls_are_told_apart_by_secret_and_by_token_items(product: Product) -> None:
    validate = calls_of("jira_workflow.handlers.validate_request", product)
    enrich = calls_of("jira_workflow.handlers.enrich_request", product)
    approval = calls_of("jira_workflow.handlers.request_approval", product)
    status = calls_of("jira_workflow.handlers.status", product)

    assert not any(g.action.startswith("secretsmanager:") for g in validate)
    assert {g for g in enrich if g.action.startswith("secretsmanager:")} == {
        Grant("secretsmanager:GetSecretValue", "external_api_secret")
    }
    assert Grant("dynamodb:PutItem", "task_tokens") in approval
    assert status == {
        Grant("dynamodb:GetItem", "request_records"),
        Grant("dynamodb:Query", "request_records"),  # the earlier requests (history)
    }


def test_the_status_role_cannot_reach_task_tokens() -> None:
    declared = declared_functions()["status"]["statements"]
    assert isinstance(declared, list)
    assert all("task_tokens" not in s["resources"] for s in declared)


def test_the_webhook_records_decisions_but_never_reads_a_task_token(product: Product) -> None:
    webhook = calls_of("jira_workflow.handlers.webhook", product)
    completer = calls_of("jira_workflow.handlers.complete_decision", product)

    assert not any(g.resource == "task_tokens" for g in webhook)
    assert not any(g.action == "states:SendTaskSuccess" for g in webhook)
    assert Grant("lambda:InvokeFunction") in webhook  # asks complete_decision instead
    assert {Grant("dynamodb:GetItem", "task_tokens"), Grant("states:SendTaskSuccess")} <= completer
    declared = declared_functions()["webhook"]["statements"]
    assert isinstance(declared, list)
    assert all("task_tokens" not in s["resources"] for s in declared)
