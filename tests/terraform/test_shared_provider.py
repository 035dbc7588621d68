"""One AWS provider process for a batch of terraform commands (terraform_shared_provider): the
locked build is the one started, terraform really talks to it, and it stops with the batch."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from local_cloud import terraform_cli_config
from local_cloud.terraform_cli_config import host_platform
from local_cloud.terraform_shared_provider import (
    SharedProviderError,
    provider_binary,
    shared_provider,
)
from workflow_tools import REPO_ROOT

LOCK = """provider "registry.terraform.io/hashicorp/aws" {
  version     = "%s"
  constraints = "~> 5.100"
}
"""
MINIMAL_CONFIG = """terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}
"""


def installed(data_dir: Path, version: str) -> Path:
    build_dir = (
        data_dir / "providers/registry.terraform.io/hashicorp/aws" / version / host_platform()
    )
    build_dir.mkdir(parents=True)
    binary = build_dir / f"terraform-provider-aws_v{version}_x5"
    binary.write_text("")
    return binary


def test_the_build_the_lock_file_pins_is_chosen_among_installed_ones(tmp_path: Path) -> None:
    (tmp_path / ".terraform.lock.hcl").write_text(LOCK % "5.100.0")
    installed(tmp_path / "data", "5.99.0")
    wanted = installed(tmp_path / "data", "5.100.0")

    assert provider_binary(tmp_path / "data", tmp_path) == wanted


def test_an_uninitialised_data_dir_is_named_in_the_error(tmp_path: Path) -> None:
    (tmp_path / ".terraform.lock.hcl").write_text(LOCK % "5.100.0")
    installed(tmp_path / "data", "5.99.0")

    with pytest.raises(SharedProviderError, match="run terraform init with this data dir"):
        provider_binary(tmp_path / "data", tmp_path)


def test_a_module_without_a_lock_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SharedProviderError, match="does not pin"):
        provider_binary(tmp_path / "data", tmp_path)


def terraform(module: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = ["terraform", f"-chdir={module}", *args, "-no-color"]
    # The terraform on PATH with fixed arguments, as the Makefile runs it.
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A one-provider module initialised from the same mirror or registry the repo uses."""
    module = tmp_path_factory.mktemp("module")
    (module / "main.tf").write_text(MINIMAL_CONFIG)
    lock = (REPO_ROOT / "terraform" / ".terraform.lock.hcl").read_text()
    (module / ".terraform.lock.hcl").write_text(lock)
    cli_config = module / "cli.tfrc"
    terraform_cli_config.main([str(cli_config)])
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(cli_config), "TF_DATA_DIR": str(module / "data")}
    init = terraform(module, env, "init", "-input=false")
    assert init.returncode == 0, init.stderr
    return module, env


def test_terraform_is_served_by_the_shared_process_which_stops_with_the_batch(
    initialised: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    module, env = initialised
    binary = provider_binary(module / "data", module)

    with shared_provider(binary, env, tmp_path / "provider.log") as reattach:
        served = terraform(module, {**env, **reattach}, "validate")
        assert served.returncode == 0, served.stderr

    # The same variables now point at nothing: terraform was using the shared process.
    orphaned = terraform(module, {**env, **reattach}, "validate")
    assert orphaned.returncode != 0
    assert "Reattachment process not found" in " ".join(orphaned.stderr.split())
