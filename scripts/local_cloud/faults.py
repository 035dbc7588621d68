"""Failure injection the load and resilience tests switch on at run time."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field


@dataclass
class FaultPlan:
    """Which AWS calls the emulator fails on purpose, and how often (0.0 to 1.0)."""

    start_execution_throttle_rate: float = 0.0
    _random: random.Random = field(default_factory=random.Random, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def update(self, *, start_execution_throttle_rate: float | None = None) -> None:
        if start_execution_throttle_rate is not None:
            if not 0.0 <= start_execution_throttle_rate <= 1.0:
                raise ValueError("start_execution_throttle_rate must be within 0.0 and 1.0")
            self.start_execution_throttle_rate = start_execution_throttle_rate

    def should_throttle_start_execution(self) -> bool:
        with self._lock:
            return self._random.random() < self.start_execution_throttle_rate

    def as_dict(self) -> dict[str, float]:
        return {"start_execution_throttle_rate": self.start_execution_throttle_rate}
