#!/usr/bin/env python3
"""Run checkov over terraform/ and fail on any failed check; list every inline skip.

Skips are allowed only inline (`# checkov:skip=<ID>: <reason>`) so each one sits next to
the resource it excuses; this script prints them all with their reasons and their count,
so a reviewer sees the full list in CI output.

Usage: run_checkov.py [--checkov PATH] [--directory terraform]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_checkov(checkov: str, directory: Path) -> list[dict[str, Any]]:
    """checkov's JSON report, one entry per framework (always a list)."""
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
        "--skip-download",  # offline: no Prisma Cloud policy download
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if not result.stdout.strip():
        raise SystemExit(f"checkov produced no report (exit {result.returncode}): {result.stderr.strip()[-500:]}")
    report = json.loads(result.stdout)
    return report if isinstance(report, list) else [report]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkov", default=str(REPO_ROOT / ".venv-checkov" / "bin" / "checkov"))
    parser.add_argument("--directory", type=Path, default=REPO_ROOT / "terraform")
    args = parser.parse_args(argv)

    print(f"==> checkov over {args.directory.relative_to(REPO_ROOT)}")
    passed = failed = 0
    failures: list[dict[str, Any]] = []
    skips: list[dict[str, Any]] = []
    for framework in run_checkov(args.checkov, args.directory):
        summary = framework.get("summary", {})
        passed += summary.get("passed", 0)
        failed += summary.get("failed", 0)
        results = framework.get("results", {})
        failures += results.get("failed_checks", [])
        skips += results.get("skipped_checks", [])

    for check in failures:
        where = f"{check['file_path']}:{check['file_line_range'][0]}"
        print(f"FAILED {check['check_id']} {check['resource']} ({where}): {check['check_name']}")

    print(f"==> checkov: {passed} passed, {failed} failed, {len(skips)} skipped (inline, with reasons):")
    for skip in sorted(skips, key=lambda s: (s["check_id"], s["resource"])):
        reason = skip.get("check_result", {}).get("suppress_comment", "").strip()
        print(f"    {skip['check_id']:<12} {skip['resource']:<70} {reason}")
    missing_reason = [s for s in skips if not s.get("check_result", {}).get("suppress_comment", "").strip()]
    if missing_reason:
        print(f"checkov: {len(missing_reason)} skips have no reason", file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
