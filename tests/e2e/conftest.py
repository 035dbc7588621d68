"""One local stack per test session: the real Terraform applied into the emulator, the
real handlers and ASL, a fake Jira driven from here (see local_cloud.driver)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_cloud.driver import LocalStackSession, default_state_dir
from tests.e2e.e2e_support import (
    APPROVAL_TIMEOUT_SECONDS,
    AUTO_APPROVE_MAX_RISK,
    HTTP_TIMEOUT_SECONDS,
    STEP_FUNCTION_TIMEOUT_SECONDS,
    LateRequest,
    create_request,
)
from workflow_tools import build_lambda

# Run after the others, in this order: the Jira-down test first waits for the late
# request's approval timeout (60 s after the session starts), which the other tests' time
# then covers; the log check reads every log line the run produced, so it goes last.
RUN_LAST = ("test_jira_down_on_the_stack.py", "test_zz_logs_hold_no_secrets.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.e2e)
    # sort is stable: every other test keeps its file order
    items.sort(key=lambda item: _run_last_rank(Path(str(item.fspath)).name))


def _run_last_rank(file_name: str) -> int:
    return RUN_LAST.index(file_name) + 1 if file_name in RUN_LAST else 0


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStackSession]:
    state_dir = default_state_dir("e2e")
    shutil.rmtree(state_dir / "logs", ignore_errors=True)
    terraform_dir = os.environ.get("LOCAL_CLOUD_TERRAFORM_DIR")
    build_lambda.build_for_emulator()
    session = LocalStackSession(
        state_dir,
        terraform_variables={
            "auto_approve_max_risk": AUTO_APPROVE_MAX_RISK,
            "http_timeout_seconds": HTTP_TIMEOUT_SECONDS,
            "step_function_timeout_seconds": STEP_FUNCTION_TIMEOUT_SECONDS,
        },
        approval_timeout_seconds=APPROVAL_TIMEOUT_SECONDS,
        terraform_dir=Path(terraform_dir) if terraform_dir else None,
    )
    try:
        session.start()
    except RuntimeError as error:
        session.stop()
        log = session.log_file.read_text()[-3000:] if session.log_file.exists() else ""
        pytest.fail(f"local stack did not start: {error}\n{log}")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def late_request(stack: LocalStackSession) -> LateRequest:
    """Started before the first test so its approval times out while the others run."""
    key = create_request(stack, "Late decision")
    stack.wait_for_state(key, {"AWAITING_APPROVAL"}, timeout=60)
    return LateRequest(key, time.monotonic())


@pytest.fixture(autouse=True)
def _late_request_started_first(late_request: LateRequest) -> None:
    """Every e2e test needs the stack anyway; this makes the late request the first one."""
