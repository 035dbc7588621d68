"""AWS cost per 1,000 requests from per-request counts, at public on-demand prices.

Prices: us-east-1 list prices as published on the AWS pricing pages (checked 2026-11;
eu-west-1 is within a few per cent). Free tiers are left out on purpose. Each figure
names its source page in its comment; check before quoting.
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
# DynamoDB on-demand since the November 2024 price cut: $0.625 per 1M write request units
# (one per 1 KB written; a transactional write costs two) and $0.125 per 1M read request
# units (one per strongly consistent 4 KB read; an eventually consistent read costs half).
DYNAMODB_PER_WRITE_UNIT = 0.625 / 1_000_000
DYNAMODB_PER_READ_UNIT = 0.125 / 1_000_000
# S3 Standard requests: PUT, COPY, POST, LIST $0.005 per 1,000; GET, HEAD and the rest
# $0.0004 per 1,000.
S3_PER_WRITE_REQUEST = 0.005 / 1_000
S3_PER_READ_REQUEST = 0.0004 / 1_000


@dataclass(frozen=True)
class PathCounts:
    """What one request on one path costs in billable units."""

    path: str
    state_transitions: int
    lambda_invocations: int
    lambda_gb_seconds: float
    api_requests: int
    dynamodb_writes: float
    dynamodb_reads: float = 0.0
    s3_writes: int = 0
    s3_reads: int = 0

    def cost_per_thousand(self) -> dict[str, float]:
        parts = {
            "step_functions": self.state_transitions * SFN_PER_TRANSITION,
            "lambda": self.lambda_invocations * LAMBDA_PER_INVOCATION
            + self.lambda_gb_seconds * LAMBDA_PER_GB_SECOND,
            "api_gateway": self.api_requests * API_PER_REQUEST,
            "dynamodb": self.dynamodb_writes * DYNAMODB_PER_WRITE_UNIT
            + self.dynamodb_reads * DYNAMODB_PER_READ_UNIT,
            "s3_requests": self.s3_writes * S3_PER_WRITE_REQUEST
            + self.s3_reads * S3_PER_READ_REQUEST,
        }
        scaled = {name: value * 1_000 for name, value in parts.items()}
        scaled["total"] = sum(scaled.values())
        return scaled
