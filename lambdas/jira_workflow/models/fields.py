"""Field types shared by every model that crosses a trust boundary."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

# Jira issue keys: project key (letter first), dash, number. Strict, because the key ends
# up in S3 keys, DynamoDB keys and JQL.
ISSUE_KEY_PATTERN = r"^[A-Z][A-Z0-9_]{0,49}-[1-9][0-9]{0,17}$"
IssueKey = Annotated[str, StringConstraints(pattern=ISSUE_KEY_PATTERN)]
