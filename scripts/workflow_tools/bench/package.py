"""Deployment package size: the one zip every function deploys (workflow_tools/build_lambda.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from workflow_tools.build_lambda import TARGETS

# Lambda's documented limits for a zip deployment package.
ZIP_LIMIT_BYTES = 50 * 1024 * 1024
UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024


@dataclass(frozen=True)
class PackageSize:
    path: Path
    zipped: int
    unzipped: int
    workflow_code: int  # lambdas/jira_workflow alone, unzipped
    largest: list[tuple[str, int]]  # top-level entries by unzipped size


def build(repo_root: Path, platform: str) -> Path:
    """Run the project's builder (cached when unchanged) and return the zip it made."""
    result = subprocess.run(
        [sys.executable, "-m", "workflow_tools.build_lambda", "--platform", platform],
        capture_output=True,
        text=True,
        check=False,
        cwd=repo_root,
    )
    if result.returncode != 0:
        raise RuntimeError(f"build_lambda.py --platform {platform} failed: {result.stderr[-300:]}")
    manifest = TARGETS[platform].manifest_name
    return repo_root / str(json.loads((repo_root / "build" / manifest).read_text())["path"])


def measure(zip_path: Path) -> PackageSize:
    by_top: Counter[str] = Counter()
    with zipfile.ZipFile(zip_path) as archive:
        for entry in archive.infolist():
            top = entry.filename.split("/", 1)[0]
            by_top[top.split("-", 1)[0] if top.endswith(".dist-info") else top] += entry.file_size
    return PackageSize(
        path=zip_path,
        zipped=zip_path.stat().st_size,
        unzipped=sum(by_top.values()),
        workflow_code=by_top["jira_workflow"],
        largest=by_top.most_common(5),
    )
