"""One AWS provider process for a batch of terraform commands run one after another.

Terraform starts the provider afresh for each phase of each command: a plan starts it three
times, `show -json` once, each `terraform test` run about twice, and each start costs the
AWS provider's initialisation (about 1.2 s of CPU). The mocked `terraform test` files and
the dozen preflight plans of the weakened prod tfvars paid that about 150 times per
`make test`. Here the provider is started once in its debug server mode and terraform is
pointed at it with TF_REATTACH_PROVIDERS, which is how HashiCorp's own provider test
framework runs providers. The commands and the provider binary are the same; only the
process is reused.

For test batches only, never for apply or a user's plan, because:
- the provider reads its environment once, at start, so every command must want the same
  AWS credentials and endpoint;
- one process serves every configuration of the provider, so commands must run one at a
  time and must not alias the provider;
- `terraform init` must have installed the provider first (a reattached provider is never
  installed), and must not run while the provider is shared.

Usage: python -m local_cloud.terraform_shared_provider --data-dir DIR --module DIR
       [--log FILE] -- COMMAND ...
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from local_cloud.terraform_cli_config import REGISTRY_HOST, host_platform

PROVIDER = "hashicorp/aws"
READY_SECONDS = 60.0
STOP_SECONDS = 10.0
REATTACH_LINE = re.compile(r"TF_REATTACH_PROVIDERS='(?P<value>\{.*\})'")
PROVIDER_ADDRESS = re.escape(f"{REGISTRY_HOST}/{PROVIDER}")
LOCKED_VERSION = re.compile(rf'provider "{PROVIDER_ADDRESS}" \{{\s*version\s*=\s*"(?P<v>[^"]+)"')


class SharedProviderError(RuntimeError):
    """The provider could not be found or did not start as a debug server."""


def provider_binary(data_dir: Path, module_dir: Path) -> Path:
    """The installed build of the version the module's lock file pins."""
    lock_file = module_dir / ".terraform.lock.hcl"
    match = LOCKED_VERSION.search(lock_file.read_text()) if lock_file.is_file() else None
    if not match:
        raise SharedProviderError(f"{lock_file} does not pin {REGISTRY_HOST}/{PROVIDER}")
    version = match.group("v")
    build_dir = data_dir / "providers" / REGISTRY_HOST / PROVIDER / version / host_platform()
    builds = sorted(build_dir.glob(f"terraform-provider-{PROVIDER.rsplit('/', 1)[1]}_*"))
    if len(builds) != 1:
        raise SharedProviderError(
            f"no single provider build in {build_dir}: run terraform init with this data dir"
        )
    return builds[0]


@contextmanager
def shared_provider(
    binary: Path, env: Mapping[str, str], log_file: Path
) -> Iterator[dict[str, str]]:
    """Run `binary` as a debug server; yields the variables that point terraform at it."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    # Debug mode logs every call at TRACE (80 MB for the test files) unless the provider's
    # and the SDK's loggers are set; they follow TF_LOG, as in a normal run, else stay off.
    quiet = env.get("TF_LOG", "off")
    provider_env = {"TF_LOG_PROVIDER": quiet, "TF_LOG_SDK": quiet, **env}
    # A custom CA bundle is applied to the provider's HTTP client at its first configuration
    # and refused at the second ("unable to add custom RootCAs HTTPClient"). Batches talk
    # to mocks or to the emulator over plain HTTP, which never uses it.
    provider_env.pop("AWS_CA_BUNDLE", None)
    with log_file.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [str(binary), "-debug"],
            env=provider_env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield {"TF_REATTACH_PROVIDERS": _reattach_value(process, log_file)}
        finally:
            _stop(process)


def _reattach_value(process: subprocess.Popen[bytes], log_file: Path) -> str:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        found = REATTACH_LINE.search(log_file.read_text(encoding="utf-8", errors="replace"))
        if found:
            return found.group("value")
        if process.poll() is not None:
            raise SharedProviderError(f"the provider exited ({process.returncode}); see {log_file}")
        time.sleep(0.05)
    raise SharedProviderError(f"the provider printed no reattach line in {READY_SECONDS:g} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Ctrl-C is how a debug-mode provider is asked to stop (it removes its socket)."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_with_shared_provider(
    command: Sequence[str], data_dir: Path, module_dir: Path, log_file: Path
) -> int:
    binary = provider_binary(data_dir, module_dir)
    with shared_provider(binary, os.environ, log_file) as reattach:
        # close_fds=False: a make run here keeps its parent's jobserver.
        env = {**os.environ, **reattach}
        return subprocess.run(command, env=env, check=False, close_fds=False).returncode


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="TF_DATA_DIR after init")
    parser.add_argument("--module", type=Path, required=True, help="module whose lock pins it")
    parser.add_argument("--log", type=Path, default=Path(".local/terraform/shared-provider.log"))
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND ...")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    try:
        return run_with_shared_provider(command, args.data_dir, args.module, args.log)
    except SharedProviderError as exc:
        print(f"shared provider: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
