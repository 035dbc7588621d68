"""Atlassian Document Format (ADF): the rich-text JSON Jira Cloud REST v3 uses for
comment bodies and issue descriptions.

Only what the workflow needs: plain text in (one paragraph per line), plain text out
(every text node, block nodes separated by newlines).
"""

from __future__ import annotations

from typing import Any

# Block nodes end a line when flattened to text; inline nodes (text, mention...) do not.
_BLOCK_NODES = frozenset(
    {
        "paragraph",
        "heading",
        "blockquote",
        "codeBlock",
        "listItem",
        "bulletList",
        "orderedList",
        "panel",
        "rule",
        "table",
        "tableRow",
        "tableCell",
        "tableHeader",
        "mediaSingle",
    }
)


def text_to_adf(text: str) -> dict[str, Any]:
    """One ADF paragraph per line; blank lines become empty paragraphs (ADF allows them,
    and an empty text node is invalid, so they carry no content)."""
    return {
        "type": "doc",
        "version": 1,
        "content": [_paragraph(line) for line in text.splitlines() or [""]],
    }


def _paragraph(line: str) -> dict[str, Any]:
    if not line:
        return {"type": "paragraph", "content": []}
    return {"type": "paragraph", "content": [{"type": "text", "text": line}]}


def adf_to_text(document: object) -> str:
    """Flatten an ADF document to plain text. Tolerates None and plain strings because
    Jira answers `description: null` for empty fields and v2-shaped payloads carry text."""
    if document is None:
        return ""
    if isinstance(document, str):
        return document
    lines: list[str] = []
    current: list[str] = []
    _walk(document, lines, current)
    if current:
        lines.append("".join(current))
    return "\n".join(lines).strip("\n")


def _walk(node: object, lines: list[str], current: list[str]) -> None:
    if isinstance(node, list):
        for child in node:
            _walk(child, lines, current)
        return
    if not isinstance(node, dict):
        return
    node_type = node.get("type")
    if node_type == "text":
        current.append(str(node.get("text", "")))
    elif node_type == "hardBreak":
        _end_line(lines, current)
    elif node_type in ("mention", "emoji"):
        attrs = node.get("attrs") or {}
        current.append(str(attrs.get("text", "")))
    _walk(node.get("content", []), lines, current)
    if node_type in _BLOCK_NODES and node_type not in ("bulletList", "orderedList", "table"):
        _end_line(lines, current)


def _end_line(lines: list[str], current: list[str]) -> None:
    lines.append("".join(current))
    current.clear()
