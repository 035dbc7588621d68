"""Counts, latency percentiles and the verdict of a load run."""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest sample with `fraction` of samples at or below."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Latencies:
    """Every HTTP call's wall time, by what it was, safe to add to from many threads."""

    samples: dict[str, list[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, kind: str, seconds: float) -> None:
        with self._lock:
            self.samples.setdefault(kind, []).append(seconds)

    def summary(self, kind: str) -> dict[str, float]:
        values = self.samples.get(kind, [])
        return {
            "count": len(values),
            "p50_ms": round(percentile(values, 0.50) * 1000, 1),
            "p95_ms": round(percentile(values, 0.95) * 1000, 1),
            "p99_ms": round(percentile(values, 0.99) * 1000, 1),
            "max_ms": round(max(values, default=0.0) * 1000, 1),
        }


@dataclass
class PhaseResult:
    """One scenario's outcome: its counts, the problems found, and its timing."""

    name: str
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    requests: int = 0

    @property
    def passed(self) -> bool:
        return not self.problems

    def problem(self, message: str) -> None:
        self.problems.append(message)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "counts": dict(self.counts),
            "problems": self.problems[:50],
            "seconds": round(self.seconds, 1),
            "requests": self.requests,
            "throughput_rps": round(self.requests / self.seconds, 1) if self.seconds else 0.0,
        }


def render(phases: list[PhaseResult], latencies: Latencies) -> str:
    lines = []
    for phase in phases:
        verdict = "PASS" if phase.passed else "FAIL"
        rate = phase.requests / phase.seconds if phase.seconds else 0.0
        lines.append(
            f"{verdict}  {phase.name}: {phase.requests} requests in {phase.seconds:.1f}s "
            f"({rate:.1f} req/s)"
        )
        for name, value in sorted(phase.counts.items()):
            lines.append(f"        {name:<28} {value}")
        for message in phase.problems[:10]:
            lines.append(f"        ! {message}")
        if len(phase.problems) > 10:
            lines.append(f"        ! ... and {len(phase.problems) - 10} more")
    lines.append("latency (ms)                  count     p50     p95     p99     max")
    for kind in sorted(latencies.samples):
        s = latencies.summary(kind)
        lines.append(
            f"        {kind:<20} {s['count']:>7} {s['p50_ms']:>7} {s['p95_ms']:>7} "
            f"{s['p99_ms']:>7} {s['max_ms']:>7}"
        )
    return "\n".join(lines)


def as_json(phases: list[PhaseResult], latencies: Latencies) -> str:
    return json.dumps(
        {
            "passed": all(p.passed for p in phases),
            "phases": [p.as_dict() for p in phases],
            "latency": {kind: latencies.summary(kind) for kind in sorted(latencies.samples)},
        },
        indent=2,
    )
