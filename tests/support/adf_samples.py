"""ADF documents as Jira Cloud stores them, shared by the client's and the fake's tests."""

from __future__ import annotations

from typing import Any

# Nested blocks, a hard break and a mention, and the plain text both readers must give.
NESTED_DOCUMENT: dict[str, Any] = {
    "type": "doc",
    "version": 1,
    "content": [
        {"type": "heading", "content": [{"type": "text", "text": "Title"}]},
        {
            "type": "paragraph",
            "content": [
                {"type": "text", "text": "one"},
                {"type": "hardBreak"},
                {"type": "text", "text": "two "},
                {"type": "mention", "attrs": {"text": "@Bob"}},
            ],
        },
        {
            "type": "bulletList",
            "content": [
                {
                    "type": "listItem",
                    "content": [{"type": "paragraph", "content": [{"type": "text", "text": "x"}]}],
                }
            ],
        },
    ],
}
NESTED_TEXT = "Title\none\ntwo @Bob\nx"
