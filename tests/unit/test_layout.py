"""The house's layout holds: three wings, imports one way, no path hacks, all type-checked.

Wings: the product (`lambdas/`), the local cloud (`scripts/local_cloud`) and the tools
(`scripts/workflow_tools`). Imports run tools -> local cloud -> product, never back.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE_ROOTS = (ROOT / "lambdas", ROOT / "scripts")
# What each wing may import of the others (its own package always).
MAY_IMPORT = {
    "jira_workflow": set[str](),
    "mock_apis": {"jira_workflow"},
    "local_cloud": {"jira_workflow", "mock_apis"},
    "workflow_tools": {"jira_workflow", "mock_apis", "local_cloud"},
}


def packages() -> list[Path]:
    return sorted(p.parent for root in SOURCE_ROOTS for p in root.glob("*/__init__.py"))


def python_files() -> Iterator[Path]:
    for folder in (*SOURCE_ROOTS, ROOT / "tests"):
        yield from folder.rglob("*.py")


def first_party_imports(path: Path) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module.split(".")[0]


def test_every_package_is_a_known_wing() -> None:
    assert {p.name for p in packages()} <= set(MAY_IMPORT)


@pytest.mark.parametrize("package", packages(), ids=lambda p: p.name)
def test_imports_run_tools_to_local_cloud_to_product_never_back(package: Path) -> None:
    forbidden = set(MAY_IMPORT) - MAY_IMPORT[package.name] - {package.name}
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in package.rglob("*.py")
        for line, name in first_party_imports(path)
        if name in forbidden
    ]
    assert not found


def test_the_local_cloud_never_runs_a_tool() -> None:
    # Not by import, and not as a child process either (`python -m workflow_tools...`):
    # the tools build what the local cloud runs, never the other way round.
    calls = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "scripts" / "local_cloud").rglob("*.py")
        if '"workflow_tools' in path.read_text(encoding="utf-8")
    ]
    assert not calls


def test_no_code_edits_the_import_path() -> None:
    # Packages are installed (make deps: pip install --editable .); a sys.path edit hides
    # a missing declaration until someone runs the code another way.
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in python_files()
        if path.name != "test_layout.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "sys.path" in line
    ]
    assert not found


def test_no_module_sits_beside_a_package_of_the_same_name() -> None:
    clashes = [
        str(module.relative_to(ROOT))
        for folder in (*SOURCE_ROOTS, *packages())
        for module in folder.rglob("*.py")
        if (module.parent / module.stem / "__init__.py").exists()
    ]
    assert not clashes


def test_mypy_checks_every_package_and_the_tests() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert config["strict"] is True
    assert set(config["packages"]) >= {p.name for p in packages()} | {"tests"}


def test_every_package_is_installed_by_the_build_config() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    where = config["tool"]["setuptools"]["packages"]["find"]["where"]
    assert {ROOT / w for w in where} == set(SOURCE_ROOTS)


def test_test_modules_have_unique_names() -> None:
    # Test folders are not packages: two test_x.py in different tiers clash when one pytest
    # run collects every tier.
    names = [p.name for p in (ROOT / "tests").rglob("test_*.py")]
    assert sorted({n for n in names if names.count(n) > 1}) == []
