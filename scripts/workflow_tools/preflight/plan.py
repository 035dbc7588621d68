"""A read-only view of `terraform show -json` output that the rules can ask simple questions.

Two facts of the plan format shape this module:

* values computed at apply time (ARNs of resources created in the same plan) are absent from
  `values` and marked in `after_unknown`; a rule must tell "unknown" from "unset";
* such values can still be traced through `configuration`: an expression's `references`
  name the resource (or module variable / output) it comes from, which is how we check that
  an alarm points at an SNS topic before the topic exists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class _Unknown:
    """Sentinel for a value Terraform will only know after apply."""

    def __repr__(self) -> str:
        return "(known after apply)"

    def __bool__(self) -> bool:  # an unknown value is never "set to something falsy"
        return True


UNKNOWN: Any = _Unknown()

_MODULE_PREFIX = re.compile(r'^module\.([A-Za-z0-9_-]+)(?:\[(?:"[^"]*"|[0-9]+)\])?\.')
_INDEX = re.compile(r'\[(?:"[^"]*"|[0-9]+)\]')
_NON_RESOURCE_ROOTS = {"local", "each", "count", "path", "terraform", "self"}


@dataclass
class Resource:
    """One resource instance (managed or data) with its planned values."""

    address: str
    type: str
    mode: str
    module_path: tuple[str, ...]
    values: dict[str, Any]
    unknown: dict[str, Any]
    actions: tuple[str, ...] = ()

    @property
    def config_address(self) -> str:
        """Address without instance keys: what `configuration` and references use."""
        return _INDEX.sub("", self.address)

    @property
    def local_name(self) -> str:
        """`type.name` (or `data.type.name`) inside its module."""
        rest = self.config_address
        for name in self.module_path:
            rest = rest.removeprefix(f"module.{name}.")
        return rest

    def get(self, path: str) -> Any:
        """Value at a dotted path (`a.0.b`); UNKNOWN when known only after apply, else None."""
        value: Any = self.values
        unknown: Any = self.unknown
        for part in path.split("."):
            if unknown is True:
                return UNKNOWN
            key: int | str = int(part) if part.isdigit() else part
            value = _step(value, key)
            unknown = _step(unknown, key)
        if unknown is True:
            return UNKNOWN
        return value


def _step(node: Any, key: int | str) -> Any:
    if isinstance(key, int):
        return node[key] if isinstance(node, list) and len(node) > key else None
    return node.get(key) if isinstance(node, dict) else None


def module_path_of(address: str) -> tuple[str, ...]:
    names = []
    rest = address
    while match := _MODULE_PREFIX.match(rest):
        names.append(match.group(1))
        rest = rest[match.end() :]
    return tuple(names)


@dataclass
class Plan:
    """The parts of a plan JSON document the rules read."""

    raw: dict[str, Any]
    resources: list[Resource] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> Plan:
        return cls.from_dict(json.loads(path.read_text()))

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Plan:
        if "planned_values" not in raw and "resource_changes" not in raw:
            raise ValueError("not a Terraform plan JSON document (no planned_values)")
        return cls(raw=raw, resources=list(_collect_resources(raw)))

    # ---- lookups ----------------------------------------------------------------

    def of_type(self, *types: str, mode: str = "managed") -> list[Resource]:
        return [r for r in self.resources if r.type in types and r.mode == mode]

    def by_config_address(self, config_address: str) -> list[Resource]:
        return [r for r in self.resources if r.config_address == config_address]

    def variable(self, name: str, default: Any = None) -> Any:
        return self.raw.get("variables", {}).get(name, {}).get("value", default)

    def root_local(self, name: str) -> Any:
        """A root-module local as planned, read from the root output that is exactly it.

        The plan JSON holds no locals, but `output_changes` holds each output's known parts
        (unknown ones marked in `after_unknown`); an output whose expression references only
        `local.<name>` is that local. Unknown parts come back as UNKNOWN; None if no output.
        """
        outputs = self.raw.get("configuration", {}).get("root_module", {}).get("outputs", {})
        for output_name, output in outputs.items():
            if output.get("expression", {}).get("references") == [f"local.{name}"]:
                change = self.raw.get("output_changes", {}).get(output_name, {})
                return _with_unknowns(change.get("after"), change.get("after_unknown"))
        return None

    @property
    def provider_config(self) -> dict[str, Any]:
        config: dict[str, Any] = self.raw.get("configuration", {}).get("provider_config", {})
        aws: dict[str, Any] = config.get("aws", {})
        return aws

    # ---- configuration and references ---------------------------------------------

    def module_config(self, module_path: tuple[str, ...]) -> dict[str, Any]:
        node: dict[str, Any] = self.raw.get("configuration", {}).get("root_module", {})
        for name in module_path:
            node = node.get("module_calls", {}).get(name, {}).get("module", {})
        return node

    def module_call(self, module_path: tuple[str, ...]) -> dict[str, Any]:
        parent = self.module_config(module_path[:-1])
        call: dict[str, Any] = parent.get("module_calls", {}).get(module_path[-1], {})
        return call

    def expression(self, resource: Resource, path: str) -> dict[str, Any]:
        """The configuration expression for an attribute path of a resource (or {})."""
        for config in self.module_config(resource.module_path).get("resources", []):
            if config.get("address") == resource.local_name:
                node: Any = config.get("expressions", {})
                for part in path.split("."):
                    node = _step(node, int(part) if part.isdigit() else part)
                return node if isinstance(node, dict) else {}
        return {}

    def sources(self, resource: Resource, path: str) -> set[str]:
        """Config addresses of the resources an attribute's value comes from.

        Follows module variables up to the calling module and module outputs down into
        the child; names it cannot follow (locals) are returned as `local.<name>`.
        """
        refs = self.expression(resource, path).get("references", [])
        return self._resolve(resource.module_path, refs, depth=0)

    def _resolve(self, module_path: tuple[str, ...], refs: list[str], depth: int) -> set[str]:
        if depth > 10:  # modules cannot nest this deep in practice; stop cycles anyway
            return set()
        found: set[str] = set()
        prefix = "".join(f"module.{name}." for name in module_path)
        for ref in refs:
            parts = _INDEX.sub("", ref).split(".")
            root = parts[0]
            if root == "var" and len(parts) > 1:
                if not module_path:
                    found.add(f"var.{parts[1]}")
                    continue
                call = self.module_call(module_path)
                upstream = call.get("expressions", {}).get(parts[1], {}).get("references", [])
                found |= self._resolve(module_path[:-1], upstream, depth + 1)
            elif root == "module" and len(parts) > 2:
                child = (*module_path, parts[1])
                output = self.module_config(child).get("outputs", {}).get(parts[2], {})
                downstream = output.get("expression", {}).get("references", [])
                found |= self._resolve(child, downstream, depth + 1)
            elif root == "module":
                continue  # the bare `module.x` form repeats a `module.x.output` reference
            elif root in _NON_RESOURCE_ROOTS:
                found.add(f"{root}.{parts[1]}" if len(parts) > 1 else root)
            elif root == "data" and len(parts) > 2:
                found.add(f"{prefix}data.{parts[1]}.{parts[2]}")
            elif len(parts) > 1:
                found.add(f"{prefix}{parts[0]}.{parts[1]}")
        return found

    def sources_of_type(self, resource: Resource, path: str, rtype: str) -> list[str]:
        return sorted(s for s in self.sources(resource, path) if _type_of(s) == rtype)

    def variable_sources(self, module_path: tuple[str, ...], name: str) -> set[str]:
        """Config addresses a module's `var.<name>` comes from: for attributes set in a
        `dynamic` block, which the plan's configuration does not list."""
        return self._resolve(module_path, [f"var.{name}"], depth=0)

    def attached(self, child: Resource, attr: str, parent: Resource, *id_attrs: str) -> bool:
        """True when `child.attr` is (or comes from) `parent`: by known value or reference."""
        value = child.get(attr)
        if value is not UNKNOWN and value is not None:
            known = {parent.get(a) for a in (*id_attrs, "id", "arn")}
            if value in known:
                return True
        return parent.config_address in self.sources(child, attr)


def _with_unknowns(after: Any, unknown: Any) -> Any:
    """`after` with UNKNOWN wherever `after_unknown` marks a value known only after apply."""
    if unknown is True:
        return UNKNOWN
    if isinstance(after, dict) or isinstance(unknown, dict):
        marks = unknown if isinstance(unknown, dict) else {}
        values = after if isinstance(after, dict) else {}
        return {k: _with_unknowns(values.get(k), marks.get(k)) for k in {*values, *marks}}
    return after


def _type_of(config_address: str) -> str:
    rest = config_address
    while match := _MODULE_PREFIX.match(rest):
        rest = rest[match.end() :]
    parts = rest.split(".")
    return parts[1] if parts[0] == "data" and len(parts) > 1 else parts[0]


def _collect_resources(raw: dict[str, Any]) -> Iterator[Resource]:
    """Every resource instance, from planned values with resource_changes' unknown marks.

    Deferred data sources appear only in resource_changes (action `read`), so both are read.
    """
    changes = {rc["address"]: rc for rc in raw.get("resource_changes", [])}
    seen: set[str] = set()
    for item in _walk_module(raw.get("planned_values", {}).get("root_module", {})):
        change = changes.get(item["address"], {}).get("change", {})
        seen.add(item["address"])
        yield Resource(
            address=item["address"],
            type=item["type"],
            mode=item.get("mode", "managed"),
            module_path=module_path_of(item["address"]),
            values=item.get("values") or {},
            unknown=change.get("after_unknown") or {},
            actions=tuple(change.get("actions", ())),
        )
    for address, rc in changes.items():
        actions = tuple(rc.get("change", {}).get("actions", ()))
        if address in seen or actions == ("delete",):
            continue
        yield Resource(
            address=address,
            type=rc["type"],
            mode=rc.get("mode", "managed"),
            module_path=module_path_of(address),
            values=rc.get("change", {}).get("after") or {},
            unknown=rc.get("change", {}).get("after_unknown") or {},
            actions=actions,
        )


def _walk_module(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _walk_module(child)
