"""Cold import time of each handler module against `import boto3` alone.

Each sample is a fresh interpreter importing one module from the extracted host package,
with the environment Lambda gives a function (LAMBDA_TASK_ROOT and friends; X-Ray reads
them to choose its Lambda sampler). Two variants: as deployed (the zip carries bytecode
compiled at build time; the interpreter may not write any, as /var/task is read-only) and
sources only, what a package without bytecode would cost: every module compiled at import.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PROBE = (
    "import time, sys\n"
    "started = time.perf_counter()\n"
    "__import__(sys.argv[1])\n"
    "print(time.perf_counter() - started)\n"
)


@dataclass(frozen=True)
class ImportTime:
    module: str
    deployed_ms: float  # the package as built, with its bytecode
    sources_only_ms: float  # no .pyc: every module compiled at import


def extract(zip_path: Path, into: Path) -> Path:
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(into)
    return into


def handler_modules(design: Path) -> list[str]:
    """Every function's handler module, from the function table in docs/design.md."""
    found = re.findall(r"`(jira_workflow\.handlers\.\w+)\.handler`", design.read_text())
    if not found:
        raise RuntimeError(f"no handler modules listed in {design}")
    return sorted(set(found))


def lambda_environment(task_root: Path) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(task_root),
        "LAMBDA_TASK_ROOT": str(task_root),
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "POWERTOOLS_SERVICE_NAME": "jira-workflow",
        "POWERTOOLS_METRICS_NAMESPACE": "JiraWorkflow",
        "PYTHONDONTWRITEBYTECODE": "1",  # as on Lambda: nothing is cached between samples
    }
    return env


def sample(module: str, env: dict[str, str]) -> float:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, module], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"importing {module} failed: {result.stderr.strip()[-300:]}")
    return float(result.stdout.strip()) * 1000


def median_ms(module: str, env: dict[str, str], runs: int) -> float:
    return round(statistics.median(sample(module, env) for _ in range(runs)), 1)


def remove_bytecode(task_root: Path) -> None:
    for cache in list(task_root.rglob("__pycache__")):
        shutil.rmtree(cache)


def measure(
    zip_path: Path, design: Path, work_dir: Path, runs: int, progress: Callable[[str], None]
) -> tuple[float, list[ImportTime]]:
    """(boto3 median ms, per-module times); boto3 comes precompiled, as the runtime's does."""
    deployed_env = lambda_environment(extract(zip_path, work_dir / "deployed"))
    sources_only = extract(zip_path, work_dir / "sources-only")
    remove_bytecode(sources_only)
    sources_only_env = lambda_environment(sources_only)
    boto3_ms = median_ms("boto3", deployed_env, runs)
    times = []
    for module in handler_modules(design):
        progress(f"  import {module} ({runs} runs each way)")
        times.append(
            ImportTime(
                module,
                median_ms(module, deployed_env, runs),
                median_ms(module, sources_only_env, runs),
            )
        )
    return boto3_ms, times
