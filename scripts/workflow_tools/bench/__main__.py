#!/usr/bin/env python3
"""Print one table of the project's performance figures, each next to a baseline measured
in the same run (or a stated goal):

  - cold start (import + first invocation, Python 3.13, the package's bytecode) of each API
    function and each state machine task vs a handler that imports boto3 and makes the same
    AWS and HTTP calls (goals <= 1.3x for the API, <= 1.5x for the tasks),
  - the deployment package (one zip shared by every function) vs Lambda's limits,
  - warm webhook -> decision -> SUCCEEDED on the local stack vs one status read,
  - webhook throughput vs status-read throughput through the same API front,
  - state transitions, Lambda invocations, API requests and DynamoDB writes per request
    for each path, and the AWS cost per 1,000 requests they imply at public prices,
  - `terraform apply` time into the emulator (goal <= 30 s).

Examples:
  python -m workflow_tools.bench                 # everything (starts the local stack, ~3 min)
  python -m workflow_tools.bench --no-stack      # imports and package size only
  python -m workflow_tools.bench --json out.json
  python -m workflow_tools.bench --readme README.md   # also rewrite its figures block
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from workflow_tools import REPO_ROOT
from workflow_tools.bench import coldstart, dependencies, package
from workflow_tools.bench import stack as stack_figures
from workflow_tools.bench.cost import PathCounts

APPLY_GOAL_SECONDS = 30.0
README_START = "<!-- make bench: start -->"
README_END = "<!-- make bench: end -->"


@dataclass(frozen=True)
class Row:
    figure: str
    value: str
    baseline: str
    ratio: str
    goal: str
    ok: bool | None  # None: no goal, just the figure

    def cells(self) -> list[str]:
        verdict = "" if self.ok is None else ("ok" if self.ok else "MISS")
        return [self.figure, self.value, self.baseline, self.ratio, self.goal, verdict]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--runs", type=int, default=7, help="cold-start samples (median)")
    parser.add_argument("--warm-runs", type=int, default=5, help="warm end-to-end samples")
    parser.add_argument("--throughput-requests", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--no-stack", action="store_true", help="skip the local-stack figures")
    parser.add_argument("--json", type=Path, help="also write the rows and counts as JSON")
    parser.add_argument(
        "--readme",
        type=Path,
        help=f"also replace the table between {README_START!r} and {README_END!r} in this file",
    )
    parser.add_argument("--state-dir", type=Path, default=REPO_ROOT / ".local" / "bench")
    parser.add_argument("--terraform-dir", type=Path, help="root module (default: the repo's)")
    return parser.parse_args(argv)


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---- rows ------------------------------------------------------------------------------


def cold_start_rows(runs: int, work_dir: Path) -> list[Row]:
    progress("building the package for the runtime and timing cold starts (3.13, moto server)")
    zip_path = package.build(REPO_ROOT, "runtime-host")
    rows = []
    for c in coldstart.measure(zip_path, work_dir, runs, progress):
        rows.append(
            Row(
                f"cold start {c.function} (import + 1st call)",
                f"{c.ms:.0f} ms",
                f"boto3 + same {len(c.calls)} call(s) {c.baseline_ms:.0f} ms",
                f"{c.ratio:.2f}x",
                f"<= {c.goal}x",
                c.ratio <= c.goal,
            )
        )
    for d in dependencies.measure(zip_path, work_dir, runs, progress):
        rows.append(
            Row(
                f"import {d.name}",
                f"{d.ms:.0f} ms",
                f"import boto3 {d.baseline_ms:.0f} ms",
                f"{d.ratio:.2f}x",
                "alone, fresh 3.13",
                None,
            )
        )
    return rows


def product_function_count() -> int:
    """The functions the product zip serves: each declares its handler in
    terraform/permissions/ (the mock API's handler is in its own zip)."""
    declarations = (REPO_ROOT / "terraform" / "permissions").glob("*.json")
    handlers = [json.loads(path.read_text())["handler"] for path in declarations]
    return sum(handler.startswith("jira_workflow.") for handler in handlers)


def package_rows() -> list[Row]:
    progress("building the Lambda package (arm64) and measuring it")
    size = package.measure(package.build(REPO_ROOT, "lambda"))
    mb = 1024 * 1024
    largest = ", ".join(f"{name} {bytes_ / mb:.1f}" for name, bytes_ in size.largest[:3])
    return [
        Row(
            f"package zip (one zip, all {product_function_count()} functions)",
            f"{size.zipped / mb:.1f} MB",
            f"Lambda limit {package.ZIP_LIMIT_BYTES / mb:.0f} MB",
            f"{size.zipped / package.ZIP_LIMIT_BYTES:.0%}",
            "< limit",
            size.zipped < package.ZIP_LIMIT_BYTES,
        ),
        Row(
            "package unzipped",
            f"{size.unzipped / mb:.1f} MB",
            f"Lambda limit {package.UNZIPPED_LIMIT_BYTES / mb:.0f} MB",
            f"{size.unzipped / package.UNZIPPED_LIMIT_BYTES:.0%}",
            f"largest (MB): {largest}; workflow code {size.workflow_code / 1024:.0f} KB",
            size.unzipped < package.UNZIPPED_LIMIT_BYTES,
        ),
    ]


def stack_rows(args: argparse.Namespace, work_dir: Path) -> tuple[list[Row], list[PathCounts]]:
    from workflow_tools.load.report import Latencies
    from workflow_tools.load.target import LoadTarget, start_stack

    recording = work_dir / "moto_recording"
    # Read by moto when the stack process starts: where its request recorder writes.
    os.environ["MOTO_RECORDER_FILEPATH"] = str(recording)
    progress("starting the local stack (emulator, fake Jira, terraform apply)")
    session = start_stack(args.state_dir, args.terraform_dir, http_timeout=10)
    try:
        target = LoadTarget(session, Latencies())
        recorder = stack_figures.Recorder(session.info["aws_endpoint"], recording)
        progress("warm-up request, then warm webhook -> decision -> SUCCEEDED runs")
        stack_figures.warm_run(target, timeout=120)
        warm = [stack_figures.warm_run(target, timeout=120) for _ in range(args.warm_runs)]
        status_ms = sequential_status_ms(target, warm_key_count=20)
        progress(f"throughput: {args.throughput_requests} webhooks, then as many status reads")
        webhook_rps, status_rps = stack_figures.throughput(
            target, args.throughput_requests, args.concurrency
        )
        memory = stack_figures.memory_by_function(target)
        counts = []
        for plan in stack_figures.PATHS:
            progress(f"counting the {plan.name} path")
            counts.append(stack_figures.count_path(target, plan, recorder, memory, timeout=120))
        apply_seconds = float(session.info.get("apply_seconds", 0.0))
    finally:
        session.stop()
    total = statistics.median(w.total_s for w in warm)
    to_awaiting = statistics.median(w.webhook_to_awaiting_s for w in warm)
    rows = [
        Row(
            "warm webhook -> decision -> SUCCEEDED",
            f"{total * 1000:.0f} ms",
            f"status read {status_ms:.0f} ms",
            f"{total * 1000 / status_ms:.0f}x",
            f"median of {len(warm)}; webhook -> awaiting {to_awaiting * 1000:.0f} ms",
            None,
        ),
        Row(
            f"webhook throughput ({args.concurrency} in flight)",
            f"{webhook_rps:.1f} req/s",
            f"status reads {status_rps:.1f} req/s",
            f"{webhook_rps / status_rps:.2f}x",
            "local emulator, 2 cores",
            None,
        ),
        Row(
            "terraform apply into the emulator",
            f"{apply_seconds:.1f} s",
            "",
            f"{apply_seconds / APPLY_GOAL_SECONDS:.2f}x goal",
            f"<= {APPLY_GOAL_SECONDS:.0f} s",
            apply_seconds <= APPLY_GOAL_SECONDS,
        ),
    ]
    return rows, counts


def sequential_status_ms(target: Any, warm_key_count: int) -> float:
    """One status read at a time (nothing else in flight): the floor of any API call."""
    key = target.jira.create_issue("OPS", "Status baseline", status="To Do", notify=False)
    samples = []
    for _ in range(warm_key_count):
        started = time.perf_counter()
        target.status(key)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def cost_rows(counts: list[PathCounts]) -> list[Row]:
    rows = []
    for c in counts:
        cost = c.cost_per_thousand()
        rows.append(
            Row(
                f"path {c.path}",
                f"${cost['total']:.4f} / 1k req",
                f"{c.state_transitions} transitions, {c.lambda_invocations} invocations",
                f"{c.api_requests} API req, DynamoDB {c.dynamodb_writes:g} WRU / "
                f"{c.dynamodb_reads:g} RRU, S3 {c.s3_writes} PUT + {c.s3_reads} GET",
                f"{c.lambda_gb_seconds:.3f} GB-s; SFN ${cost['step_functions']:.4f}",
                None,
            )
        )
    return rows


def render(rows: list[Row]) -> str:
    header = ["figure", "value", "baseline (same run)", "ratio", "goal / note", ""]
    table = [header, *(r.cells() for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def markdown(rows: list[Row]) -> str:
    header = ["figure", "value", "baseline (same run)", "ratio", "goal / note", ""]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [cell.replace("|", "\\|") for cell in row.cells()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def rewrite_readme(path: Path, rows: list[Row]) -> None:
    """Replace the block between the markers with this run's table, dated."""
    text = path.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise RuntimeError(f"{path} has no {README_START} ... {README_END} block")
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    note = f"_`make bench`, {stamp}, {os.cpu_count()} cores._"
    block = f"{README_START}\n{note}\n\n{markdown(rows)}\n"
    path.write_text(text[:start] + block + text[end:], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rows: list[Row] = []
    counts: list[PathCounts] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            work_dir = Path(tmp)
            rows += cold_start_rows(args.runs, work_dir)
            rows += package_rows()
            if not args.no_stack:
                stack, counts = stack_rows(args, work_dir)
                rows += stack + cost_rows(counts)
    except (RuntimeError, TimeoutError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(render(rows), flush=True)
    if args.readme:
        rewrite_readme(args.readme, rows)
    if args.json:
        document: dict[str, Any] = {
            "rows": [asdict(r) for r in rows],
            "paths": [{**asdict(c), "cost_per_1000": c.cost_per_thousand()} for c in counts],
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
