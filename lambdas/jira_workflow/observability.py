"""Powertools singletons: one Logger and Metrics for every function.

Tracing is Lambda's and Step Functions' active tracing (Terraform's `enable_xray`); no
in-code tracer, so no X-Ray SDK in the package (in maintenance since 2026-02-25). The
Logger still stamps every line with `xray_trace_id`, read from `_X_AMZN_TRACE_ID`.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

# Defaults, so the names are right even where the environment does not set them
# (POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE still win when it does).
SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "jira-workflow")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "JiraWorkflow")

logger = Logger(service=SERVICE)
metrics = Metrics(service=SERVICE, namespace=NAMESPACE)

__all__ = ["MetricUnit", "logger", "metrics"]


def count(metric: str, value: int = 1) -> None:
    """Add to one of the workflow's business counters (see docs/design.md)."""
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=value)
