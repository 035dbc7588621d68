"""The whole local stack: emulator + fake Jira + the real Terraform applied into them,
with per-run secret values. `python -m local_cloud` keeps it up; tests and the demo start
`python -m local_cloud --json` as a child process and drive it over HTTP.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from local_cloud import REPO_ROOT
from local_cloud.clients import emulator_client
from local_cloud.emulator import ACCOUNT_ID, Emulator, EmulatorEndpoints
from local_cloud.terraform_local import LocalWorkspace

Progress = Callable[[str], None]
JIRA_EMAIL_ENV = "LOCAL_CLOUD_JIRA_EMAIL"
JIRA_TOKEN_ENV = "LOCAL_CLOUD_JIRA_API_TOKEN"  # noqa: S105 - the variable's name, not a value
HOST_PACKAGE_MANIFEST = REPO_ROOT / "build" / "lambda-host.json"


class StackError(RuntimeError):
    """The stack could not be brought up; the message is the one-line reason."""


@dataclass(frozen=True)
class StackOptions:
    """What a caller may choose; everything else is the `local` workspace's tfvars."""

    state_dir: Path = REPO_ROOT / ".local"
    region: str = "eu-west-1"  # as terraform/environments/local.tfvars
    jira_url: str | None = None  # None: the stack runs its own fake Jira
    approval_timeout_seconds: int | None = None
    extra_variables: dict[str, Any] = field(default_factory=dict)
    api_port: int = 0
    parallelism: int = 20
    terraform_dir: Path = REPO_ROOT / "terraform"


@dataclass
class StackInfo:
    """What a person or script needs to drive the stack (written to .local/stack.json).

    Holds the webhook secret and the API keys on purpose: `make local` must hand them out.
    `api_key` decides and reads; `read_api_key` only reads (the callback refuses it).
    The Jira credentials and the external API token stay inside the stack.
    """

    api_url: str
    webhook_url: str
    callback_url: str
    status_url: str
    mock_url: str
    api_key: str
    read_api_key: str
    webhook_secret: str
    jira_url: str
    aws_endpoint: str
    control_url: str
    region: str
    state_machine_arn: str
    requests_table: str
    artifacts_bucket: str
    reconciler_schedule: str | None
    apply_seconds: float  # into `terraform apply` when the stack became usable
    startup_seconds: float

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


@dataclass
class RunSecrets:
    """Generated per run: never written to disk, never printed (bar the webhook secret)."""

    jira_email: str = field(default_factory=lambda: os.environ.get(JIRA_EMAIL_ENV, ""))
    jira_api_token: str = field(default_factory=lambda: os.environ.get(JIRA_TOKEN_ENV, ""))
    webhook_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    external_api_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    def __post_init__(self) -> None:
        self.jira_email = self.jira_email or "workflow-bot@example.com"
        self.jira_api_token = self.jira_api_token or secrets.token_urlsafe(24)


@dataclass(frozen=True)
class HostPackages:
    """The zips built for this interpreter: the product's, and the dev-only mock API's."""

    product: Path
    mock: Path


def host_packages(manifest_path: Path = HOST_PACKAGE_MANIFEST) -> HostPackages:
    """The zips the tools built for this interpreter; the local cloud runs, it never builds."""
    try:
        manifest = json.loads(manifest_path.read_text())
    except FileNotFoundError:
        raise StackError(
            f"no Lambda package for this machine ({manifest_path.name}): run `make build-host`"
        ) from None
    return HostPackages(
        product=REPO_ROOT / str(manifest["path"]), mock=REPO_ROOT / str(manifest["mock"]["path"])
    )


class LocalStack:
    """Starts and stops everything; `info` is set once `start` returns."""

    def __init__(self, options: StackOptions, progress: Progress, function_log: TextIO) -> None:
        self.options = options
        self.progress = progress
        self.secrets = RunSecrets()
        self.emulator = Emulator(
            options.region,
            api_port=options.api_port,
            function_log=function_log,
            code_dir=options.state_dir / "lambda-code",
        )
        self.fake_jira: Any = None
        self.info: StackInfo | None = None
        self.workspace: LocalWorkspace | None = None
        self._stopping = False

    def start(self) -> StackInfo:
        started = time.monotonic()
        packages = host_packages()
        self.progress("starting the AWS emulator (moto, patched) and the API front")
        endpoints = self.emulator.start()
        jira_url = self.options.jira_url or self._start_fake_jira()
        workspace = LocalWorkspace(
            aws_endpoint=endpoints.aws,
            region=self.options.region,
            work_dir=self.options.state_dir / "terraform",
            variables=self.terraform_variables(endpoints, jira_url, packages),
            parallelism=self.options.parallelism,
            progress=self.progress,
            module_dir=self.options.terraform_dir,
        )
        self._client("s3", endpoints).create_bucket(
            Bucket="local-terraform-state",
            CreateBucketConfiguration={"LocationConstraint": self.options.region},
        )
        apply_seconds = workspace.apply()
        self.workspace = workspace
        pending = workspace.apply_run.pending if workspace.apply_run else []
        slowest = ", ".join(f"{a} {s:.0f}s" for a, s in workspace.slowest_resources())
        self.progress(
            f"stack usable {apply_seconds:.1f}s into terraform apply (slowest so far: {slowest})"
            + (f"; still waiting in the background on {', '.join(pending)}" if pending else "")
        )
        if pending:
            threading.Thread(target=self._report_apply_end, daemon=True).start()
        functions = self._function_environments(endpoints)
        self._seed_secrets(endpoints, functions)
        self.info = self._describe(
            endpoints, jira_url, functions, apply_seconds, time.monotonic() - started
        )
        if self.fake_jira is not None:
            # Jira's admin would register the webhook; our own fake does it here.
            self.fake_jira.register_webhook(self.info.webhook_url, self.secrets.webhook_secret)
        return self.info

    def _report_apply_end(self) -> None:
        run = self.workspace.apply_run if self.workspace else None
        if run is None:
            return
        succeeded, reason = run.wait_until_complete()
        if succeeded:
            self.progress(f"terraform apply complete after {run.complete_seconds:.1f}s")
        elif reason != "still running" and not self._stopping:
            self.progress(f"error: terraform apply failed after the stack was up: {reason}")

    def stop(self) -> None:
        self._stopping = True
        if self.workspace is not None and self.workspace.apply_run is not None:
            self.workspace.apply_run.stop()
        if self.fake_jira is not None:
            self.fake_jira.stop()
        self.emulator.stop()

    # ---- pieces ------------------------------------------------------------------------

    def terraform_variables(
        self, endpoints: EmulatorEndpoints, jira_url: str, packages: HostPackages
    ) -> dict[str, Any]:
        variables: dict[str, Any] = {
            "aws_endpoint_url": endpoints.aws,
            "aws_region": self.options.region,
            "jira_base_url": jira_url,
            "lambda_package_path": str(packages.product),
            "mock_package_path": str(packages.mock),  # the mock API runs from its own zip
        }
        if self.options.approval_timeout_seconds is not None:
            variables["approval_timeout_seconds"] = self.options.approval_timeout_seconds
        variables.update(self.options.extra_variables)
        return variables

    def _start_fake_jira(self) -> str:
        from local_cloud.fake_jira.fake import FakeJira

        self.progress("starting the fake Jira")
        self.fake_jira = FakeJira(
            email=self.secrets.jira_email, api_token=self.secrets.jira_api_token
        ).start()
        self.emulator.control_routes["jira"] = self._jira_control
        return str(self.fake_jira.url)

    def _jira_control(self, request: Any, parts: list[str]) -> tuple[int, Any]:
        """`make local` users drive the stack's own fake Jira through the control API."""
        jira = self.fake_jira
        body = request.get_json(force=True, silent=True) or {}  # curl -d sends a form type
        if parts == ["issues"] and request.method == "POST":
            key = jira.create_issue(
                body.get("project", "OPS"),
                body.get("summary", "Local request"),
                issue_type=body.get("issue_type", "Service Request"),
                status=body.get("status", "Submitted"),
                description=body.get("description", "Created from `make local`."),
            )
            return 201, {"key": key}
        if len(parts) == 3 and parts[0] == "issues" and parts[2] == "transition":
            try:
                jira.transition(parts[1], body["status"], actor=body.get("actor", "Bob Approver"))
            except ValueError as exc:  # not a transition of the runbook's workflow
                return 400, {"error": str(exc)}
            return 200, {"key": parts[1], "status": jira.status(parts[1])}
        if len(parts) == 2 and parts[0] == "issues":
            return 200, {
                "key": parts[1],
                "status": jira.status(parts[1]),
                "comments": jira.comments(parts[1]),
            }
        return 404, {"message": "unknown jira control route"}

    @staticmethod
    def _client(service: str, endpoints: EmulatorEndpoints) -> Any:
        return emulator_client(service, endpoints.aws, endpoints.region)

    def _function_environments(self, endpoints: EmulatorEndpoints) -> dict[str, dict[str, str]]:
        """Each deployed function's environment, keyed by its handler module's name."""
        lambda_client = self._client("lambda", endpoints)
        found: dict[str, dict[str, str]] = {}
        for page in lambda_client.get_paginator("list_functions").paginate():
            for function in page["Functions"]:
                module = function.get("Handler", "").rsplit(".", 2)[-2]
                found[module] = {
                    "name": function["FunctionName"],
                    "arn": function["FunctionArn"],
                    **function.get("Environment", {}).get("Variables", {}),
                }
        if "webhook" not in found:
            raise StackError("terraform apply deployed no webhook function")
        return found

    def _seed_secrets(
        self, endpoints: EmulatorEndpoints, functions: dict[str, dict[str, str]]
    ) -> None:
        """Secret values are set out of band, as in every environment (never in state)."""
        self.progress("setting this run's secret values")
        values = {
            "JIRA_API_SECRET_ARN": {
                "email": self.secrets.jira_email,
                "api_token": self.secrets.jira_api_token,
            },
            "JIRA_WEBHOOK_SECRET_ARN": {"current": self.secrets.webhook_secret},
            "EXTERNAL_API_SECRET_ARN": {"token": self.secrets.external_api_token},
        }
        manager = self._client("secretsmanager", endpoints)
        seeded: set[str] = set()
        for environment in functions.values():
            for variable, value in values.items():
                arn = environment.get(variable)
                if arn and arn not in seeded:
                    manager.put_secret_value(SecretId=arn, SecretString=json.dumps(value))
                    seeded.add(arn)
        if len(seeded) < len(values):
            raise StackError("could not find every secret the functions read")

    def _describe(
        self,
        endpoints: EmulatorEndpoints,
        jira_url: str,
        functions: dict[str, dict[str, str]],
        apply_seconds: float,
        startup_seconds: float,
    ) -> StackInfo:
        from moto.apigateway.models import apigateway_backends

        backend = apigateway_backends[ACCOUNT_ID][endpoints.region]
        api = next(iter(backend.apis.values()), None)
        if api is None or not api.stages:
            raise StackError("terraform apply deployed no REST API stage")
        stage = next(iter(api.stages))
        base = f"{endpoints.api}/{stage}"
        webhook = functions["webhook"]
        return StackInfo(
            api_url=base,
            webhook_url=f"{base}/jira/webhook",
            callback_url=f"{base}/jira/callback",
            status_url=f"{base}/requests/{{issueKey}}",
            mock_url=f"{base}/mock",
            api_key=self._api_key(backend, api.id, stage, "decide"),
            read_api_key=self._api_key(backend, api.id, stage, "read"),
            webhook_secret=self.secrets.webhook_secret,
            jira_url=jira_url,
            aws_endpoint=endpoints.aws,
            control_url=endpoints.control,
            region=endpoints.region,
            state_machine_arn=webhook.get("STATE_MACHINE_ARN", ""),
            requests_table=webhook.get("REQUESTS_TABLE", ""),
            artifacts_bucket=webhook.get("ARTIFACTS_BUCKET", ""),
            reconciler_schedule=self._reconciler_schedule(endpoints, functions),
            apply_seconds=round(apply_seconds, 1),
            startup_seconds=round(startup_seconds, 1),
        )

    @staticmethod
    def _api_key(backend: Any, api_id: str, stage: str, caller: str) -> str:
        """The value of the `caller` key (named `<prefix>-<caller>`) in a plan on the stage."""
        for plan in backend.usage_plans.values():
            if any(s.get("apiId") == api_id and s.get("stage") == stage for s in plan.api_stages):
                for key_id in backend.usage_plan_keys.get(plan.id, {}):
                    key = backend.keys.get(key_id)
                    if key is not None and key.enabled and key.name.endswith(f"-{caller}"):
                        return str(key.value)
        raise StackError(f"terraform apply created no enabled {caller} API key in a usage plan")

    @staticmethod
    def _reconciler_schedule(
        endpoints: EmulatorEndpoints, functions: dict[str, dict[str, str]]
    ) -> str | None:
        from moto.scheduler.models import scheduler_backends

        reconciler = functions.get("reconciler", {}).get("arn")
        backend = scheduler_backends[ACCOUNT_ID][endpoints.region]
        for group in backend.schedule_groups.values():
            for schedule in group.schedules.values():
                if schedule.target.get("Arn") == reconciler:
                    return f"{group.name}/{schedule.name}"
        return None
