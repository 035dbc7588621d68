"""The fake's own Atlassian Document Format (ADF) handling, written apart from the
product's client on purpose: an oracle that shares the client's code shares its bugs.

Jira checks what the OpenAPI spec leaves open (a comment's `body` is untyped there), so
`adf_problems` answers what real Jira would reject with a 400; `text_to_adf` and
`adf_to_text` let tests create issues and read comments as plain text.
"""

from __future__ import annotations

from typing import Any

# Nodes after which Jira's plain-text rendering starts a new line. Lists and tables are
# left out: their items and cells already end their own lines.
_LINE_ENDING_NODES = frozenset(
    {
        "paragraph",
        "heading",
        "blockquote",
        "codeBlock",
        "listItem",
        "panel",
        "rule",
        "tableRow",
        "tableCell",
        "tableHeader",
        "mediaSingle",
    }
)
# Inline nodes that stand for text they carry in `attrs.text`.
_TEXT_IN_ATTRS = frozenset({"mention", "emoji"})


def text_to_adf(text: str) -> dict[str, Any]:
    """One paragraph per line; an empty line is a paragraph without content, because an
    empty text node is invalid ADF."""
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []}
        for line in text.splitlines() or [""]
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}


def adf_to_text(document: object) -> str:
    """Plain text of a document: None is "", and a string (a REST v2 shape) is itself."""
    if document is None:
        return ""
    if isinstance(document, str):
        return document
    lines = _TextLines()
    lines.read(document)
    return lines.text()


class _TextLines:
    def __init__(self) -> None:
        self._done: list[str] = []
        self._open: list[str] = []

    def read(self, node: object) -> None:
        if isinstance(node, list):
            for child in node:
                self.read(child)
            return
        if not isinstance(node, dict):
            return
        kind = node.get("type")
        if kind == "text":
            self._open.append(str(node.get("text", "")))
        elif kind in _TEXT_IN_ATTRS:
            self._open.append(str((node.get("attrs") or {}).get("text", "")))
        elif kind == "hardBreak":
            self._end_line()
        self.read(node.get("content", []))
        if kind in _LINE_ENDING_NODES:
            self._end_line()

    def text(self) -> str:
        lines = [*self._done, "".join(self._open)] if self._open else self._done
        return "\n".join(lines).strip("\n")

    def _end_line(self) -> None:
        self._done.append("".join(self._open))
        self._open = []


def adf_problems(document: object) -> list[str]:
    """What Jira would reject in an ADF body, each problem naming where it is."""
    if not isinstance(document, dict):
        return ["body must be an ADF document object"]
    problems: list[str] = []
    if document.get("type") != "doc":
        problems.append("body.type must be 'doc'")
    if document.get("version") != 1:
        problems.append("body.version must be 1")
    content = document.get("content")
    if isinstance(content, list):
        problems.extend(_content_problems(content, "body.content"))
    else:
        problems.append("body.content must be an array")
    return problems


def _content_problems(nodes: list[Any], where: str) -> list[str]:
    problems: list[str] = []
    for index, node in enumerate(nodes):
        problems.extend(_node_problems(node, f"{where}[{index}]"))
    return problems


def _node_problems(node: object, where: str) -> list[str]:
    if not isinstance(node, dict) or not isinstance(node.get("type"), str):
        return [f"{where} must be an object with a string 'type'"]
    problems: list[str] = []
    if node["type"] == "text" and not node.get("text"):
        problems.append(f"{where}: text nodes must have non-empty 'text'")
    children = node.get("content")
    if isinstance(children, list):
        problems.extend(_content_problems(children, f"{where}.content"))
    elif children is not None:
        problems.append(f"{where}.content must be an array")
    return problems
