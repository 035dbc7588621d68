"""Apply the real root module (terraform/) into the emulator, as the `local` workspace.

Isolation: Terraform runs with its own TF_DATA_DIR and CLI config under .local/terraform,
so a developer's `terraform/.terraform` (their dev/prod init) is never touched. The state
lives in the emulator's own S3 (the root module's S3 backend, pointed at the emulator):
it is exactly as ephemeral as the resources it describes, so every run starts clean.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
STATE_BUCKET = "local-terraform-state"
WORKSPACE = "local"

Progress = Callable[[str], None]


class TerraformError(RuntimeError):
    """A terraform command failed; the message is its last meaningful line."""


@dataclass
class LocalWorkspace:
    """One Terraform working setup under `work_dir`, pointed at an emulator."""

    aws_endpoint: str
    region: str
    work_dir: Path
    variables: Mapping[str, Any] = field(default_factory=dict)
    module_dir: Path = REPO_ROOT / "terraform"
    parallelism: int = 20
    progress: Progress = lambda _message: None
    last_apply_output: str = ""

    @property
    def data_dir(self) -> Path:
        return self.work_dir / "data"

    def environment(self) -> dict[str, str]:
        env = {
            **os.environ,
            "TF_DATA_DIR": str(self.data_dir),
            "TF_CLI_CONFIG_FILE": str(self.work_dir / "cli.tfrc"),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_PROXY": "127.0.0.1,localhost",
            "CHECKPOINT_DISABLE": "1",
        }
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "TF_WORKSPACE"):
            env.pop(name, None)  # a developer's real AWS settings must not leak in
        return env

    def run(self, *args: str, capture: bool = False) -> str:
        command = ["terraform", f"-chdir={self.module_dir}", *args]
        result = subprocess.run(
            command, env=self.environment(), capture_output=True, text=True, check=False
        )
        log = self.work_dir / "terraform.log"
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"$ terraform {' '.join(args[:1])} ...\n{result.stdout}{result.stderr}\n")
        if result.returncode != 0:
            reason = _json_error(result.stdout) or _last_error(result.stderr)
            raise TerraformError(f"terraform {args[0]} failed: {reason} (full output in {log})")
        return result.stdout

    def write_cli_config(self) -> None:
        subprocess.run(
            [
                sys.executable,
                str(REPO_ROOT / "scripts" / "terraform_cli_config.py"),
                str(self.work_dir / "cli.tfrc"),
            ],
            check=True,
            capture_output=True,
            text=True,
        )

    def backend_config(self) -> Path:
        """The root module's S3 backend, aimed at the emulator's S3."""
        path = self.work_dir / "backend.hcl"
        path.write_text(
            f'bucket = "{STATE_BUCKET}"\n'
            'key = "jira-workflow/terraform.tfstate"\n'
            f'region = "{self.region}"\n'
            f'endpoints = {{ s3 = "{self.aws_endpoint}" }}\n'
            "use_path_style = true\n"
            "skip_credentials_validation = true\n"
            "skip_requesting_account_id = true\n"
            "skip_metadata_api_check = true\n"
            "skip_region_validation = true\n"
        )
        return path

    def var_args(self) -> list[str]:
        args = []
        for name, value in self.variables.items():
            rendered = json.dumps(value) if not isinstance(value, str) else value
            args.append(f"-var={name}={rendered}")
        return args

    def init(self) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.write_cli_config()
        self.run(
            "init",
            "-reconfigure",
            "-input=false",
            "-no-color",
            f"-backend-config={self.backend_config()}",
        )
        self.run("workspace", "select", "-or-create", WORKSPACE)

    def apply(self) -> float:
        """init + apply; returns the apply's own wall time in seconds."""
        self.progress("terraform init (local workspace, offline provider mirror)")
        self.init()
        tfvars = self.module_dir / "environments" / f"{WORKSPACE}.tfvars"
        var_file = [f"-var-file={tfvars}"] if tfvars.exists() else []
        self.progress("terraform apply into the emulator")
        started = time.monotonic()
        output = self.run(
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-json",  # timestamps per resource: .local/terraform/terraform.log shows the slow ones
            f"-parallelism={self.parallelism}",
            *var_file,
            *self.var_args(),
        )
        self.last_apply_output = output
        return time.monotonic() - started

    def slowest_resources(self, count: int = 3) -> list[tuple[str, float]]:
        """The resources the last apply spent longest on, from its JSON messages."""
        durations: list[tuple[str, float]] = []
        for line in self.last_apply_output.splitlines():
            try:
                message = json.loads(line)
            except ValueError:
                continue
            hook = message.get("hook", {})
            if message.get("type") == "apply_complete" and "elapsed_seconds" in hook:
                durations.append((hook["resource"]["addr"], float(hook["elapsed_seconds"])))
        return sorted(durations, key=lambda item: item[1], reverse=True)[:count]

    def outputs(self) -> dict[str, Any]:
        raw = json.loads(self.run("output", "-json", "-no-color", capture=True) or "{}")
        return {name: entry.get("value") for name, entry in raw.items()}


def _json_error(stdout: str) -> str:
    """The first error diagnostic of a `-json` run, as `summary: detail`."""
    for line in stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        diagnostic = message.get("diagnostic") or {}
        if diagnostic.get("severity") == "error":
            where = diagnostic.get("address", "")
            detail = (diagnostic.get("detail") or "").splitlines()[:1]
            return " ".join(p for p in (diagnostic.get("summary", ""), where, *detail) if p)
    return ""


def _last_error(stderr: str) -> str:
    """The first `Error:` line Terraform printed, else its last non-empty line."""
    lines = [line.strip(" │╷╵").strip() for line in stderr.splitlines()]
    lines = [line for line in lines if line]
    for index, line in enumerate(lines):
        if line.startswith("Error:"):
            detail = lines[index + 1] if index + 1 < len(lines) else ""
            return f"{line} {detail}".strip()
    return lines[-1] if lines else "no output"
