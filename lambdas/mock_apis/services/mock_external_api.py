"""The mock external API deployed with `enable_mock_apis` (dev, local): enrichment and
fulfilment with switchable faults, so a workspace runs end to end with no outside system.

Fault plans live in the function instance's memory (set at cold start from MOCK_FAULTS, or
at run time through `PUT /mock/faults`): good enough for a dev workspace and the local
emulator, where one process serves every call.
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

ENDPOINTS = ("enrich", "fulfil")
FAULT_MODES = ("500", "503", "429", "400", "timeout", "slow")
_RISK_LABEL = re.compile(r"^risk-(\d{1,3})$")


@dataclass
class Fault:
    mode: str
    rate: float = 1.0  # fraction of calls hit
    remaining: int | None = None  # stop after this many hits (None: never)
    seconds: float = 15.0  # how long "timeout" and "slow" take

    def describe(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "rate": self.rate,
            "remaining": self.remaining,
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class MockAnswer:
    status_code: int
    body: dict[str, Any]


class FaultPlanError(ValueError):
    """A fault plan names an unknown endpoint or mode, or a bad number."""


def parse_fault_plan(spec: str) -> dict[str, Fault]:
    """`enrich=503:0.2,fulfil=timeout:1:2` → endpoint=mode[:rate[:remaining]]."""
    plan: dict[str, Fault] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        endpoint, _, rest = part.partition("=")
        mode, *numbers = rest.split(":")
        plan[endpoint] = fault_from(
            endpoint, {"mode": mode, **dict(zip(("rate", "remaining"), numbers, strict=False))}
        )
    return plan


def fault_from(endpoint: str, spec: dict[str, Any]) -> Fault:
    if endpoint not in ENDPOINTS:
        raise FaultPlanError(f"endpoint must be one of {', '.join(ENDPOINTS)}")
    mode = str(spec.get("mode", ""))
    if mode not in FAULT_MODES:
        raise FaultPlanError(f"mode must be one of {', '.join(FAULT_MODES)}")
    try:
        rate = float(spec.get("rate", 1.0))
        remaining = None if spec.get("remaining") in (None, "") else int(spec["remaining"])
        seconds = float(spec.get("seconds", 15.0))
    except (TypeError, ValueError):
        raise FaultPlanError("rate, remaining and seconds must be numbers") from None
    if not 0.0 <= rate <= 1.0 or (remaining is not None and remaining < 0) or seconds < 0:
        raise FaultPlanError("rate must be within 0..1, remaining and seconds not negative")
    return Fault(mode=mode, rate=rate, remaining=remaining, seconds=seconds)


class MockExternalApi:
    def __init__(self, faults: dict[str, Fault], sleep: Any = time.sleep) -> None:
        self._faults = faults
        self._fulfilments: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._sleep = sleep
        self.calls: dict[str, int] = dict.fromkeys(ENDPOINTS, 0)

    def set_faults(self, faults: dict[str, Fault]) -> None:
        with self._lock:
            self._faults = faults

    def faults(self) -> dict[str, Any]:
        with self._lock:
            return {name: fault.describe() for name, fault in self._faults.items()}

    def enrich(self, request: dict[str, Any]) -> MockAnswer:
        failure = self._inject("enrich")
        if failure:
            return failure
        issue_key = str(request.get("issueKey") or "")
        if not issue_key:
            return MockAnswer(400, {"message": "issueKey is required"})
        return MockAnswer(
            200,
            {
                "issueKey": issue_key,
                "riskScore": risk_score(request),
                "category": "access"
                if "access" in str(request.get("summary", "")).lower()
                else "general",
                "owner": "platform-team",
            },
        )

    def fulfil(self, request: dict[str, Any], idempotency_key: str) -> MockAnswer:
        if not idempotency_key:
            return MockAnswer(400, {"message": "Idempotency-Key header is required"})
        failure = self._inject("fulfil")
        if failure:
            return failure
        with self._lock:
            existing = self._fulfilments.get(idempotency_key)
            replayed = existing is not None
            if existing is None:
                digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:10].upper()
                existing = {
                    "fulfilmentId": f"FUL-{digest}",
                    "status": "completed",
                    "issueKey": request.get("issueKey"),
                }
                self._fulfilments[idempotency_key] = existing
        return MockAnswer(200, {**existing, "replayed": replayed})

    def _inject(self, endpoint: str) -> MockAnswer | None:
        with self._lock:
            self.calls[endpoint] += 1
            fault = self._faults.get(endpoint)
            if fault is None or fault.remaining == 0 or random.random() >= fault.rate:  # noqa: S311 - test traffic
                return None
            if fault.remaining is not None:
                fault.remaining -= 1
        if fault.mode in ("timeout", "slow"):
            self._sleep(fault.seconds)
            return None if fault.mode == "slow" else MockAnswer(504, {"message": "timed out"})
        return MockAnswer(int(fault.mode), {"message": f"injected {fault.mode}"})


def risk_score(request: dict[str, Any]) -> int:
    """A `risk-<n>` label sets the score (demos, tests); otherwise a stable 21..100 from the
    summary, so an unlabelled request always waits for a human in dev and local."""
    for label in request.get("labels") or ():
        match = _RISK_LABEL.match(str(label))
        if match:
            return min(100, int(match.group(1)))
    digest = hashlib.sha256(str(request.get("summary", "")).encode()).digest()
    return 21 + digest[0] % 80  # above the dev/local auto-approval limit (20)
