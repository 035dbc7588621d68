#!/usr/bin/env python3
"""Find (or build) a CPython of the Lambda runtime's version, to compile the package's bytecode.

Lambda's /var/task is read-only, so a package without `.pyc` files compiles every module on
every cold start (about twice the import time). Bytecode is version-specific: only a 3.13
interpreter can write what the python3.13 runtime loads. Search order:

1. LAMBDA_PYTHON: an interpreter the user names (must be 3.13);
2. `python3.13` on PATH (CI images with setup-python, developer machines);
3. a copy this script built before, under .local/toolchain/;
4. otherwise build that copy from CPython's source release (Debian's pool carries the
   upstream tarball; CPYTHON_SOURCE_URL points elsewhere, the SHA-256 is checked either
   way). About two minutes on two cores, once per machine; needs a C compiler and make.

Usage: lambda_python.py  (prints the interpreter's path)
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
RUNTIME_VERSION = (3, 13)
SOURCE_VERSION = "3.13.5"
SOURCE_SHA256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
SOURCE_URL = (
    f"https://deb.debian.org/debian/pool/main/p/python3.13/python3.13_{SOURCE_VERSION}.orig.tar.xz"
)
ALLOWED_SCHEMES = ("https", "http", "file")  # file: a tarball copied onto an offline machine
TOOLCHAIN_DIR = REPO_ROOT / ".local" / "toolchain"
INSTALL_DIR = TOOLCHAIN_DIR / f"cpython-{SOURCE_VERSION}"
RUNTIME_NAME = "python{}.{}".format(*RUNTIME_VERSION)


class ToolchainError(Exception):
    """No usable interpreter; the message says what to do."""


def version_of(interpreter: str) -> tuple[int, int] | None:
    try:
        result = subprocess.run(
            [interpreter, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except OSError:
        return None
    if result.returncode != 0:
        return None
    major, minor = result.stdout.split()
    return int(major), int(minor)


def from_environment() -> str | None:
    named = os.environ.get("LAMBDA_PYTHON")
    if not named:
        return None
    if version_of(named) != RUNTIME_VERSION:
        raise ToolchainError(f"LAMBDA_PYTHON={named} is not a working {RUNTIME_NAME}")
    return named


def from_path() -> str | None:
    found = shutil.which(RUNTIME_NAME)
    return found if found and version_of(found) == RUNTIME_VERSION else None


def from_toolchain() -> str | None:
    built = INSTALL_DIR / "bin" / RUNTIME_NAME
    return str(built) if built.is_file() and version_of(str(built)) == RUNTIME_VERSION else None


def download_source(into: Path) -> Path:
    url = os.environ.get("CPYTHON_SOURCE_URL", SOURCE_URL)
    if urllib.parse.urlsplit(url).scheme not in ALLOWED_SCHEMES:
        raise ToolchainError(f"CPYTHON_SOURCE_URL must be one of {ALLOWED_SCHEMES}: {url}")
    tarball = into / Path(urllib.parse.urlsplit(url).path).name
    print(f"==> downloading CPython {SOURCE_VERSION} source from {url}", file=sys.stderr)
    try:
        # Scheme checked above; the SHA-256 check below covers whatever the mirror sends.
        with urllib.request.urlopen(url, timeout=120) as response, tarball.open("wb") as out:  # noqa: S310
            shutil.copyfileobj(response, out)
    except OSError as exc:
        raise ToolchainError(
            f"cannot download {url} ({exc}); set LAMBDA_PYTHON to a {RUNTIME_NAME} instead"
        ) from None
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    if digest != SOURCE_SHA256:
        raise ToolchainError(f"{tarball.name} has SHA-256 {digest}, expected {SOURCE_SHA256}")
    return tarball


def run_logged(command: list[str], cwd: Path, log: Path) -> None:
    with log.open("a") as out:
        result = subprocess.run(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        raise ToolchainError(f"`{' '.join(command)}` failed (exit {result.returncode}); see {log}")


def build_from_source() -> str:
    """Configure, make and install CPython under .local/toolchain (no pip, no tests)."""
    TOOLCHAIN_DIR.mkdir(parents=True, exist_ok=True)
    log = TOOLCHAIN_DIR / f"cpython-{SOURCE_VERSION}-build.log"
    log.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(dir=TOOLCHAIN_DIR) as scratch:
        with tarfile.open(download_source(Path(scratch))) as archive:
            archive.extractall(scratch, filter="data")
        source = Path(scratch) / f"Python-{SOURCE_VERSION}"
        staging = TOOLCHAIN_DIR / f".cpython-{SOURCE_VERSION}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        print(
            f"==> building CPython {SOURCE_VERSION} once, for the package's bytecode "
            f"(2-3 minutes on two cores; log: {log})",
            file=sys.stderr,
        )
        run_logged(["./configure", f"--prefix={INSTALL_DIR}", "--without-ensurepip"], source, log)
        run_logged(["make", f"-j{os.cpu_count() or 2}"], source, log)
        # DESTDIR keeps a half-finished install out of INSTALL_DIR until it is whole.
        run_logged(["make", "install", f"DESTDIR={staging}"], source, log)
    shutil.rmtree(INSTALL_DIR, ignore_errors=True)
    (staging / INSTALL_DIR.relative_to("/")).rename(INSTALL_DIR)
    shutil.rmtree(staging, ignore_errors=True)
    built = from_toolchain()
    if built is None:
        raise ToolchainError(f"the CPython built under {INSTALL_DIR} does not run; see {log}")
    return built


def runtime_python() -> str:
    """Path of a CPython matching the Lambda runtime, building one if none is found."""
    return from_environment() or from_path() or from_toolchain() or build_from_source()


def main() -> int:
    try:
        print(runtime_python())
    except ToolchainError as error:
        print(f"lambda_python: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
