"""DEPLOYMENT_CHECKLIST.md and the preflight registry name the same rules, and the
checklist covers every item of the users' checklist section by section."""

from __future__ import annotations

import re
from pathlib import Path

from workflow_tools.preflight import rules as _rules  # noqa: F401 - registers the rules
from workflow_tools.preflight.registry import REGISTRY, SECTION_ORDER

ROOT = Path(__file__).resolve().parents[2]
CHECKLIST = ROOT / "DEPLOYMENT_CHECKLIST.md"
CITATION = re.compile(r"`preflight:([a-z0-9_]+)`")


def cited_rules(text: str) -> set[str]:
    return set(CITATION.findall(text))


def test_every_rule_cited_in_the_checklist_exists() -> None:
    unknown = cited_rules(CHECKLIST.read_text()) - set(REGISTRY)
    assert not unknown, f"DEPLOYMENT_CHECKLIST.md cites rules the registry lacks: {unknown}"


def test_every_registered_rule_is_cited_in_the_checklist() -> None:
    uncited = set(REGISTRY) - cited_rules(CHECKLIST.read_text())
    assert not uncited, f"rules not cited in DEPLOYMENT_CHECKLIST.md: {uncited}"


def test_citation_parser_sees_a_missing_rule() -> None:
    assert cited_rules("see `preflight:no_such_rule` and `preflight:s3_versioning`") == {
        "no_such_rule",
        "s3_versioning",
    }


def test_every_rule_belongs_to_a_known_section() -> None:
    assert {rule.section for rule in REGISTRY.values()} <= set(SECTION_ORDER)


def test_checklist_has_every_section_of_the_users_checklist() -> None:
    headings = {
        line.lstrip("#").strip()
        for line in CHECKLIST.read_text().splitlines()
        if line.startswith("#")
    }
    users = [
        "Pre-Deployment",
        "Infrastructure Review",
        "Security Hardening",
        "Monitoring & Alerting",
        "Backup & Recovery",
        "Deployment",
        "Terraform",
        "Lambda Functions",
        "Step Functions",
        "API Gateway",
        "Testing",
        "Pre-Production Testing",
        "Performance Testing",
        "Monitoring Post-Deployment",
        "Immediate Monitoring (First 24 Hours)",
        "Ongoing Monitoring",
        "Documentation",
        "Production Documentation",
        "Operational Procedures",
        "Compliance & Governance",
        "Compliance",
        "Cost Management",
        "Go-Live",
        "Final Checks",
        "Communication",
        "Post-Deployment",
        "Week 1",
        "Month 1",
        "Rollback Plan",
        "Production Configuration Checklist",
        "variables.tf Updates",
        "Secrets Manager",
        "S3 Bucket",
        "Sign-Off",
        "Approvals Required",
        "Deployment Authorization",
    ]
    assert [h for h in users if h not in headings] == []


def test_checklist_items_per_section_match_the_users_counts() -> None:
    """Each section has at least as many items as the users' checklist has there."""
    counts: dict[str, int] = {}
    section = ""
    for line in CHECKLIST.read_text().splitlines():
        if line.startswith("### ") or line.startswith("## "):
            section = line.lstrip("#").strip()
        elif re.match(r"\s*(- |\d+\. )\[ \]", line):
            counts[section] = counts.get(section, 0) + 1
    users = {
        "Infrastructure Review": 7,
        "Security Hardening": 10,
        "Monitoring & Alerting": 11,
        "Backup & Recovery": 5,
        "Terraform": 6,
        "Lambda Functions": 7,
        "Step Functions": 5,
        "API Gateway": 7,
        "Pre-Production Testing": 8,
        "Performance Testing": 7,
        "Immediate Monitoring (First 24 Hours)": 7,
        "Ongoing Monitoring": 6,
        "Production Documentation": 8,
        "Operational Procedures": 6,
        "Compliance": 6,
        "Cost Management": 6,
        "Final Checks": 7,
        "Communication": 5,
        "Week 1": 5,
        "Month 1": 5,
        "Rollback Plan": 6,
        "Secrets Manager": 4,
        "S3 Bucket": 4,
        "Approvals Required": 5,
    }
    short = {s: (counts.get(s, 0), n) for s, n in users.items() if counts.get(s, 0) < n}
    assert short == {}, f"sections with fewer items than the users' checklist: {short}"
