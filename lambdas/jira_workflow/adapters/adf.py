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


def adf_problems(document: object) -> list[str]:
    """Structural checks Jira applies to an ADF body (the OpenAPI spec leaves `body`
    untyped, so the fake uses these to reject what real Jira would answer 400 to)."""
    if not isinstance(document, dict):
        return ["body must be an ADF document object"]
    problems: list[str] = []
    if document.get("type") != "doc":
        problems.append("body.type must be 'doc'")
    if document.get("version") != 1:
        problems.append("body.version must be 1")
    if not isinstance(document.get("content"), list):
        problems.append("body.content must be an array")
    else:
        _node_problems(document["content"], "body.content", problems)
    return problems


def _node_problems(nodes: list[Any], where: str, problems: list[str]) -> None:
    for index, node in enumerate(nodes):
        path = f"{where}[{index}]"
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            problems.append(f"{path} must be an object with a string 'type'")
            continue
        if node["type"] == "text" and not node.get("text"):
            problems.append(f"{path}: text nodes must have non-empty 'text'")
        children = node.get("content")
        if children is not None:
            if isinstance(children, list):
                _node_problems(children, f"{path}.content", problems)
            else:
                problems.append(f"{path}.content must be an array")
