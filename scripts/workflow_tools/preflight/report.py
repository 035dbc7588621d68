"""Run the registry over a plan and print the pass/fail table."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from workflow_tools.preflight.registry import (
    REGISTRY,
    Context,
    Outcome,
    Rule,
    Status,
    ordered_rule_names,
)


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    outcome: Outcome


def run_rules(ctx: Context, names: Iterable[str] | None = None) -> list[RuleResult]:
    selected = list(names) if names else ordered_rule_names()
    results = []
    for name in selected:
        rule = REGISTRY[name]
        try:
            outcome = rule.check(ctx)
        except Exception as exc:  # one broken rule must not hide the others
            outcome = Outcome(Status.FAIL, f"rule crashed: {type(exc).__name__}: {exc}")
        results.append(RuleResult(rule, outcome))
    return results


def failures(results: list[RuleResult]) -> list[RuleResult]:
    return [r for r in results if r.outcome.status is Status.FAIL]


def render_table(results: list[RuleResult], environment: str) -> str:
    rows = [("RULE", "CHECKLIST ITEM", "RESULT", "DETAIL")]
    rows += [(r.rule.name, r.rule.item, r.outcome.status.value, r.outcome.detail) for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3]
        for row in rows
    ]
    counts = {s: sum(r.outcome.status is s for r in results) for s in Status}
    summary = (
        f"preflight {environment}: {counts[Status.PASS]} passed, "
        f"{counts[Status.FAIL]} failed, {counts[Status.SKIP]} skipped"
    )
    if counts[Status.WAIVED]:
        summary += f", {counts[Status.WAIVED]} waived"
    return "\n".join([*lines, "", summary])


def render_json(results: list[RuleResult], environment: str) -> str:
    return json.dumps(
        {
            "environment": environment,
            "results": [
                {
                    "rule": r.rule.name,
                    "section": r.rule.section,
                    "item": r.rule.item,
                    "result": r.outcome.status.value,
                    "detail": r.outcome.detail,
                }
                for r in results
            ],
        },
        indent=2,
    )
