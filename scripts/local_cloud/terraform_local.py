"""Apply the real root module (terraform/) into the emulator, as the `local` workspace.

Isolation: Terraform runs with its own TF_DATA_DIR and CLI config under .local/terraform,
so a developer's `terraform/.terraform` (their dev/prod init) is never touched. The state
lives in the emulator's own S3 (the root module's S3 backend, pointed at the emulator):
it is exactly as ephemeral as the resources it describes, so every run starts clean.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_cloud import REPO_ROOT

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
    apply_run: ApplyRun | None = None

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
                "-m",
                "local_cloud.terraform_cli_config",
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
        """init + apply, returning once the stack is usable (see `ApplyRun`); the apply's
        tail, provider waits on resources that change nothing locally, runs on."""
        self.progress("terraform init (local workspace, offline provider mirror)")
        self.init()
        tfvars = self.module_dir / "environments" / f"{WORKSPACE}.tfvars"
        var_file = [f"-var-file={tfvars}"] if tfvars.exists() else []
        self.progress("terraform apply into the emulator")
        command = [
            "terraform",
            f"-chdir={self.module_dir}",
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-json",  # per-resource events: readiness below, timings in terraform.log
            f"-parallelism={self.parallelism}",
            *var_file,
            *self.var_args(),
        ]
        self.apply_run = ApplyRun(command, self.environment(), self.work_dir / "terraform.log")
        return self.apply_run.wait_until_usable()

    def slowest_resources(self, count: int = 3) -> list[tuple[str, float]]:
        return self.apply_run.slowest(count) if self.apply_run else []

    def outputs(self) -> dict[str, Any]:
        raw = json.loads(self.run("output", "-json", "-no-color", capture=True) or "{}")
        return {name: entry.get("value") for name, entry in raw.items()}


# Resources whose provider waits are fixed sleeps and whose effect the emulator never
# shows: aws_s3_bucket_lifecycle_configuration waits ~55 s (a 3-occurrence waiter polling
# every 10 s, then a 5 s-sleep steady read) however fast the answer; moto never expires
# objects, so nothing running locally depends on the rules being in place. An SQS queue
# policy waits ~25 s (6 identical reads 5 s apart) after its queue's own ~25 s; moto never
# checks who may send to a queue, and nothing else in the stack waits on the policy.
DEFERRABLE_RESOURCE_TYPES = frozenset(
    {"aws_s3_bucket_lifecycle_configuration", "aws_sqs_queue_policy"}
)


class ApplyRun:
    """One `terraform apply -json`, followed event by event.

    The stack is *usable* once every planned change is applied except those of
    DEFERRABLE_RESOURCE_TYPES; the process then carries on to completion in the background
    and `wait_until_complete` reports how it ended.
    """

    def __init__(self, command: list[str], env: dict[str, str], log_path: Path) -> None:
        self.started = time.monotonic()
        self.log_path = log_path
        self._planned: dict[str, str] = {}  # address → resource type
        self._completed: set[str] = set()
        self._durations: list[tuple[str, float]] = []
        self._errors: list[str] = []
        self._planning_done = False
        self._usable = threading.Event()
        self._lock = threading.Lock()
        self.complete_seconds: float | None = None
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self._reader = threading.Thread(target=self._follow, name="terraform-apply", daemon=True)
        self._reader.start()

    def _follow(self) -> None:
        assert self.process.stdout is not None
        with self.log_path.open("a", encoding="utf-8") as log:
            for line in self.process.stdout:
                log.write(line)
                self._observe(line)
        self.process.wait()
        self.complete_seconds = time.monotonic() - self.started
        self._usable.set()  # finished (or failed): nobody should wait any longer

    def _observe(self, line: str) -> None:
        try:
            message = json.loads(line)
        except ValueError:
            return
        kind = message.get("type")
        with self._lock:
            if kind == "planned_change":
                change = message["change"]
                if change.get("action") != "noop":
                    resource = change["resource"]
                    self._planned[resource["addr"]] = resource["resource_type"]
            elif kind == "change_summary" and message["changes"].get("operation") == "plan":
                self._planning_done = True
            elif kind == "apply_complete":
                hook = message["hook"]
                self._completed.add(hook["resource"]["addr"])
                if "elapsed_seconds" in hook:
                    self._durations.append((hook["resource"]["addr"], hook["elapsed_seconds"]))
            elif kind == "diagnostic" and message["diagnostic"].get("severity") == "error":
                self._errors.append(_json_error(line))
            if self._planning_done and all(
                kind_ in DEFERRABLE_RESOURCE_TYPES
                for addr, kind_ in self._planned.items()
                if addr not in self._completed
            ):
                self._usable.set()

    def wait_until_usable(self) -> float:
        """Seconds until usable; raises TerraformError if the apply failed before that."""
        self._usable.wait()
        if self.process.poll() not in (None, 0) or self._errors:
            self._reader.join(timeout=5)
            reason = self._errors[0] if self._errors else "see the log"
            raise TerraformError(
                f"terraform apply failed: {reason} (full output in {self.log_path})"
            )
        return time.monotonic() - self.started

    def wait_until_complete(self, timeout: float | None = None) -> tuple[bool, str]:
        """(succeeded, reason) once the process has ended."""
        self._reader.join(timeout)
        if self._reader.is_alive():
            return False, "still running"
        if self.process.returncode != 0 or self._errors:
            return False, self._errors[0] if self._errors else f"exit {self.process.returncode}"
        return True, ""

    @property
    def pending(self) -> list[str]:
        with self._lock:
            return sorted(set(self._planned) - self._completed)

    def slowest(self, count: int) -> list[tuple[str, float]]:
        with self._lock:
            return sorted(self._durations, key=lambda item: item[1], reverse=True)[:count]

    def stop(self) -> None:
        """Interrupt a still-running apply (its target is going away with the emulator)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


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
    """The first `Error:` Terraform printed, where it is, and its message (for a failed
    validation, the error_message that names the variable), else its last non-empty line."""
    lines = [line.strip(" │╷╵").strip() for line in stderr.splitlines()]
    for index, line in enumerate(lines):
        if line.startswith("Error:"):
            return " ".join([line, *_error_detail(lines[index + 1 :])])
    lines = [line for line in lines if line]
    return lines[-1] if lines else "no output"


def _error_detail(following: list[str]) -> list[str]:
    """The diagnostic's first line (where) and its message paragraph (why)."""
    paragraphs: list[list[str]] = [[]]
    for line in following:
        if line.startswith("Error:"):
            break
        if line:
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    paragraphs = [p for p in paragraphs if p and not p[0].startswith("This was checked by")]
    if not paragraphs:
        return []
    where = paragraphs[0][0]
    why = " ".join(paragraphs[-1]) if len(paragraphs) > 1 else ""
    return [part for part in (where, why) if part]
