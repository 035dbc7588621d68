#!/usr/bin/env python3
"""Build the content-hashed Lambda packages: the product's, and the dev-only mock's.

The product zip holds `lambdas/jira_workflow` plus the pinned runtime dependencies from
requirements/runtime.txt, and nothing dev-only. The mock zip holds `lambdas/mock_apis`
(deployed only with `enable_mock_apis`), the product package whose boundary helpers it
imports, and only the dependencies that import chain needs (MOCK_DEPENDENCIES). Both are
reproducible: entries sorted, timestamps fixed, so the same sources give the same bytes
and Terraform only redeploys on a real change.

It also holds bytecode. /var/task is read-only, so without `.pyc` files every cold start
compiles every module it imports (about twice the import time). The `.pyc` files are
compiled by an interpreter of the target's version (workflow_tools/lambda_python.py finds or
builds a 3.13) with hash-based, unchecked invalidation: their bytes depend on the source
only, never on timestamps, and the runtime loads them without re-reading the source.

Targets (`--platform`):
  lambda  (default) arm64 / CPython 3.13 wheels for the AWS Lambda runtime; writes
          build/lambda-<sha256-12>.zip, build/lambda-mock-<sha256-12>.zip and
          build/lambda.json.
  host    wheels for this interpreter (the local emulator runs the handlers in-process on
          the developer's Python); writes build/lambda-host-<sha256-12>.zip,
          build/lambda-host-mock-<sha256-12>.zip and build/lambda-host.json.

Powertools is bundled from the pinned requirements rather than taken from AWS's public
layer: the layer ARN differs per region and architecture and does not exist in the local
emulator, while the bundled copy is the one version every test tier runs.

The manifest is {"path": ..., "sha256": ..., "base64sha256": ..., "bytecode": ...,
"mock": {"path": ..., "sha256": ..., "base64sha256": ...}}: the top level describes the
product zip, "mock" the mock zip; paths are relative to the repository root, base64sha256
is what Lambda's `source_code_hash` compares.

The pip step is cached per target and skipped while requirements/runtime.txt is unchanged.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workflow_tools import REPO_ROOT, lambda_python

PACKAGE_DIR = REPO_ROOT / "lambdas" / "jira_workflow"
MOCK_PACKAGE_DIR = REPO_ROOT / "lambdas" / "mock_apis"
SOURCE_DIRS = (PACKAGE_DIR, MOCK_PACKAGE_DIR)
REQUIREMENTS = REPO_ROOT / "requirements" / "runtime.txt"
BUILD_DIR = REPO_ROOT / "build"

# The Lambda Python runtime ships boto3/botocore/s3transfer, and they are ~25 MB unzipped:
# bundling them would bloat every cold start and pin an SDK older than the runtime's patches.
# `--no-deps` on a fully pinned file, so nothing pulls them back in transitively.
PROVIDED_BY_RUNTIME = frozenset({"boto3", "botocore", "s3transfer"})

# Zip entries get one fixed timestamp (the earliest a zip can hold) so the bytes are stable.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
SKIPPED_PARTS = frozenset({"__pycache__", "tests"})  # a dependency's own tests (certifi's)
SKIPPED_SUFFIXES = frozenset({".pyc", ".pyo"})  # stray caches; the build compiles its own
LAMBDA_TASK_ROOT = "/var/task"

# What the mock handler's import chain loads beyond the standard library and the SDK the
# runtime provides (tests/terraform/test_build_lambda.py imports it from its zip alone).
MOCK_DEPENDENCIES = frozenset(
    {
        "aws_lambda_powertools",
        "jmespath",
        "typing_extensions",
    }
)


@dataclass(frozen=True)
class Package:
    """One zip: which packages from lambdas/ and which bundled dependencies it holds."""

    name: str
    sources: frozenset[str]
    dependencies: frozenset[str] | None  # top-level import names; None: every one

    def holds(self, archive_name: str) -> bool:
        owner = top_level_name(archive_name)
        if owner in {source.name for source in SOURCE_DIRS}:
            return owner in self.sources
        return self.dependencies is None or owner in self.dependencies


PRODUCT = Package("product", frozenset({PACKAGE_DIR.name}), dependencies=None)
MOCK = Package(
    "mock", frozenset({MOCK_PACKAGE_DIR.name, PACKAGE_DIR.name}), dependencies=MOCK_DEPENDENCIES
)


@dataclass(frozen=True)
class Target:
    """One build flavour: which wheels pip fetches and where the result goes."""

    name: str
    pip_platform_args: tuple[str, ...]
    zip_prefix: str
    manifest_name: str
    bytecode_compiler: Callable[[], str]  # path of an interpreter of the target's version


TARGETS = {
    "lambda": Target(
        name="lambda",
        pip_platform_args=(
            "--platform",
            "manylinux2014_aarch64",
            "--implementation",
            "cp",
            "--python-version",
            "3.13",
            "--only-binary=:all:",
        ),
        zip_prefix="lambda",
        manifest_name="lambda.json",
        bytecode_compiler=lambda_python.runtime_python,
    ),
    # The lambda build with wheels for this machine's architecture: the same 3.13 bytecode,
    # loadable here, so `make bench` times cold starts as the runtime pays them.
    "runtime-host": Target(
        name="runtime-host",
        pip_platform_args=(
            "--platform",
            f"manylinux2014_{platform.machine()}",
            "--implementation",
            "cp",
            "--python-version",
            "3.13",
            "--only-binary=:all:",
        ),
        zip_prefix="lambda-runtime-host",
        manifest_name="lambda-runtime-host.json",
        bytecode_compiler=lambda_python.runtime_python,
    ),
    "host": Target(
        name="host",
        pip_platform_args=(),
        zip_prefix="lambda-host",
        manifest_name="lambda-host.json",
        bytecode_compiler=lambda: sys.executable,
    ),
}


class BuildError(Exception):
    """A build step failed; the message is the one-line reason printed to the user."""


def package_name(requirement_line: str) -> str:
    """Normalised distribution name of a `name==version` line (PEP 503)."""
    name = requirement_line.split(";", maxsplit=1)[0].split("[", maxsplit=1)[0]
    for separator in ("==", ">=", "<=", "~=", "!=", ">", "<"):
        name = name.split(separator)[0]
    return name.strip().lower().replace("_", "-").replace(".", "-")


def bundled_requirements(requirements_text: str) -> list[str]:
    """Pinned lines of runtime.txt minus what the Lambda runtime already provides."""
    lines = []
    for raw in requirements_text.splitlines():
        line = raw.split("#")[0].strip()
        if line and package_name(line) not in PROVIDED_BY_RUNTIME:
            lines.append(line)
    return lines


def install_dependencies(target: Target, requirements: list[str], deps_dir: Path) -> None:
    """pip-install the requirements into deps_dir unless the cached copy matches them."""
    fingerprint = hashlib.sha256(
        json.dumps([sys.version_info[:2], target.pip_platform_args, requirements]).encode()
    ).hexdigest()
    stamp = deps_dir / ".requirements-sha256"
    if stamp.is_file() and stamp.read_text() == fingerprint:
        print(f"==> dependencies unchanged, reusing {deps_dir.relative_to(REPO_ROOT)}")
        return

    print(f"==> installing {len(requirements)} pinned dependencies for {target.name}")
    shutil.rmtree(deps_dir, ignore_errors=True)
    deps_dir.mkdir(parents=True)
    requirements_file = deps_dir.parent / f"requirements-{target.name}.txt"
    requirements_file.write_text("\n".join(requirements) + "\n")
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-deps",
        "--no-compile",  # pip would use this interpreter; compile_bytecode uses the target's
        "--target",
        str(deps_dir),
        *target.pip_platform_args,
        "-r",
        str(requirements_file),
    ]
    result = subprocess.run(command, check=False)
    if result.returncode != 0:
        shutil.rmtree(deps_dir, ignore_errors=True)
        raise BuildError(f"pip install failed for target {target.name} (exit {result.returncode})")
    # pip's own bookkeeping is not needed at runtime and `bin/` scripts carry host paths.
    shutil.rmtree(deps_dir / "bin", ignore_errors=True)
    stamp.write_text(fingerprint)


def top_level_name(archive_name: str) -> str:
    """The importable name an entry belongs to: `pydantic/main.py` and
    `pydantic-2.14.4.dist-info/RECORD` -> pydantic, `__pycache__/six.cpython-313.pyc` -> six."""
    first, _, rest = archive_name.partition("/")
    if first == "__pycache__":
        first = rest.split(".", 1)[0]
    return first.split("-", 1)[0].removesuffix(".py")


def package_files(deps_dir: Path) -> dict[str, Path]:
    """Archive name -> source file, for the dependencies plus every package in lambdas/."""
    files: dict[str, Path] = {}
    roots = ((deps_dir, ""), *((source, f"{source.name}/") for source in SOURCE_DIRS))
    for root, prefix in roots:
        for path in root.rglob("*"):
            relative = path.relative_to(root)
            if (
                path.is_dir()
                or SKIPPED_PARTS.intersection(relative.parts)
                or path.suffix in SKIPPED_SUFFIXES
                or path.name == ".requirements-sha256"
            ):
                continue
            files[f"{prefix}{relative.as_posix()}"] = path
    return files


def write_zip(files: dict[str, Path], destination: Path) -> None:
    """Deterministic zip: sorted entries, fixed timestamps and permissions."""
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16  # rw-r--r--: Lambda needs read, never write
            archive.writestr(info, files[name].read_bytes())


def stage(files: dict[str, Path], into: Path) -> None:
    """Copy the package's sources into a scratch tree the compiler may write into."""
    for name, source in files.items():
        destination = into / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)


def compile_bytecode(interpreter: str, tree: Path) -> str:
    """Write `__pycache__/*.pyc` beside every module; returns the interpreter's cache tag.

    Paths inside the bytecode are rewritten to /var/task, where Lambda unpacks the zip, so
    the bytes do not depend on where this build ran.
    """
    command = [
        interpreter,
        "-m",
        "compileall",
        "-qq",
        "-j0",
        "--invalidation-mode=unchecked-hash",
        "-s",
        str(tree),
        "-p",
        LAMBDA_TASK_ROOT,
        str(tree),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BuildError(f"compiling bytecode with {interpreter} failed: {result.stdout[-300:]}")
    tag = subprocess.run(
        [interpreter, "-c", "import sys; print(sys.implementation.cache_tag)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return tag.stdout.strip()


def tree_files(tree: Path) -> dict[str, Path]:
    return {path.relative_to(tree).as_posix(): path for path in tree.rglob("*") if path.is_file()}


def bytecode_compiler(target: Target) -> str:
    try:
        return target.bytecode_compiler()
    except lambda_python.ToolchainError as error:
        raise BuildError(str(error)) from None


def build_for_emulator() -> dict[str, object]:
    """The host build the local stack runs (build/lambda-host.json); cached when unchanged."""
    return build(TARGETS["host"])


def build(target: Target) -> dict[str, object]:
    for source in SOURCE_DIRS:
        if not source.is_dir():
            raise BuildError(f"package source {source} not found")
    if not REQUIREMENTS.is_file():
        raise BuildError(f"{REQUIREMENTS} not found")

    BUILD_DIR.mkdir(exist_ok=True)
    deps_dir = BUILD_DIR / f"deps-{target.name}"
    install_dependencies(target, bundled_requirements(REQUIREMENTS.read_text()), deps_dir)
    interpreter = bytecode_compiler(target)

    # A unique scratch directory: two builds at once (`make local` beside `make bench`) no
    # longer write the same partial zip.
    with tempfile.TemporaryDirectory(dir=BUILD_DIR, prefix=f".{target.name}-") as scratch:
        tree = Path(scratch) / "package"
        stage(package_files(deps_dir), tree)
        cache_tag = compile_bytecode(interpreter, tree)  # once, for both zips
        files = tree_files(tree)
        product = zip_package(target.zip_prefix, PRODUCT, files, Path(scratch), cache_tag)
        mock = zip_package(f"{target.zip_prefix}-mock", MOCK, files, Path(scratch), cache_tag)

    manifest: dict[str, object] = {**product, "bytecode": cache_tag, "mock": mock}
    (BUILD_DIR / target.manifest_name).write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"==> manifest build/{target.manifest_name}")
    return manifest


def zip_package(
    zip_prefix: str, package: Package, files: dict[str, Path], scratch: Path, cache_tag: str
) -> dict[str, str]:
    """Zip the package's share of the compiled tree as build/<zip_prefix>-<sha256-12>.zip."""
    chosen = {name: path for name, path in files.items() if package.holds(name)}
    print(f"==> zipping {len(chosen)} files for the {package.name} zip (bytecode: {cache_tag})")
    partial = scratch / f"{package.name}.zip"
    write_zip(chosen, partial)
    digest = hashlib.sha256(partial.read_bytes()).digest()
    final = BUILD_DIR / f"{zip_prefix}-{digest.hex()[:12]}.zip"
    partial.replace(final)
    remove_older_builds(zip_prefix, keep=final)
    print(f"==> {final.relative_to(REPO_ROOT)} ({final.stat().st_size / 1_000_000:.1f} MB)")
    return {
        "path": final.relative_to(REPO_ROOT).as_posix(),
        "sha256": digest.hex(),
        "base64sha256": base64.b64encode(digest).decode(),
    }


def remove_older_builds(zip_prefix: str, keep: Path) -> None:
    own_zip = re.compile(rf"{re.escape(zip_prefix)}-[0-9a-f]{{12}}\.zip")
    for stale in BUILD_DIR.iterdir():  # older builds of this target only
        if stale != keep and own_zip.fullmatch(stale.name):
            stale.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="See the module docstring for the targets and the manifest format.",
    )
    parser.add_argument(
        "--platform",
        choices=sorted(TARGETS),
        default="lambda",
        help="lambda: arm64/py3.13 for AWS (default); host: this interpreter, for the emulator",
    )
    args = parser.parse_args(argv)
    try:
        build(TARGETS[args.platform])
    except BuildError as error:
        print(f"build_lambda: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
