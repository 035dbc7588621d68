"""The fuzz tier: hypothesis drives the real API handlers in-process against the functional
tier's moto account, fake Jira and mock external API (the same fixtures, imported).

One account per test function, shared by all of its examples: building it per example
would cost more than the examples. That is why the `function_scoped_fixture` health check
is off. Examples stay independent where it matters: the properties compare the account's
state before and after each example, so leftovers from earlier examples cannot hide a write.

The properties, settings and state snapshots live in `properties.py`.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.functional.conftest import Workflow, external_api, fake_jira, workflow
from tests.fuzz.properties import CASES, SeededApprovals, seed_approvals

__all__ = ["external_api", "fake_jira", "workflow"]


@pytest.fixture
def seeded_approvals(workflow: Workflow, monkeypatch: pytest.MonkeyPatch) -> SeededApprovals:
    return seed_approvals(workflow, monkeypatch)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if CASES:
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(CASES.items()))
        total = sum(CASES.values())
        terminalreporter.write_line(f"fuzz: {total} cases answered ({counts})")
