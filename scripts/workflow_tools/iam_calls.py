"""The AWS calls each Lambda function's code can make, found by reading the code.

Each function's IAM grants are declared in `terraform/permissions/<function>.json` and
Terraform builds the role from that file alone. This module derives, without running
anything, the calls the function's handler can reach, and compares them with the
declaration: an action the code never calls, or a call the role lacks, is a finding
(tests/unit/test_iam_permissions.py fails on either).

How the calls are found: from the handler module, every call is followed through the
product's classes, using the type annotations the code already carries (constructor
parameters stored on `self`, `@cached_property` and method return types,
`Callable[[], T]` ports). A call on an attribute annotated as a boto3 client
(`DynamoDBClient`, `S3Client`, `SFNClient`, `LambdaClient`) or Powertools'
`SecretsProvider` is an AWS call: `get_item` is `dynamodb:GetItem`. Lambdas the container
hands to a constructor (the secret readers) are followed where the constructed class
calls them.

Calls are told apart by resource where the role tells them apart: which secret (by the
`SecretsReader` method that reads it) and whether a table item is a task token (by the
`RequestsTable` method). Everything else is compared by action.

    python -m workflow_tools.iam_calls            # the table, and any mismatch (exit 1)
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from workflow_tools import REPO_ROOT

PRODUCT = REPO_ROOT / "lambdas" / "jira_workflow"
PERMISSIONS_DIR = REPO_ROOT / "terraform" / "permissions"

# Annotation name of an AWS client -> the IAM service prefix of its calls.
CLIENT_SERVICES = {
    "DynamoDBClient": "dynamodb",
    "S3Client": "s3",
    "SFNClient": "states",
    "LambdaClient": "lambda",
    "SecretsProvider": "secretsmanager",
}
# Calls whose IAM action is not the method's name in PascalCase.
ACTION_OF_CALL = {
    ("secretsmanager", "get"): "secretsmanager:GetSecretValue",
    ("lambda", "invoke"): "lambda:InvokeFunction",
}
# Calls IAM authorises per operation inside them: a transaction needs the action of each
# write it holds (the claim's transaction puts, updates and condition-checks items).
ACTIONS_OF_CALL = {
    ("dynamodb", "transact_write_items"): (
        "dynamodb:ConditionCheckItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ),
}

# Which resource a call reaches, by the adapter method it is made in (class, method).
RESOURCE_OF_METHOD = {
    ("SecretsReader", "jira_credentials"): "jira_api_secret",
    ("SecretsReader", "webhook_secrets"): "jira_webhook_secret",
    ("SecretsReader", "external_api_token"): "external_api_secret",
    ("RequestsTable", "store_token"): "task_tokens",
    ("RequestsTable", "get_token"): "task_tokens",
    ("RequestsTable", "delete_token"): "task_tokens",
}
# Otherwise, by the adapter class.
# Delivery items share the table and its leading-key condition with the records.
RESOURCE_OF_CLASS = {"RequestsTable": "request_records", "Deliveries": "request_records"}
# Declared resource names -> the resource a call is compared on (None: action only).
COMPARED_RESOURCE = {
    "request_records": "request_records",
    "state_index": "request_records",  # the by_state index holds request records only
    "task_tokens": "task_tokens",
    "jira_api_secret": "jira_api_secret",
    "jira_webhook_secret": "jira_webhook_secret",
    "external_api_secret": "external_api_secret",
}


@dataclass(frozen=True)
class Grant:
    """One action on one resource as compared: resource "" when compared by action only."""

    action: str
    resource: str = ""

    def __str__(self) -> str:
        return f"{self.action} on {self.resource}" if self.resource else self.action


# ---- reading the product ------------------------------------------------------------


@dataclass
class ClassInfo:
    name: str
    module: str
    methods: dict[str, ast.FunctionDef] = field(default_factory=dict)
    attributes: dict[str, ast.expr] = field(default_factory=dict)  # name -> annotation
    parameters: dict[str, str] = field(default_factory=dict)  # attribute -> __init__ param
    is_protocol: bool = False  # a port: its calls run in the adapters that implement it


@dataclass
class ModuleInfo:
    name: str
    tree: ast.Module
    functions: dict[str, ast.FunctionDef] = field(default_factory=dict)
    imports: dict[str, str] = field(default_factory=dict)  # local name -> "module:name"


class Product:
    """Every module of the product package, its classes, functions and imports."""

    def __init__(self, root: Path = PRODUCT) -> None:
        self.modules: dict[str, ModuleInfo] = {}
        self.classes: dict[str, ClassInfo] = {}
        package = root.name
        for path in sorted(root.rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join((package, *parts)).removesuffix(".__init__")
            self._read_module(name, ast.parse(path.read_text(encoding="utf-8")))

    def implementations(self, port: ClassInfo) -> list[ClassInfo]:
        """The adapters that have every method of a port (structural, as Protocol is)."""
        wanted = set(port.methods)
        return [
            info
            for info in self.classes.values()
            if info.module.startswith(f"{PRODUCT.name}.adapters.")
            and not info.is_protocol
            and wanted <= set(info.methods)
        ]

    def _read_module(self, name: str, tree: ast.Module) -> None:
        module = ModuleInfo(name, tree)
        self.modules[name] = module
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    module.imports[alias.asname or alias.name] = f"{node.module}:{alias.name}"
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                module.functions[node.name] = node
            elif isinstance(node, ast.ClassDef):
                self.classes[node.name] = _class_info(node, name)


def _class_info(node: ast.ClassDef, module: str) -> ClassInfo:
    info = ClassInfo(node.name, module, is_protocol="Protocol" in {_name(b) for b in node.bases})
    for item in node.body:
        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            info.attributes[item.target.id] = item.annotation
        if not isinstance(item, ast.FunctionDef):
            continue
        info.methods[item.name] = item
        decorators = {_name(d) for d in item.decorator_list}
        if decorators & {"cached_property", "property"} and item.returns is not None:
            info.attributes[item.name] = item.returns
        if item.name == "__init__":
            _read_constructor(item, info)
    return info


def _read_constructor(init: ast.FunctionDef, info: ClassInfo) -> None:
    arguments = [*init.args.args, *init.args.kwonlyargs]
    annotations = {a.arg: a.annotation for a in arguments if a.annotation is not None}
    for node in ast.walk(init):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            # `self._x = SomeClass(...)`: the attribute is what the constructor builds.
            for target in node.targets:
                if _is_self_attribute(target) and isinstance(target, ast.Attribute):
                    info.attributes[target.attr] = ast.Name(id=_name(node.value.func))
            continue
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Name)):
            continue
        for target in node.targets:
            if _is_self_attribute(target):
                assert isinstance(target, ast.Attribute)
                param = node.value.id
                info.parameters[target.attr] = param
                if param in annotations:
                    info.attributes[target.attr] = annotations[param]


def _is_self_attribute(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    )


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return _name(node.func)
    return ""


# ---- types, as far as the annotations say -------------------------------------------


@dataclass(frozen=True)
class Type:
    kind: str  # "class" | "client" | "callable"
    name: str  # class name, service prefix, or the callable's return class


def annotation_type(node: ast.expr | None, product: Product) -> Type | None:
    """The type an annotation names, if it is one of ours, a client or Callable[[], T]."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return annotation_type(ast.parse(node.value, mode="eval").body, product)
    if isinstance(node, ast.BinOp):  # `T | None`
        return annotation_type(node.left, product) or annotation_type(node.right, product)
    if isinstance(node, ast.Subscript) and _name(node.value) == "Callable":
        elements = node.slice.elts if isinstance(node.slice, ast.Tuple) else []
        returned = annotation_type(elements[-1], product) if elements else None
        return Type("callable", returned.name) if returned and returned.kind == "class" else None
    return _named_type(_name(node), product)


def _named_type(name: str, product: Product) -> Type | None:
    if name in CLIENT_SERVICES:
        return Type("client", CLIENT_SERVICES[name])
    return Type("class", name) if name in product.classes else None


# ---- following the calls --------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Where code runs: its class (None at module level), module, and adapter method."""

    cls: str | None
    module: str
    adapter: tuple[str, str] | None = None


@dataclass
class Finder:
    product: Product
    found: set[Grant] = field(default_factory=set)
    _seen: set[tuple[str | None, str, int, tuple[str, str] | None]] = field(default_factory=set)
    # (class, constructor parameter) -> lambdas handed to it, with the scope they run in
    _bound: dict[tuple[str, str], list[tuple[ast.Lambda, Scope]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for info in self.product.classes.values():
            for method in info.methods.values():
                self._collect_bound_lambdas(method, Scope(info.name, info.module))

    def _collect_bound_lambdas(self, function: ast.FunctionDef, scope: Scope) -> None:
        for node in ast.walk(function):
            if not isinstance(node, ast.Call) or _name(node.func) not in self.product.classes:
                continue
            target = self.product.classes[_name(node.func)]
            init = target.methods.get("__init__")
            if init is None:
                continue
            params = [a.arg for a in init.args.args[1:]]
            for index, argument in enumerate(node.args):
                if isinstance(argument, ast.Lambda) and index < len(params):
                    self._bound.setdefault((target.name, params[index]), []).append(
                        (argument, scope)
                    )
            for keyword in node.keywords:
                if isinstance(keyword.value, ast.Lambda) and keyword.arg:
                    self._bound.setdefault((target.name, keyword.arg), []).append(
                        (keyword.value, scope)
                    )

    def visit_module(self, module_name: str) -> None:
        """Everything a handler module runs or names: its statements and functions."""
        module = self.product.modules[module_name]
        self._visit_body(module.tree, Scope(None, module_name), {})

    def _visit_function(self, function: ast.FunctionDef, scope: Scope) -> None:
        key = (scope.cls, scope.module, id(function), scope.adapter)
        if key in self._seen:
            return
        self._seen.add(key)
        local_types: dict[str, Type] = {}
        for argument in [*function.args.args, *function.args.kwonlyargs]:
            found = annotation_type(argument.annotation, self.product)
            if found is not None:
                local_types[argument.arg] = found
        self._visit_body(function, scope, local_types)

    def _visit_body(self, body: ast.AST, scope: Scope, local_types: dict[str, Type]) -> None:
        for node in _walk_outside_lambdas(body):
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                found = self._type_of(node.value, scope, local_types)
                if found is not None:
                    local_types[node.targets[0].id] = found
        for node in _walk_outside_lambdas(body):
            if isinstance(node, ast.Call):
                self._visit_call(node, scope, local_types)
            elif isinstance(node, ast.Attribute):
                # A method named but not called here runs where it is handed to:
                # `WorkflowSteps.validate` (task_handler's step), `self._restart_stuck`.
                info = self._named_class(node.value, scope, local_types)
                if info is not None and node.attr in info.methods:
                    self._enter(info.name, node.attr, scope)

    def _visit_call(self, call: ast.Call, scope: Scope, local_types: dict[str, Type]) -> None:
        func = call.func
        if isinstance(func, ast.Name):
            target = self._module_function(func.id, scope.module)
            if target is not None:
                module_name, function = target
                self._visit_function(function, Scope(None, module_name, scope.adapter))
            return
        if not isinstance(func, ast.Attribute):
            return
        receiver = self._type_of(func.value, scope, local_types)
        if receiver is None:
            return
        if receiver.kind == "client":
            self._record(receiver.name, func.attr, scope)
        elif receiver.kind == "class":
            info = self.product.classes[receiver.name]
            if info.is_protocol:
                for adapter in self.product.implementations(info):
                    self._enter(adapter.name, func.attr, scope)
            elif func.attr in info.methods:
                self._enter(info.name, func.attr, scope)
            elif func.attr in info.parameters:
                # A port the constructor was handed: follow the lambdas given for it.
                for handed, handed_scope in self._bound.get(
                    (info.name, info.parameters[func.attr]), []
                ):
                    self._visit_body(handed.body, handed_scope, {})

    def _named_class(
        self, node: ast.expr, scope: Scope, local_types: dict[str, Type]
    ) -> ClassInfo | None:
        """The class `node` is (a class name) or is an instance of."""
        if isinstance(node, ast.Name) and node.id in self.product.classes:
            return self.product.classes[node.id]
        found = self._type_of(node, scope, local_types)
        return self.product.classes[found.name] if found and found.kind == "class" else None

    def _enter(self, cls: str, method: str, caller: Scope) -> None:
        info = self.product.classes[cls]
        adapter = caller.adapter
        if (cls, method) in RESOURCE_OF_METHOD or (cls in RESOURCE_OF_CLASS and cls != caller.cls):
            adapter = (cls, method)
        self._visit_function(info.methods[method], Scope(cls, info.module, adapter))

    def _record(self, service: str, method: str, scope: Scope) -> None:
        actions = ACTIONS_OF_CALL.get((service, method)) or (
            ACTION_OF_CALL.get((service, method)) or f"{service}:{_pascal(method)}",
        )
        resource = ""
        if scope.adapter is not None:
            resource = RESOURCE_OF_METHOD.get(scope.adapter) or RESOURCE_OF_CLASS.get(
                scope.adapter[0], ""
            )
        self.found.update(Grant(action, resource) for action in actions)

    def _module_function(self, name: str, module: str) -> tuple[str, ast.FunctionDef] | None:
        info = self.product.modules[module]
        if name in info.functions:
            return module, info.functions[name]
        origin = info.imports.get(name)
        if origin is None:
            return None
        origin_module, origin_name = origin.split(":")
        found = self.product.modules.get(origin_module)
        if found is None or origin_name not in found.functions:
            return None
        return origin_module, found.functions[origin_name]

    def _type_of(self, node: ast.expr, scope: Scope, local_types: dict[str, Type]) -> Type | None:
        if isinstance(node, ast.Name):
            if node.id == "self" and scope.cls is not None:
                return Type("class", scope.cls)
            return local_types.get(node.id)
        if isinstance(node, ast.Attribute):
            owner = self._type_of(node.value, scope, local_types)
            if owner is None or owner.kind != "class":
                return None
            info = self.product.classes[owner.name]
            return annotation_type(info.attributes.get(node.attr), self.product)
        if isinstance(node, ast.Call):
            return self._type_of_call(node, scope, local_types)
        return None

    def _type_of_call(
        self, call: ast.Call, scope: Scope, local_types: dict[str, Type]
    ) -> Type | None:
        func = call.func
        if isinstance(func, ast.Name):
            return self._type_of_named_call(func.id, scope)
        if not isinstance(func, ast.Attribute):
            return None
        owner = self._type_of(func.value, scope, local_types)
        if owner is None or owner.kind != "class":
            return None
        info = self.product.classes[owner.name]
        if func.attr in info.methods:
            return annotation_type(info.methods[func.attr].returns, self.product)
        attribute = annotation_type(info.attributes.get(func.attr), self.product)
        if attribute is not None and attribute.kind == "callable":
            return Type("class", attribute.name)
        return None

    def _type_of_named_call(self, name: str, scope: Scope) -> Type | None:
        """A constructor's class, or what a module function is annotated to return."""
        if name in self.product.classes:
            return Type("class", name)
        target = self._module_function(name, scope.module)
        return annotation_type(target[1].returns, self.product) if target else None


def _walk_outside_lambdas(node: ast.AST) -> Iterator[ast.AST]:
    """`ast.walk`, but a lambda's body runs only where it is called (see Finder._bound)."""
    pending = [node]
    while pending:
        current = pending.pop()
        yield current
        pending.extend(
            child for child in ast.iter_child_nodes(current) if not isinstance(child, ast.Lambda)
        )


def _pascal(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


# ---- the declarations -------------------------------------------------------------------


def declared_functions(directory: Path = PERMISSIONS_DIR) -> dict[str, dict[str, object]]:
    """Each function's declaration file, by function key (the file's name)."""
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(directory.glob("*.json"))
    }


def handler_module(declaration: dict[str, object]) -> str:
    """`jira_workflow.handlers.status.handler` -> `jira_workflow.handlers.status`."""
    return str(declaration["handler"]).rpartition(".")[0]


def declared_grants(declaration: dict[str, object]) -> set[Grant]:
    """What the declaration grants, as compared with the code's calls."""
    grants: set[Grant] = set()
    statements = declaration.get("statements") or []
    assert isinstance(statements, list)
    for statement in statements:
        if statement.get("called_by") == "lambda":
            continue  # the Lambda service acts as the role (an async failure destination)
        for action in statement["actions"]:
            compared = [COMPARED_RESOURCE.get(r) for r in statement["resources"]]
            for resource in compared or [None]:
                grants.add(Grant(action, resource or ""))
    return grants


def calls_of(module_name: str, product: Product | None = None) -> set[Grant]:
    """The AWS calls reachable from a handler module."""
    finder = Finder(product or Product())
    finder.visit_module(module_name)
    return finder.found


@dataclass(frozen=True)
class Mismatch:
    function: str
    unused: tuple[Grant, ...]  # granted, never called
    missing: tuple[Grant, ...]  # called, not granted

    def lines(self) -> Iterator[str]:
        for grant in self.unused:
            yield f"{self.function}: role grants {grant}, which its code never calls"
        for grant in self.missing:
            yield f"{self.function}: code calls {grant}, which its role lacks"


def mismatches(
    product: Product | None = None, declarations: dict[str, dict[str, object]] | None = None
) -> list[Mismatch]:
    """Every function whose declared grants differ from the calls its code makes."""
    product = product or Product()
    found = []
    for function, declaration in (declarations or declared_functions()).items():
        if declaration.get("package", "product") != "product":
            continue  # the dev-only mock package: no AWS calls, checked by its empty list
        calls = calls_of(handler_module(declaration), product)
        granted = declared_grants(declaration)
        unused = tuple(sorted(granted - calls, key=str))
        missing = tuple(sorted(calls - granted, key=str))
        if unused or missing:
            found.append(Mismatch(function, unused, missing))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.parse_args(argv)
    product = Product()
    for function, declaration in declared_functions().items():
        if declaration.get("package", "product") == "product":
            calls = sorted(str(g) for g in calls_of(handler_module(declaration), product))
            print(f"{function}: {', '.join(calls) or '(no AWS calls)'}")
    problems = [line for m in mismatches(product) for line in m.lines()]
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
