"""Validate an HTTP request against Atlassian's official Jira Cloud OpenAPI spec.

Used by the Jira contract test (every request the client can make) and by the fake Jira
server (every request it receives), so the product cannot drift from the real API. The
spec is the committed, trimmed copy in `reference/jira-openapi.json` (made by
`python -m workflow_tools.jira_spec` from Atlassian's full spec; its source version and
SHA-256 are in `x-trimmed-from`): exactly the operations in `calls_in_use()` here and the
Jira doctor's reads (`workflow_tools.jira_spec.calls_in_use()` joins them: the local cloud
never imports the tools).

Checks: the method + path match a non-deprecated operation (literal segments win),
required path/query parameters are present, query parameter types and enums, and the
JSON body against the operation's requestBody schema (OpenAPI 3.0 `nullable`, `$ref`,
and `readOnly` properties, which a request must not send).

Usage: python -m local_cloud.jira_openapi METHOD PATH [JSON_BODY]
"""

from __future__ import annotations

import argparse
import copy
import functools
import json
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

import jsonschema
from jsonschema import validators

SPEC_ENV_VAR = "JIRA_OPENAPI_SPEC"
DEFAULT_SPEC_PATH = Path(__file__).resolve().parent / "reference" / "jira-openapi.json"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


class JiraCall(NamedTuple):
    """One REST operation, as the spec names it: method and path template."""

    method: str
    template: str


def calls_in_use() -> frozenset[JiraCall]:
    """What the product's client calls and the fake Jira serves (the doctor's reads join
    these in `workflow_tools.jira_spec.calls_in_use`, the trimmed spec's whole scope)."""
    from jira_workflow.adapters.jira import JIRA_OPERATIONS
    from local_cloud.fake_jira.api import SERVED_CALLS  # the fake imports this module

    return frozenset(
        {JiraCall(op.method, op.path_template) for op in JIRA_OPERATIONS} | set(SERVED_CALLS)
    )


def spec_path() -> Path:
    override = os.environ.get(SPEC_ENV_VAR)
    return Path(override) if override else DEFAULT_SPEC_PATH


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    literal_segments: int
    spec: Mapping[str, Any]
    path_item: Mapping[str, Any]

    def parameters(self) -> list[Mapping[str, Any]]:
        merged: dict[tuple[str, str], Mapping[str, Any]] = {}
        # Operation-level parameters override path-level ones with the same name+location.
        for raw in [*self.path_item.get("parameters", []), *self.spec.get("parameters", [])]:
            param = _resolve(raw)
            merged[(param["name"], param["in"])] = param
        return list(merged.values())


# ---- Spec loading (once: the file is 2.3 MB) ----------------------------------------


@functools.cache
def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)  # type: ignore[no-any-return]


def load_spec() -> dict[str, Any]:
    """The parsed spec, loaded once per path (JIRA_OPENAPI_SPEC may point elsewhere)."""
    return _load(spec_path())


def _resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node:
        node = _pointer(load_spec(), node["$ref"])
    return node


def _pointer(document: Mapping[str, Any], ref: str) -> Mapping[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $refs are supported, got {ref!r}")
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node  # type: ignore[no-any-return]


@functools.cache
def _operations(path: Path) -> tuple[Operation, ...]:
    document = _load(path)
    found = [
        _operation(method, template, path_item)
        for template, path_item in document["paths"].items()
        for method in _METHODS
        if method in path_item
    ]
    # Templates the trimmed spec dropped still shadow ours: GET /issue/createmeta is not
    # GET /issue/{issueIdOrKey}. They match, and then count as "no operation".
    found += [
        _operation(method.lower(), template, {method.lower(): {_UNSERVED: True}})
        for method, templates in document.get("x-unserved-paths", {}).items()
        for template in templates
    ]
    # Literal segments beat templates: /issue/bulk must not match /issue/{issueIdOrKey}.
    return tuple(sorted(found, key=lambda op: -op.literal_segments))


_UNSERVED = "x-unserved"


def _operation(method: str, template: str, path_item: Mapping[str, Any]) -> Operation:
    segments = template.strip("/").split("/")
    regex = "/".join("[^/]+" if re.fullmatch(r"\{[^}]+\}", s) else re.escape(s) for s in segments)
    literal = sum(1 for s in segments if not s.startswith("{"))
    return Operation(
        method=method.upper(),
        template=template,
        pattern=re.compile(f"/{regex}/?"),
        literal_segments=literal,
        spec=path_item[method],
        path_item=path_item,
    )


def find_operation(method: str, path: str) -> Operation | None:
    for operation in _operations(spec_path()):
        if operation.method == method.upper() and operation.pattern.fullmatch(path):
            return None if operation.spec.get(_UNSERVED) else operation
    return None


# ---- Body schemas: OpenAPI 3.0 -> JSON Schema draft 4 -------------------------------


def _convert(node: Any) -> Any:
    """OpenAPI 3.0 `nullable: true` is JSON Schema `type: [T, "null"]`."""
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _convert(value) for key, value in node.items()}
    if converted.pop("nullable", False) is True:
        if isinstance(converted.get("type"), str):
            converted["type"] = [converted["type"], "null"]
        elif "type" not in converted and ("allOf" in converted or "$ref" in converted):
            converted = {"anyOf": [{"type": "null"}, converted]}
        if "enum" in converted:
            converted["enum"] = [*converted["enum"], None]
    return converted


def _read_only(
    validator: Any, value: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[jsonschema.ValidationError]:
    # The keyword is only evaluated when the property was sent: that is the problem.
    if value is True:
        yield jsonschema.ValidationError("is read-only and must not be sent in a request")


_RequestValidator = validators.extend(jsonschema.Draft4Validator, {"readOnly": _read_only})


# Responses may (and do) carry readOnly properties, so they use plain draft 4.
_ResponseValidator = jsonschema.Draft4Validator


@functools.cache
def _components(path: Path) -> dict[str, Any]:
    return {"components": _convert(copy.deepcopy(_load(path).get("components", {})))}


@functools.cache
def _body_validator(path: Path, schema_json: str, for_response: bool = False) -> Any:
    schema = {**_components(path), **_convert(json.loads(schema_json))}
    return (_ResponseValidator if for_response else _RequestValidator)(schema)


# ---- Validation -------------------------------------------------------------------


def validate_request(
    method: str,
    url_or_path: str,
    query: Mapping[str, Sequence[str]] | None = None,
    body: bytes | str | None = None,
    content_type: str | None = "application/json",
) -> list[str]:
    """Problems with the request, as readable sentences; empty when it matches the spec.

    `url_or_path` may carry its own query string; `query` adds parameters (name -> values).
    """
    split = urlsplit(url_or_path)
    params: dict[str, list[str]] = {}
    for name, value in parse_qsl(split.query, keep_blank_values=True):
        params.setdefault(name, []).append(value)
    for name, values in (query or {}).items():
        params.setdefault(name, []).extend(values)
    operation = find_operation(method, split.path)
    if operation is None:
        return [f"{method.upper()} {split.path} matches no operation in the Jira OpenAPI spec"]
    where = f"{operation.method} {operation.template}"
    problems = [f"{where}: {p}" for p in _parameter_problems(operation, params)]
    if operation.spec.get("deprecated"):
        # Atlassian removes deprecated operations (e.g. the old /search) on short notice.
        problems.append(f"{where}: the operation is deprecated in the spec")
    problems += [f"{where}: {p}" for p in _body_problems(operation, body, content_type)]
    return problems


def _parameter_problems(operation: Operation, query: Mapping[str, list[str]]) -> list[str]:
    problems: list[str] = []
    known = set()
    for param in operation.parameters():
        if param["in"] != "query":
            continue  # path params are present by construction of the match
        name = param["name"]
        known.add(name)
        values = query.get(name)
        if not values:
            if param.get("required"):
                problems.append(f"required query parameter {name!r} is missing")
            continue
        problems.extend(_query_value_problems(name, param.get("schema", {}), values))
    # Jira ignores unknown parameters, but a typo in ours means a silently ignored option.
    problems.extend(f"unknown query parameter {name!r}" for name in query if name not in known)
    return problems


def _query_value_problems(name: str, schema: Mapping[str, Any], values: list[str]) -> list[str]:
    schema = _resolve(schema)
    if schema.get("type") == "array":
        item_schema = _resolve(schema.get("items", {}))
        # Jira accepts both repeated parameters and one comma-separated value.
        items = [part for value in values for part in value.split(",")]
        return [p for item in items for p in _scalar_problems(name, item_schema, item)]
    if len(values) > 1:
        return [f"query parameter {name!r} is given {len(values)} times but is not an array"]
    return _scalar_problems(name, schema, values[0])


def _scalar_problems(name: str, schema: Mapping[str, Any], raw: str) -> list[str]:
    expected = schema.get("type", "string")
    value: Any = raw
    if expected == "integer":
        if not re.fullmatch(r"-?\d+", raw):
            return [f"query parameter {name!r} must be an integer, got {raw!r}"]
        value = int(raw)
    elif expected == "number":
        try:
            value = float(raw)
        except ValueError:
            return [f"query parameter {name!r} must be a number, got {raw!r}"]
    elif expected == "boolean":
        if raw not in ("true", "false"):
            return [f"query parameter {name!r} must be true or false, got {raw!r}"]
        value = raw == "true"
    if "enum" in schema and value not in schema["enum"]:
        return [f"query parameter {name!r} must be one of {schema['enum']}, got {raw!r}"]
    return []


def _body_problems(
    operation: Operation, body: bytes | str | None, content_type: str | None
) -> list[str]:
    request_body = operation.spec.get("requestBody")
    if request_body is not None:
        request_body = _resolve(request_body)
    if request_body is None:
        return ["this operation takes no request body"] if body else []
    if not body:
        return ["the request body is required"] if request_body.get("required") else []
    media = (content_type or "").split(";")[0].strip().lower()
    content = request_body.get("content", {})
    if media not in content:
        return [
            f"Content-Type {media or 'none'!r} is not accepted; expected one of {list(content)}"
        ]
    instance, problem = _parse_json(body)
    if problem:
        return [problem]
    schema = content[media].get("schema")
    if schema is None:
        return []
    validator = _body_validator(spec_path(), json.dumps(schema, sort_keys=True))
    return [_describe(error) for error in validator.iter_errors(instance)]


def _parse_json(body: bytes | str) -> tuple[Any, str | None]:
    try:
        return json.loads(body), None
    except json.JSONDecodeError as exc:
        return None, f"the request body is not valid JSON ({exc.msg})"
    except UnicodeDecodeError:
        return None, "the request body is not UTF-8"


def validate_response(method: str, path: str, status: int, body: object) -> list[str]:
    """Problems with a JSON answer (already parsed) against the operation's response schema.

    Used to keep the fake honest: what it answers must be what real Jira can answer.
    """
    operation = find_operation(method, urlsplit(path).path)
    if operation is None:
        return [f"{method.upper()} {path} matches no operation in the Jira OpenAPI spec"]
    where = f"{operation.method} {operation.template} -> {status}"
    responses = operation.spec.get("responses", {})
    if str(status) not in responses:
        return [f"{where}: status {status} is not a documented response"]
    content = _resolve(responses[str(status)]).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    if not schema:
        return [] if body is None else [f"{where}: the spec documents no JSON body"]
    validator = _body_validator(spec_path(), json.dumps(schema, sort_keys=True), True)
    return [f"{where}: {_describe(e)}" for e in validator.iter_errors(body)]


def _describe(error: jsonschema.ValidationError) -> str:
    location = "body" + "".join(
        f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path
    )
    return f"{location} {error.message}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("method")
    parser.add_argument("path", help="path, optionally with a query string")
    parser.add_argument("body", nargs="?", help="JSON body")
    args = parser.parse_args(argv)
    problems = validate_request(args.method, args.path, body=args.body)
    for problem in problems:
        print(problem)
    if not problems:
        print("ok: the request matches the spec")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
