"""Powertools singletons: one Logger, Tracer and Metrics for every function."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
tracer = Tracer()
metrics = Metrics()

__all__ = ["MetricUnit", "logger", "metrics", "tracer"]


def count(metric: str, value: int = 1) -> None:
    """Add to one of the workflow's business counters (see docs/design.md)."""
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=value)
