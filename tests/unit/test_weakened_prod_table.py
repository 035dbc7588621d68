"""DEPLOYMENT_CHECKLIST.md's weakness -> rule table and tests/fixtures/weakened_prod agree.

The planning itself (each file must fail its rule in the emulator) is
tests/terraform/test_weakened_prod.py; this checks in milliseconds that the table, the
files' declared expectations and the rule registry name the same things.
"""

from __future__ import annotations

import re
from pathlib import Path

from workflow_tools.preflight import rules as _rules  # noqa: F401 - registers the rules
from workflow_tools.preflight.registry import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
WEAKENED = ROOT / "tests" / "fixtures" / "weakened_prod"
ROW = re.compile(r"^\| `(?P<file>[a-z0-9_]+)` \|[^|]*\| `(?:preflight:)?(?P<check>[a-z0-9_.]+)`")
EXPECTATION = re.compile(r"^# (fails|refused|waived): (\S+)")


def table() -> dict[str, str]:
    rows = (ROW.match(line) for line in (ROOT / "DEPLOYMENT_CHECKLIST.md").read_text().splitlines())
    return {m.group("file"): m.group("check") for m in rows if m}


def declared() -> dict[str, tuple[str, str]]:
    found = {}
    for tfvars in sorted(WEAKENED.glob("*.tfvars")):
        match = EXPECTATION.match(tfvars.read_text().splitlines()[0])
        assert match, f"{tfvars.name}: first line must be '# fails|refused|waived: <name>'"
        found[tfvars.stem] = (match.group(1), match.group(2))
    return found


def test_table_lists_every_weakened_file_with_its_check() -> None:
    assert table() == {stem: check for stem, (_, check) in declared().items()}


def test_every_named_rule_is_registered_and_every_refusal_a_variable() -> None:
    for stem, (kind, check) in declared().items():
        if kind == "refused":
            assert check.startswith("var."), stem
            variables = (ROOT / "terraform" / "variables.tf").read_text()
            assert f'variable "{check.removeprefix("var.")}"' in variables, stem
        else:
            assert check in REGISTRY, stem


def test_each_file_weakens_one_variable_only() -> None:
    assignments = re.compile(r"^([a-z0-9_]+)\s*=", re.MULTILINE)
    for tfvars in sorted(WEAKENED.glob("*.tfvars")):
        names = set(assignments.findall(tfvars.read_text())) - {"preflight_waivers"}
        assert len(names) == 1, f"{tfvars.name} sets {sorted(names)}"
