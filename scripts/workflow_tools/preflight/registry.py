"""The rule registry: each rule is a small function tied to one checklist item by its text."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from workflow_tools.preflight.expectations import Expectations
from workflow_tools.preflight.plan import Plan


class Status(StrEnum):
    PASS = "PASS"  # noqa: S105 - a verdict, not a password
    FAIL = "FAIL"
    SKIP = "SKIP"  # not applicable to this environment or configuration; says why
    WAIVED = "WAIVED"  # would fail, but the tfvars waive it with a reason (printed)


@dataclass(frozen=True)
class Outcome:
    status: Status
    detail: str


@dataclass(frozen=True)
class Context:
    plan: Plan
    expect: Expectations
    repo_root: Path


Check = Callable[[Context], Outcome]


@dataclass(frozen=True)
class Rule:
    name: str
    section: str  # the users' checklist section the item sits in
    item: str  # the users' checklist item, verbatim
    check: Check


REGISTRY: dict[str, Rule] = {}

# The users' checklist order, so the table reads like DEPLOYMENT_CHECKLIST.md.
SECTION_ORDER = (
    "Pre-Deployment / Infrastructure Review",
    "Pre-Deployment / Security Hardening",
    "Pre-Deployment / Monitoring & Alerting",
    "Pre-Deployment / Backup & Recovery",
    "Deployment / Terraform",
    "Deployment / Lambda Functions",
    "Deployment / Step Functions",
    "Deployment / API Gateway",
    "Compliance & Governance / Compliance",
    "Compliance & Governance / Cost Management",
    "Production Configuration / variables.tf Updates",
    "Production Configuration / Secrets Manager",
    "Production Configuration / S3 Bucket",
)


def ordered_rule_names() -> list[str]:
    return sorted(REGISTRY, key=lambda n: SECTION_ORDER.index(REGISTRY[n].section))


def rule(name: str, section: str, item: str) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        if name in REGISTRY:
            raise ValueError(f"rule {name} registered twice")
        REGISTRY[name] = Rule(name=name, section=section, item=item, check=check)
        return check

    return register


def passed(detail: str) -> Outcome:
    return Outcome(Status.PASS, detail)


def skipped(detail: str) -> Outcome:
    return Outcome(Status.SKIP, detail)


def failed(detail: str) -> Outcome:
    return Outcome(Status.FAIL, detail)


WAIVERS_VARIABLE = "preflight_waivers"


def waiver(ctx: Context, rule_name: str) -> str | None:
    """The reason the tfvars give for waiving `rule_name` (preflight_waivers), if any."""
    waivers = ctx.plan.variable(WAIVERS_VARIABLE) or {}
    reason = waivers.get(rule_name) if isinstance(waivers, dict) else None
    return reason.strip() if isinstance(reason, str) and reason.strip() else None


def failed_unless_waived(ctx: Context, rule_name: str, outcome: Outcome) -> Outcome:
    """A FAIL becomes WAIVED when the tfvars carry a reason for this rule; the reason is shown."""
    reason = waiver(ctx, rule_name)
    if outcome.status is not Status.FAIL or reason is None:
        return outcome
    return Outcome(Status.WAIVED, f"waived in tfvars: {reason} (finding: {outcome.detail})")


def verdict(problems: Iterable[str], ok_detail: str, limit: int = 3) -> Outcome:
    """FAIL naming the first few problems, else PASS with `ok_detail`."""
    found = list(problems)
    if not found:
        return passed(ok_detail)
    shown = "; ".join(found[:limit])
    more = f" (and {len(found) - limit} more)" if len(found) > limit else ""
    return failed(shown + more)
