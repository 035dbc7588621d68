"""domain/ is plain Python: no pydantic, no AWS SDK, no HTTP, no outer layer of the package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "lambdas" / "jira_workflow" / "domain"
PACKAGE = "jira_workflow.domain"  # what relative imports inside domain/ start from
FORBIDDEN = (
    "pydantic",
    "boto3",
    "botocore",
    "requests",
    "jira_workflow.models",
    "jira_workflow.adapters",
    "jira_workflow.services",
)


def imported_modules(source: str) -> set[str]:
    """Every module a source file imports, at any depth (TYPE_CHECKING blocks included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node.module or "", node.level)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _absolute(module: str, level: int) -> str:
    if level == 0:
        return module
    base = PACKAGE.rsplit(".", level - 1)[0] if level > 1 else PACKAGE
    return f"{base}.{module}" if module else base


def forbidden_imports(source: str) -> list[str]:
    return sorted(
        name
        for name in imported_modules(source)
        if any(name == banned or name.startswith(f"{banned}.") for banned in FORBIDDEN)
    )


@pytest.mark.parametrize("path", sorted(DOMAIN.glob("*.py")), ids=lambda path: path.name)
def test_domain_module_imports_no_framework_and_no_outer_layer(path: Path) -> None:
    assert forbidden_imports(path.read_text()) == []


@pytest.mark.parametrize(
    "line",
    [
        "import pydantic",
        "from pydantic import BaseModel",
        "import boto3.session",
        "from botocore.exceptions import ClientError",
        "import requests",
        "from jira_workflow.models.settings import TriggerSettings",
        "from jira_workflow import adapters",
        "def f():\n    from jira_workflow.services import intake",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pydantic",
        "from ..models.settings import TriggerSettings",
        "from .. import adapters",
    ],
)
def test_the_check_sees_every_form_of_forbidden_import(line: str) -> None:
    assert forbidden_imports(line) != []


def test_the_check_lets_domain_and_standard_library_imports_pass() -> None:
    source = (
        "import hashlib\n"
        "from dataclasses import dataclass\n"
        "from jira_workflow.domain import requests\n"
        "from .errors import BadSignature\n"
    )

    assert forbidden_imports(source) == []
