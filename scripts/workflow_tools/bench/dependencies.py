"""What each dependency costs at cold start, beside `import boto3` (what the runtime ships).

Each probe runs alone in a fresh Python 3.13 with Lambda's import path (the package built
for the runtime, then the runtime's SDK; `coldstart.run`), timing its import and first use
from inside the interpreter, so interpreter start-up is on neither side. Probes overlap
(event_handler imports Logger too): each row is what that import costs on its own.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workflow_tools import lambda_python
from workflow_tools.bench import coldstart

BASELINE = "boto3"
DECISION = "{'issueKey': 'OPS-1', 'decision': 'approved', 'actor': 'a'}"
PROBES: tuple[tuple[str, str], ...] = (
    (BASELINE, "import boto3\nboto3.session.Session()"),
    ("Powertools Logger", "from aws_lambda_powertools import Logger\nLogger(service='b')"),
    (
        "Powertools Metrics",
        "from aws_lambda_powertools import Metrics\nMetrics(namespace='b', service='b')",
    ),
    (
        "Powertools event_handler (REST resolver; no longer in the API functions)",
        "from aws_lambda_powertools.event_handler import APIGatewayRestResolver\n"
        "APIGatewayRestResolver()",
    ),
    (
        "one-route adapter, handlers/http.py (with our Logger and Metrics)",
        "import jira_workflow.handlers.http",
    ),
    (
        "hand-written checks (models/reader.py): the callback's body, one validation",
        "from jira_workflow.models.api import DecisionBody\n"
        f"DecisionBody.from_document({DECISION})",
    ),
    ("requests", "import requests"),
)
PROBE = (
    "import json, sys, time\n"
    "started = time.perf_counter()\n"
    "exec(sys.argv[1])\n"
    "print(json.dumps({'ms': (time.perf_counter() - started) * 1000}))\n"
)


@dataclass(frozen=True)
class DependencyCost:
    name: str
    ms: float
    baseline_ms: float

    @property
    def ratio(self) -> float:
        return self.ms / self.baseline_ms


def measure(
    zip_path: Path, work_dir: Path, runs: int, progress: Callable[[str], None]
) -> list[DependencyCost]:
    interpreter = lambda_python.runtime_python()
    task_root = coldstart.extract(zip_path, work_dir / "deps-task")
    sdk = coldstart.runtime_sdk(interpreter, work_dir / "deps-sdk")
    env = {**coldstart.lambda_environment(task_root), "PYTHONPATH": f"{task_root}:{sdk}"}
    progress(f"  import cost of each dependency ({runs} runs each, interleaved)")
    samples: dict[str, list[float]] = {name: [] for name, _ in PROBES}
    for _ in range(runs):
        for name, code in PROBES:
            samples[name].append(coldstart.run(interpreter, PROBE, [code], env)["ms"])
    baseline = statistics.median(samples[BASELINE])
    return [
        DependencyCost(name, round(statistics.median(samples[name]), 1), round(baseline, 1))
        for name, _ in PROBES
        if name != BASELINE
    ]
