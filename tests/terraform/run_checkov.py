#!/usr/bin/env python3
"""Run checkov over terraform/ and fail on any failed check; list every inline skip.

Skips are allowed only inline (`# checkov:skip=<ID>: <reason>`) so each one sits next to
the resource it excuses; this script prints them all with their reasons and their count,
so a reviewer sees the full list in CI output. A skip without a reason fails the run.

`--audit-skips` checks the skips themselves: it scans a copy of the directory with every
inline skip removed, once with the variables' defaults and once with each `--var-file`, and
fails on any skip whose check passes anyway in all of them (a skip that suppresses nothing
only hides the day the check starts to matter).

`--all` does what `make tf-checkov` needs in one call: a scan with the defaults and one per
`--var-file` (skips listed for the defaults, counted for the others), then the audit, which
reuses those scans and adds one scan per configuration without skips. The scans run side by
side (checkov is one single-threaded process per scan): four scans instead of six in series.

Usage: run_checkov.py [--checkov PATH] [--directory DIR] [--var-file FILE] [--count-skips-only]
       run_checkov.py --audit-skips [--var-file FILE ...]
       run_checkov.py --all [--var-file FILE ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Scan:
    """checkov's findings summed over frameworks."""

    passed: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)


def run_checkov(checkov: str, directory: Path, var_file: Path | None) -> Scan:
    command = [
        checkov,
        "--directory",
        str(directory),
        "--framework",
        "terraform",
        "--output",
        "json",
        "--compact",
        "--download-external-modules",
        "false",
        "--skip-download",  # offline: no policy download from the Prisma Cloud platform
    ]
    if var_file:
        command += ["--var-file", str(var_file)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if not result.stdout.strip():
        reason = result.stderr.strip()[-500:]
        raise SystemExit(f"checkov produced no report (exit {result.returncode}): {reason}")
    report = json.loads(result.stdout)
    scan = Scan()
    for framework in report if isinstance(report, list) else [report]:
        results = framework.get("results", {})
        scan.passed += framework.get("summary", {}).get("passed", 0)
        scan.failed += results.get("failed_checks", [])
        scan.skipped += results.get("skipped_checks", [])
    return scan


_INSTANCE = re.compile(r"\[[^\]]*\]$")
_INLINE_SKIP = re.compile(r"^\s*#\s*checkov:skip=.*$\n?", re.MULTILINE)


def findings(checks: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(check, resource block): an inline skip covers every instance of its block."""
    return {(str(c["check_id"]), _INSTANCE.sub("", str(c["resource"]))) for c in checks}


def without_skips(directory: Path, into: Path) -> Path:
    """A copy of `directory` whose .tf files carry no inline checkov skips."""
    copy = into / directory.name
    shutil.copytree(directory, copy, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    for tf in copy.rglob("*.tf"):
        tf.write_text(_INLINE_SKIP.sub("", tf.read_text(encoding="utf-8")), encoding="utf-8")
    return copy


def scan_all(
    checkov: str, jobs: list[tuple[Path, Path | None]], workers: int | None = None
) -> list[Scan]:
    """One checkov process per (directory, var file), as many at once as there are cores."""
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        return list(pool.map(lambda job: run_checkov(checkov, *job), jobs))


def idle_skips(
    checkov: str,
    directory: Path,
    var_files: list[Path | None],
    scans: list[Scan] | None = None,
) -> set[tuple[str, str]]:
    """Skips (check, resource) that suppress no failure under any of the configurations;
    `scans` are the configurations' scans of `directory` when the caller has them already."""
    with tempfile.TemporaryDirectory() as scratch:
        stripped = without_skips(directory, Path(scratch))
        plain = [] if scans is not None else [(directory, v) for v in var_files]
        results = scan_all(checkov, plain + [(stripped, v) for v in var_files])
    scans = scans if scans is not None else results[: len(var_files)]
    skipped = set().union(*(findings(scan.skipped) for scan in scans))
    suppressed = set().union(*(findings(scan.failed) for scan in results[len(plain) :]))
    return skipped - suppressed


def audit_skips(
    checkov: str, directory: Path, var_files: list[Path], scans: list[Scan] | None = None
) -> int:
    configurations: list[Path | None] = [None, *var_files]
    print(f"==> checkov skip audit: {len(configurations)} configuration(s), skips stripped")
    idle = sorted(idle_skips(checkov, directory, configurations, scans))
    for check_id, resource in idle:
        print(f"IDLE SKIP {check_id} {resource}: the check passes without it; remove the skip")
    print(f"==> checkov skip audit: {len(idle)} skip(s) that suppress nothing")
    return 1 if idle else 0


def skip_reason(skip: dict[str, Any]) -> str:
    return str(skip.get("check_result", {}).get("suppress_comment", "")).strip()


def report(scan: Scan, values: object, directory: Path, list_skips: bool) -> int:
    """Print one scan's failures and skips; 1 on a failure or a skip without a reason."""
    print(f"==> checkov over {directory.relative_to(REPO_ROOT)} with {values}")
    for check in scan.failed:
        where = f"{check['file_path']}:{check['file_line_range'][0]}"
        print(f"FAILED {check['check_id']} {check['resource']} ({where}): {check['check_name']}")
    listing = " (inline, with reasons):" if list_skips else ""
    print(
        f"==> checkov: {scan.passed} passed, {len(scan.failed)} failed, "
        f"{len(scan.skipped)} skipped{listing}"
    )
    if list_skips:
        for skip in sorted(scan.skipped, key=lambda s: (s["check_id"], s["resource"])):
            print(f"    {skip['check_id']:<12} {skip['resource']:<66} {skip_reason(skip)}")

    unexplained = [skip for skip in scan.skipped if not skip_reason(skip)]
    if unexplained:
        print(f"checkov: {len(unexplained)} skips have no reason", file=sys.stderr)
    return 1 if scan.failed or unexplained else 0


def check_everything(checkov: str, directory: Path, var_files: list[Path]) -> int:
    """The defaults and each var file scanned and reported, then the skip audit."""
    configurations: list[Path | None] = [None, *var_files]
    scans = scan_all(checkov, [(directory, v) for v in configurations])
    failed = 0
    for index, (var_file, scan) in enumerate(zip(configurations, scans, strict=True)):
        values = var_file.relative_to(REPO_ROOT) if var_file else "variable defaults"
        failed |= report(scan, values, directory, list_skips=index == 0)
    return failed | audit_skips(checkov, directory, var_files, scans)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkov", default=str(REPO_ROOT / ".venv-checkov" / "bin" / "checkov"))
    parser.add_argument("--directory", type=Path, default=REPO_ROOT / "terraform")
    parser.add_argument(
        "--var-file",
        type=Path,
        action="append",
        default=[],
        help="evaluate with these tfvars (default: the variables' defaults, the secure baseline)",
    )
    parser.add_argument("--count-skips-only", action="store_true", help="print no skip list")
    parser.add_argument("--audit-skips", action="store_true", help="fail on skips that do nothing")
    parser.add_argument("--all", action="store_true", help="scan defaults and var files, audit")
    args = parser.parse_args(argv)
    if args.all:
        var_files = [v.resolve() for v in args.var_file]
        return check_everything(args.checkov, args.directory.resolve(), var_files)
    if args.audit_skips:
        var_files = [v.resolve() for v in args.var_file]
        return audit_skips(args.checkov, args.directory.resolve(), var_files)
    if len(args.var_file) > 1:
        parser.error("one --var-file per scan (several only with --audit-skips)")

    directory = args.directory.resolve()
    var_file = args.var_file[0].resolve() if args.var_file else None
    values = var_file.relative_to(REPO_ROOT) if var_file else "variable defaults"
    scan = run_checkov(args.checkov, directory, var_file)
    return report(scan, values, directory, list_skips=not args.count_skips_only)


if __name__ == "__main__":
    sys.exit(main())
