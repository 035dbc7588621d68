"""AWS cost per 1,000 requests from per-request counts, at public on-demand prices.

Prices: us-east-1 / eu-west-1 list prices as published on the AWS pricing pages (2025);
they change rarely, but check before quoting. Free tiers are left out on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass

# Step Functions Standard workflows: $0.025 per 1,000 state transitions.
SFN_PER_TRANSITION = 0.025 / 1_000
# Lambda on arm64 (Graviton): $0.0000133334 per GB-second of duration ...
LAMBDA_PER_GB_SECOND = 0.0000133334
# ... plus $0.20 per 1M requests (invocations).
LAMBDA_PER_INVOCATION = 0.20 / 1_000_000
# API Gateway REST APIs: $3.50 per 1M requests (first 333M a month).
API_PER_REQUEST = 3.50 / 1_000_000
# DynamoDB on-demand: $1.25 per 1M write request units (one unit per 1 KB written).
DYNAMODB_PER_WRITE_UNIT = 1.25 / 1_000_000
# Lambda bills duration in 1 ms steps; none of ours come near a second.
LAMBDA_BILLING_STEP_MS = 1


@dataclass(frozen=True)
class PathCounts:
    """What one request on one path costs in billable units."""

    path: str
    state_transitions: int
    lambda_invocations: int
    lambda_gb_seconds: float
    api_requests: int
    dynamodb_writes: int

    def cost_per_thousand(self) -> dict[str, float]:
        parts = {
            "step_functions": self.state_transitions * SFN_PER_TRANSITION,
            "lambda": self.lambda_invocations * LAMBDA_PER_INVOCATION
            + self.lambda_gb_seconds * LAMBDA_PER_GB_SECOND,
            "api_gateway": self.api_requests * API_PER_REQUEST,
            "dynamodb_writes": self.dynamodb_writes * DYNAMODB_PER_WRITE_UNIT,
        }
        scaled = {name: value * 1_000 for name, value in parts.items()}
        scaled["total"] = sum(scaled.values())
        return scaled
