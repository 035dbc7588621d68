"""Field types shared by every model that crosses a trust boundary."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from jira_workflow.domain.requests import ISSUE_KEY_PATTERN

__all__ = ["ISSUE_KEY_PATTERN", "IssueKey"]

IssueKey = Annotated[str, StringConstraints(pattern=ISSUE_KEY_PATTERN)]
