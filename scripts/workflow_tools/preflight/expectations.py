"""What each environment must show in its plan: prod is the strictest, local the loosest."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Expectations:
    environment: str
    min_log_retention_days: int
    require_xray: bool = True
    require_reserved_concurrency: bool = False
    require_remote_backend: bool = True
    require_pitr: bool = True
    require_bucket_access_logging: bool = False
    require_production_endpoints: bool = False  # no mock APIs, https endpoints only
    require_budget: bool = False
    require_insights_queries: bool = True
    require_provisioned_billing: bool = False
    # prod's own bar: no waiver-less gaps (WAF, alarm subscribers, execution logs), destroy
    # protection, no DEBUG logs, sane alarm thresholds and throttling, Lambda Insights
    production_values: bool = False
    # cost allocation groups by Project/Environment; Stack is what the budget filters on
    required_tags: tuple[str, ...] = ("Project", "Environment", "Stack", "ManagedBy")


EXPECTATIONS: dict[str, Expectations] = {
    # The emulator runs the same Terraform; it only relaxes what it cannot host or need.
    "local": Expectations(
        environment="local",
        min_log_retention_days=1,
        require_xray=False,
        require_remote_backend=False,
        require_pitr=False,
        require_insights_queries=False,
    ),
    "dev": Expectations(environment="dev", min_log_retention_days=7),
    "staging": Expectations(
        environment="staging",
        min_log_retention_days=30,
        require_production_endpoints=True,
    ),
    "prod": Expectations(
        environment="prod",
        min_log_retention_days=90,
        require_reserved_concurrency=True,
        require_bucket_access_logging=True,
        require_production_endpoints=True,
        require_budget=True,
        require_provisioned_billing=True,
        production_values=True,
    ),
}


def expectations_for(environment: str) -> Expectations:
    try:
        return EXPECTATIONS[environment]
    except KeyError:
        known = ", ".join(EXPECTATIONS)
        raise ValueError(f"unknown environment {environment!r}; expected one of {known}") from None
