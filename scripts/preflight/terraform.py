"""Produce the plan JSON: `terraform plan -out` then `terraform show -json`.

Initialisation, the CLI config (provider mirror) and the emulator endpoints belong to
mk/terraform.mk; this module only runs plan and show in an initialised root, with the
var files and extra arguments the Makefile hands it.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class TerraformError(RuntimeError):
    """terraform exited non-zero; the message is its last error line."""


def _run(args: Sequence[str], cwd: Path, capture: bool) -> str:
    completed = subprocess.run(
        ["terraform", f"-chdir={cwd}", *args],
        check=False,
        text=True,
        capture_output=True,
        env={**os.environ, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0"},
    )
    if completed.returncode != 0:
        lines = [line.strip(" │╷╵") for line in completed.stderr.splitlines()]
        errors = [line for line in lines if line.startswith("Error:")] or lines[-1:] or ["?"]
        raise TerraformError(f"terraform {args[0]} failed: {errors[0]}")
    return completed.stdout if capture else ""


def select_workspace(root: Path, workspace: str) -> None:
    _run(["workspace", "select", "-or-create", workspace], root, capture=False)


def plan_json(
    root: Path, var_files: Sequence[Path], extra_args: Sequence[str] = ()
) -> dict[str, Any]:
    """Plan into a temporary file and return `terraform show -json` of it."""
    with tempfile.TemporaryDirectory(prefix="preflight-") as tmp:
        plan_file = Path(tmp) / "preflight.tfplan"
        args = ["plan", "-input=false", "-lock=false", f"-out={plan_file}"]
        args += [f"-var-file={f.resolve()}" for f in var_files]
        _run([*args, *extra_args], root, capture=False)
        document: dict[str, Any] = json.loads(_run(["show", "-json", str(plan_file)], root, True))
        return document
