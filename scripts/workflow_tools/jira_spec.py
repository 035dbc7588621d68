"""Trim Atlassian's Jira Cloud platform OpenAPI spec to the operations this project uses.

The fake Jira and the contract tests validate every request and answer against the
committed, trimmed document (`local_cloud/reference/jira-openapi.json`), so a clone needs
nothing from outside the repository. The trimmed document keeps, verbatim, exactly the
operations the product's Jira client calls and the fake Jira serves, every component they
reference (transitively), and, under `x-trimmed-from`, the source spec's title, version and
SHA-256. `x-unserved-paths` lists the more literal templates of the full spec that would
otherwise be mistaken for one of ours (`GET /issue/createmeta` is not `GET /issue/{key}`).

Regenerate after adding a Jira call, with Atlassian's full spec downloaded first
(https://developer.atlassian.com/cloud/jira/platform/swagger-v3.v3.json):

    python -m workflow_tools.jira_spec --source swagger-v3.v3.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from local_cloud import jira_openapi
from local_cloud.jira_openapi import DEFAULT_SPEC_PATH, JiraCall

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_TOP_LEVEL_KEPT = ("openapi", "info", "servers", "externalDocs")


def calls_in_use() -> frozenset[JiraCall]:
    """The committed document's scope: the product's client, the fake Jira's routes and the
    Jira doctor's reads. The doctor is a tool, and the local cloud never imports the tools
    (tests/unit/test_layout.py), so its calls join the other two here."""
    from workflow_tools.jira_doctor.site import SITE_OPERATIONS

    doctor = {JiraCall(op.method, op.path_template) for op in SITE_OPERATIONS}
    return jira_openapi.calls_in_use() | doctor


class SpecError(Exception):
    """The source spec cannot give what the project needs; the message says what."""


def trim(
    source: Mapping[str, Any], source_bytes: bytes, calls: Iterable[JiraCall]
) -> dict[str, Any]:
    """The trimmed document: the calls' operations, their components, provenance."""
    wanted = sorted(set(calls))
    paths = _kept_paths(source, wanted)
    trimmed: dict[str, Any] = {key: source[key] for key in _TOP_LEVEL_KEPT if key in source}
    trimmed["x-trimmed-from"] = {
        "title": source.get("info", {}).get("title"),
        "version": source.get("info", {}).get("version"),
        "sha256": hashlib.sha256(source_bytes).hexdigest(),
        "operations": [f"{call.method} {call.template}" for call in wanted],
    }
    trimmed["x-unserved-paths"] = _unserved_paths(source, wanted)
    trimmed["paths"] = paths
    trimmed["components"] = _referenced_components(source, paths)
    return trimmed


def _kept_paths(source: Mapping[str, Any], wanted: list[JiraCall]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for call in wanted:
        item = source.get("paths", {}).get(call.template)
        method = call.method.lower()
        if item is None or method not in item:
            raise SpecError(f"{call.method} {call.template} is not in the source spec")
        kept = paths.setdefault(call.template, _path_level_fields(item))
        kept[method] = item[method]
    return paths


def _path_level_fields(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in item.items() if key not in _METHODS}


def _unserved_paths(source: Mapping[str, Any], wanted: list[JiraCall]) -> dict[str, list[str]]:
    """More literal templates of the same method that a kept template's pattern would match."""
    unserved: dict[str, set[str]] = {}
    kept = set(wanted)
    for template, item in source.get("paths", {}).items():
        for method in _METHODS:
            if method not in item or JiraCall(method.upper(), template) in kept:
                continue
            sample = re.sub(r"\{[^}]+\}", "x", template)
            if any(
                _shadows(template, sample, call) for call in wanted if call.method == method.upper()
            ):
                unserved.setdefault(method.upper(), set()).add(template)
    return {method: sorted(templates) for method, templates in sorted(unserved.items())}


def _shadows(template: str, sample: str, ours: JiraCall) -> bool:
    """True when `template` is more literal and a path of its shape would match ours."""
    more_literal = _literal_count(template) > _literal_count(ours.template)
    return more_literal and bool(_template_pattern(ours.template).fullmatch(sample))


def _literal_count(template: str) -> int:
    return sum(1 for part in template.strip("/").split("/") if not part.startswith("{"))


def _template_pattern(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)))


def _referenced_components(source: Mapping[str, Any], paths: Mapping[str, Any]) -> dict[str, Any]:
    components = source.get("components", {})
    found: dict[str, dict[str, Any]] = {}
    pending = list(_refs(paths))
    while pending:
        section, name = _component_of(pending.pop())
        if name in found.get(section, {}):
            continue
        try:
            node = components[section][name]
        except KeyError:
            raise SpecError(f"#/components/{section}/{name} is referenced but missing") from None
        found.setdefault(section, {})[name] = node
        pending.extend(_refs(node))
    # Security schemes are named by operations, not $ref'd: keep them all (two small entries).
    if "securitySchemes" in components:
        found["securitySchemes"] = components["securitySchemes"]
    return {section: dict(sorted(found[section].items())) for section in sorted(found)}


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _component_of(ref: str) -> tuple[str, str]:
    parts = ref.split("/")
    if len(parts) != 4 or parts[:2] != ["#", "components"]:
        raise SpecError(f"only local component $refs are supported, got {ref!r}")
    return parts[2], parts[3].replace("~1", "/").replace("~0", "~")


def render(document: Mapping[str, Any]) -> str:
    """Stable text: sorted keys, so regenerating from the same source changes nothing."""
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Trim Atlassian's Jira Cloud OpenAPI spec to the operations this project uses."
    )
    parser.add_argument("--source", type=Path, required=True, help="the full spec (JSON)")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_SPEC_PATH, help=f"default: {DEFAULT_SPEC_PATH.name}"
    )
    args = parser.parse_args(argv)
    try:
        raw = args.source.read_bytes()
        document = trim(json.loads(raw), raw, calls_in_use())
    except (OSError, ValueError, SpecError) as error:
        print(f"jira_spec: {error}", file=sys.stderr)
        return 1
    args.out.write_text(render(document), encoding="utf-8")
    kept = document["x-trimmed-from"]["operations"]
    print(f"wrote {args.out}: {len(kept)} operations from {document['x-trimmed-from']['version']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
