#!/usr/bin/env python3
"""Write a Terraform CLI config that installs providers from a local mirror when one exists.

Terraform only looks in a filesystem mirror it is told about, and this repo must `terraform
init` offline on machines that carry one (CI images, air-gapped hosts) and online as usual
everywhere else. The script looks for a mirror that holds the providers the root modules
need, and writes a CLI config to OUTPUT:

* mirror found:  `filesystem_mirror` for those providers, `direct` for everything else, so
  `init` never touches the network for them;
* no mirror:     a config without `provider_installation`, i.e. the registry as usual.

A mirror is a directory laid out as `<root>/registry.terraform.io/<ns>/<type>/<version>/<os_arch>/`
(the layout `terraform providers mirror` and unpacked plugin dirs share). Search order: the
TF_PROVIDER_MIRROR environment variable, Terraform's documented implied-mirror directories,
then a shallow scan of the usual places images put shared tooling.

Usage: terraform_cli_config.py OUTPUT [--provider hashicorp/aws]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

REGISTRY_HOST = "registry.terraform.io"
DEFAULT_PROVIDERS = ("hashicorp/aws",)
# Terraform's implied local mirror directories on Unix (see "Implied Local Mirror Directories").
IMPLIED_MIRROR_DIRS = (
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)
# Where images commonly unpack shared tooling; scanned a few levels deep only, so it stays fast.
SCAN_ROOTS = ("/opt", "/usr/local", "/usr/share", "/srv", "~")
SCAN_DEPTH = 4


def host_platform() -> str:
    """Terraform's `<os>_<arch>` name for this machine, e.g. linux_amd64."""
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        machine, machine
    )
    return f"{sys.platform.replace('win32', 'windows')}_{arch}"


def holds_providers(root: Path, providers: Iterable[str]) -> bool:
    """True when root has a build for this platform of every provider in `providers`."""
    plat = host_platform()
    for provider in providers:
        provider_dir = root / REGISTRY_HOST / provider
        if not provider_dir.is_dir():
            return False
        if not any((version / plat).is_dir() for version in provider_dir.iterdir()):
            return False
    return True


def scan(root: Path, depth: int) -> Iterator[Path]:
    """Yield directories under root (breadth first, up to depth) that contain REGISTRY_HOST."""
    frontier = [root]
    for _ in range(depth + 1):
        next_frontier: list[Path] = []
        for directory in frontier:
            try:
                children = [child for child in directory.iterdir() if child.is_dir()]
            except OSError:  # unreadable or vanished: not a mirror
                continue
            if any(child.name == REGISTRY_HOST for child in children):
                yield directory
            next_frontier.extend(c for c in children if not c.is_symlink())
        frontier = next_frontier


def candidate_mirrors() -> Iterator[Path]:
    override = os.environ.get("TF_PROVIDER_MIRROR")
    if override:
        yield Path(override).expanduser()
    for directory in IMPLIED_MIRROR_DIRS:
        yield Path(directory).expanduser()
    for root in SCAN_ROOTS:
        root_path = Path(root).expanduser()
        if root_path.is_dir():
            yield from scan(root_path, SCAN_DEPTH)


def find_mirror(providers: Iterable[str]) -> Path | None:
    wanted = tuple(providers)
    for candidate in candidate_mirrors():
        if candidate.is_dir() and holds_providers(candidate, wanted):
            return candidate.resolve()
    return None


def render_config(mirror: Path | None, providers: Iterable[str]) -> str:
    header = "# Written by local_cloud.terraform_cli_config; do not edit, re-run `make tf-init`.\n"
    if mirror is None:
        return header + "# No local provider mirror found: providers come from the registry.\n"
    addresses = ", ".join(f'"{REGISTRY_HOST}/{p}"' for p in providers)
    return (
        header
        + "provider_installation {\n"
        + "  filesystem_mirror {\n"
        + f'    path    = "{mirror}"\n'
        + f"    include = [{addresses}]\n"
        + "  }\n"
        + "  # Everything else from its origin registry; mirrored providers never go online.\n"
        + "  direct {\n"
        + f"    exclude = [{addresses}]\n"
        + "  }\n"
        + "}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", type=Path, help="where to write the CLI config file")
    parser.add_argument(
        "--provider",
        action="append",
        dest="providers",
        metavar="NS/TYPE",
        help="provider the mirror must hold (repeatable; default hashicorp/aws)",
    )
    args = parser.parse_args(argv)
    providers = tuple(args.providers or DEFAULT_PROVIDERS)

    mirror = find_mirror(providers)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render_config(mirror, providers))
    where = f"mirror {mirror}" if mirror else "registry (no local mirror found)"
    print(f"==> terraform providers from {where}; CLI config {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
