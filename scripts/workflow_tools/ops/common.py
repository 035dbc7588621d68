"""What every runbook tool shares: which deployment to talk to, clients, progress, errors.

Names come from the Terraform naming contract (`<project>-<env>` prefix, docs/design.md),
so a tool needs only `--env` (plus credentials) in AWS. Against the local emulator the
running stack's .local/stack.json supplies the endpoint and names.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import boto3

from workflow_tools import REPO_ROOT

if TYPE_CHECKING:
    from jira_workflow.adapters.jira import JiraClient
    from jira_workflow.container import Container

STACK_FILE = REPO_ROOT / ".local" / "stack.json"
DEFAULT_PROJECT = "jira-workflow"
EMULATOR_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}


class OpsError(RuntimeError):
    """A failure the operator can act on; printed as one line, exit status 1."""


def progress(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


def fail(message: str) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(1)


@dataclass
class Target:
    """One deployment: where its AWS APIs are and what its resources are called."""

    environment: str
    region: str
    endpoint: str | None = None
    project: str = DEFAULT_PROJECT
    table: str = ""
    state_machine_arn: str = ""
    stack: dict[str, Any] = field(default_factory=dict)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def prefix(self) -> str:
        return f"{self.project}-{self.environment}"

    @property
    def requests_table(self) -> str:
        return self.table or f"{self.prefix}-requests"

    @property
    def state_machine_name(self) -> str:
        return f"{self.prefix}-request-workflow"

    def secret_id(self, name: str) -> str:
        """`jira-api`, `jira-webhook` or `external-api`: Secrets Manager accepts the name."""
        return f"{self.prefix}/{name}"

    def function_name(self, key: str) -> str:
        return f"{self.prefix}-{key.replace('_', '-')}"

    @property
    def schedule_name(self) -> str:
        return f"{self.prefix}-reconciler"

    def client(self, service: str) -> Any:
        if service not in self._clients:
            options: dict[str, Any] = {"region_name": self.region}
            if self.endpoint:
                options["endpoint_url"] = self.endpoint
                if not os.environ.get("AWS_ACCESS_KEY_ID"):
                    options.update(EMULATOR_CREDENTIALS)
            self._clients[service] = boto3.client(service, **options)  # type: ignore[call-overload]
        return self._clients[service]

    def resolve_state_machine_arn(self) -> str:
        if not self.state_machine_arn:
            sfn = self.client("stepfunctions")
            for page in sfn.get_paginator("list_state_machines").paginate():
                for machine in page["stateMachines"]:
                    if machine["name"] == self.state_machine_name:
                        self.state_machine_arn = machine["stateMachineArn"]
                        return self.state_machine_arn
            raise OpsError(f"state machine {self.state_machine_name} not found in {self.region}")
        return self.state_machine_arn

    def deployed_environment(self, function_key: str = "request_approval") -> dict[str, str]:
        """A function's environment variables: the settings the workflow actually runs with."""
        name = self.function_name(function_key)
        try:
            config = self.client("lambda").get_function_configuration(FunctionName=name)
        except Exception as exc:
            raise OpsError(f"cannot read function {name}: {exc}") from exc
        variables: dict[str, str] = config.get("Environment", {}).get("Variables", {})
        return variables


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("deployment")
    group.add_argument("--env", default=os.environ.get("ENV", "local"), help="workspace")
    group.add_argument(
        "--region", default=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    )
    group.add_argument("--endpoint", help="AWS endpoint URL (the local emulator)")
    group.add_argument("--project", default=DEFAULT_PROJECT, help="Terraform var.project")
    group.add_argument("--table", help="requests table (default <project>-<env>-requests)")
    group.add_argument("--state-machine-arn", help="default: looked up by name")
    group.add_argument("--stack-file", type=Path, default=STACK_FILE, help=argparse.SUPPRESS)


def target_from_args(args: argparse.Namespace) -> Target:
    stack: dict[str, Any] = {}
    if args.env == "local" and args.stack_file.is_file():
        stack = json.loads(args.stack_file.read_text())
    region = args.region or stack.get("region") or "eu-west-1"
    endpoint = args.endpoint or stack.get("aws_endpoint")
    if args.env == "local" and not endpoint:
        raise OpsError("ENV=local needs a running stack (`make local`) or --endpoint")
    return Target(
        environment=args.env,
        region=region,
        endpoint=endpoint,
        project=args.project,
        table=args.table or stack.get("requests_table", ""),
        state_machine_arn=args.state_machine_arn or stack.get("state_machine_arn", ""),
        stack=stack,
    )


def run(main: Callable[[Sequence[str] | None], int], argv: Sequence[str] | None = None) -> int:
    """Turn OpsError and AWS errors into one line and exit status 1."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return main(argv)
    except OpsError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        print(f"error: AWS {error.get('Code', '?')}: {error.get('Message', '')}", file=sys.stderr)
    except BotoCoreError as exc:
        print(f"error: AWS: {exc}", file=sys.stderr)
    return 1


def print_table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> None:
    table = [list(header), *[list(r) for r in rows]]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip())


def operator_container(target: Target, jira_url: str | None = None) -> Container:
    """The workflow's composition root as the deployment runs it, with the operator's clients.

    Settings are the deployed functions' environment (so unset variables mean the functions'
    own defaults); the operator's `--table`, `--state-machine-arn` and `--jira-url` win.
    """
    from jira_workflow.container import Container
    from jira_workflow.models.settings import Settings

    environment = dict(target.deployed_environment())
    overrides = {
        "REQUESTS_TABLE": target.table,
        "STATE_MACHINE_ARN": target.state_machine_arn,
        "JIRA_BASE_URL": jira_url or "",
    }
    environment.update({name: value for name, value in overrides.items() if value})
    try:
        settings = Settings.from_env(environment)
    except ValueError as exc:
        raise OpsError(f"{target.function_name('request_approval')}: {exc}") from exc
    return Container(settings, clients=target.client)


def require_jira(container: Container) -> JiraClient:
    """The container's Jira client, once it is known where Jira is."""
    if not container.settings.jira_base_url:
        raise OpsError("JIRA_BASE_URL unknown: pass --jira-url")
    return container.jira()


def jira_client(target: Target, base_url: str | None = None) -> JiraClient:
    """The workflow's own Jira client, with the deployment's Jira URL and bot credentials."""
    return require_jira(operator_container(target, base_url))
