"""`ApplyRun` declares the stack usable when only deferrable resources (the S3 lifecycle
rules, whose provider wait is a fixed ~55 s) are still being applied."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from local_cloud.terraform_local import ApplyRun, TerraformError

LIFECYCLE = "module.storage.aws_s3_bucket_lifecycle_configuration.artifacts"
FUNCTION = 'module.functions.aws_lambda_function.this["webhook"]'


def event(kind: str, **fields: object) -> str:
    return json.dumps({"type": kind, **fields})


def planned(addr: str, resource_type: str) -> str:
    resource = {"addr": addr, "resource_type": resource_type}
    return event("planned_change", change={"resource": resource, "action": "create"})


def completed(addr: str, resource_type: str, seconds: int) -> str:
    resource = {"addr": addr, "resource_type": resource_type}
    return event("apply_complete", hook={"resource": resource, "elapsed_seconds": seconds})


def scripted_apply(
    tmp_path: Path, first: list[str], after_pause: list[str], code: int = 0
) -> ApplyRun:
    (tmp_path / "first.jsonl").write_text("\n".join(first) + "\n")
    (tmp_path / "rest.jsonl").write_text("\n".join(after_pause) + "\n")
    script = f"cat {tmp_path}/first.jsonl; sleep 2; cat {tmp_path}/rest.jsonl; exit {code}"
    return ApplyRun(["sh", "-c", script], dict(os.environ), tmp_path / "terraform.log")


PLAN = [
    planned(FUNCTION, "aws_lambda_function"),
    planned(LIFECYCLE, "aws_s3_bucket_lifecycle_configuration"),
    event("change_summary", changes={"operation": "plan"}),
]


def test_usable_before_the_lifecycle_rules_finish(tmp_path: Path) -> None:
    run = scripted_apply(
        tmp_path,
        [*PLAN, completed(FUNCTION, "aws_lambda_function", 7)],
        [completed(LIFECYCLE, "aws_s3_bucket_lifecycle_configuration", 55)],
    )

    usable_after = run.wait_until_usable()

    assert usable_after < 1.5
    assert run.pending == [LIFECYCLE]
    assert run.wait_until_complete(timeout=10) == (True, "")
    assert run.slowest(1) == [(LIFECYCLE, 55)]


def test_not_usable_while_other_resources_are_pending(tmp_path: Path) -> None:
    run = scripted_apply(tmp_path, PLAN, [completed(FUNCTION, "aws_lambda_function", 7)])
    started = time.monotonic()

    run.wait_until_usable()

    assert time.monotonic() - started >= 1.5


def test_a_failed_apply_raises_with_its_first_error(tmp_path: Path) -> None:
    diagnostic = event(
        "diagnostic",
        diagnostic={"severity": "error", "summary": "creating IAM Role", "detail": "exists"},
    )
    run = scripted_apply(tmp_path, [*PLAN[:1], diagnostic], [], code=1)

    with pytest.raises(TerraformError, match="creating IAM Role"):
        run.wait_until_usable()
