"""Produce the plan JSON: `terraform plan -out` then `terraform show -json`.

Plans run in the local emulator (a running `make local` stack's endpoint from
.local/stack.json, `--endpoint`, or a throwaway moto server). We reuse the local cloud's
`LocalWorkspace` (its own TF_DATA_DIR, the provider-mirror CLI config, the S3 backend in
the emulator), so nothing here knows how Terraform is initialised. Plans in AWS are made by
mk/terraform.mk's `plan` target (see mk/ops.mk) and handed over as JSON.

For a non-local workspace the emulator is reached through AWS_ENDPOINT_URL rather than the
root module's `aws_endpoint_url` variable: that variable is refused outside `local` by the
module's deployment guard (which protects `apply`), and a plan applies nothing.
"""

from __future__ import annotations

import hashlib
import json
import socket
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from workflow_tools import REPO_ROOT

STACK_FILE = REPO_ROOT / ".local" / "stack.json"
Progress = Callable[[str], None]


class TerraformError(RuntimeError):
    """terraform exited non-zero; the message is its first error line."""


def stack_endpoint(stack_file: Path = STACK_FILE) -> str | None:
    """The AWS endpoint of a running `make local` stack, if there is one.

    A stack killed without its Ctrl-C cleanup leaves its file behind, so the endpoint
    counts only if something answers there.
    """
    if not stack_file.is_file():
        return None
    endpoint = json.loads(stack_file.read_text()).get("aws_endpoint")
    if not endpoint or not _answers(str(endpoint)):
        return None
    return str(endpoint)


def _answers(endpoint: str) -> bool:
    parts = urlsplit(endpoint)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), 1.0):
            return True
    except OSError:
        return False


@contextmanager
def throwaway_emulator() -> Iterator[str]:
    """moto's server on a free 127.0.0.1 port for the length of one plan."""
    import logging

    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per AWS call otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        _, port = server.get_host_and_port()
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _ensure_state_bucket(endpoint: str, region: str, bucket: str) -> None:
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - the emulator's fixed fake credentials
    )
    if bucket not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        location: Any = {"LocationConstraint": region}  # any region name, not only the stub's list
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration=location)


def plan_in_emulator(
    environment: str,
    endpoint: str,
    var_files: Sequence[Path],
    extra_args: Sequence[str],
    region: str,
    progress: Progress,
    module_dir: Path = REPO_ROOT / "terraform",
) -> dict[str, Any]:
    """Plan `module_dir` (the root module, or a copy of it with overrides) for a workspace."""
    work_dir = REPO_ROOT / ".local" / "preflight" / environment
    workspace = _plan_workspace(environment, endpoint, region, module_dir, work_dir)
    with _exclusive(workspace.work_dir / ".lock"):
        _init_unless_done(workspace, environment, progress)
        return _plan(workspace, environment, var_files, extra_args, progress)


class PlanBatch:
    """Plans of one workspace in one emulator, one after another: init once, and one AWS
    provider process for all of them (local_cloud.terraform_shared_provider), so a dozen
    plans pay the provider's start-up once instead of four times each."""

    def __init__(self, workspace: Any, environment: str, progress: Progress) -> None:
        self._workspace = workspace
        self._environment = environment
        self._progress = progress

    def plan(self, var_files: Sequence[Path], extra_args: Sequence[str]) -> dict[str, Any]:
        with _exclusive(self._workspace.work_dir / ".lock"):
            return _plan(self._workspace, self._environment, var_files, extra_args, self._progress)


@contextmanager
def plan_batch(
    environment: str,
    endpoint: str,
    region: str,
    progress: Progress,
    work_dir: Path,
    module_dir: Path = REPO_ROOT / "terraform",
) -> Iterator[PlanBatch]:
    """A `PlanBatch` in its own `work_dir`: a `make preflight` running meanwhile in the
    default one re-initialises that, which a shared provider must never see."""
    from local_cloud.terraform_shared_provider import provider_binary, shared_provider

    workspace = _plan_workspace(environment, endpoint, region, module_dir, work_dir)
    with _exclusive(workspace.work_dir / ".lock"):
        _init_unless_done(workspace, environment, progress)
    binary = provider_binary(workspace.data_dir, module_dir)
    log_file = workspace.work_dir / "shared-provider.log"
    with shared_provider(binary, workspace.environment(), log_file) as reattach_env:
        workspace.extra_env = reattach_env
        yield PlanBatch(workspace, environment, progress)


def _plan_workspace(
    environment: str, endpoint: str, region: str, module_dir: Path, work_dir: Path
) -> Any:
    """The workspace plans run in, with the emulator's state bucket in place."""
    from local_cloud.terraform_local import STATE_BUCKET, LocalWorkspace

    class PlanOnlyWorkspace(LocalWorkspace):
        extra_env: Mapping[str, str] = {}

        def environment(self) -> dict[str, str]:
            env = super().environment()
            if environment != "local":
                env["AWS_ENDPOINT_URL"] = self.aws_endpoint
            return {**env, **self.extra_env}

    variables = {"aws_endpoint_url": endpoint} if environment == "local" else {}
    workspace = PlanOnlyWorkspace(
        aws_endpoint=endpoint,
        region=region,
        work_dir=work_dir,
        variables=variables,
        module_dir=module_dir,
    )
    _ensure_state_bucket(endpoint, region, STATE_BUCKET)
    workspace.work_dir.mkdir(parents=True, exist_ok=True)
    return workspace


@contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    """One preflight per workspace directory at a time: a shared TF_DATA_DIR is not safe."""
    import fcntl

    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _init_unless_done(workspace: Any, environment: str, progress: Progress) -> None:
    """init and select the workspace, unless done for this endpoint and these sources: a
    test session plans prod a dozen times in one emulator, and init costs 3 s each time."""
    stamp = workspace.work_dir / "initialised-for"
    wanted = _init_fingerprint(workspace, environment)
    if workspace.data_dir.is_dir() and stamp.is_file() and stamp.read_text() == wanted:
        return
    progress(f"terraform init against the emulator at {workspace.aws_endpoint}")
    stamp.unlink(missing_ok=True)
    with _as_preflight_error():
        workspace.init()
        workspace.run("workspace", "select", "-or-create", environment)
    stamp.write_text(wanted)


def _init_fingerprint(workspace: Any, environment: str) -> str:
    """What init's result depends on: the endpoint, the workspace and the module's sources
    (a new module block or provider needs init again)."""
    digest = hashlib.sha256(f"{workspace.aws_endpoint}\n{environment}\n".encode())
    module_dir = Path(workspace.module_dir)
    for path in sorted([*module_dir.rglob("*.tf"), *module_dir.glob(".terraform.lock.hcl")]):
        if ".terraform" not in path.relative_to(module_dir).parts[:-1]:
            digest.update(f"{path.relative_to(module_dir)}\n".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _plan(
    workspace: Any,
    environment: str,
    var_files: Sequence[Path],
    extra_args: Sequence[str],
    progress: Progress,
) -> dict[str, Any]:
    with _as_preflight_error(), tempfile.TemporaryDirectory(prefix="preflight-") as tmp:
        plan_file = Path(tmp) / "preflight.tfplan"
        progress(f"terraform plan for workspace {environment}")
        workspace.run(
            "plan",
            "-input=false",
            "-lock=false",
            "-no-color",
            f"-out={plan_file}",
            *[f"-var-file={f.resolve()}" for f in var_files],
            *workspace.var_args(),
            *extra_args,
        )
        shown = workspace.run("show", "-json", str(plan_file), capture=True)
    document: dict[str, Any] = json.loads(shown)
    return document


@contextmanager
def _as_preflight_error() -> Iterator[None]:
    from local_cloud.terraform_local import TerraformError as LocalTerraformError

    try:
        yield
    except LocalTerraformError as exc:
        raise TerraformError(str(exc)) from exc
