#!/usr/bin/env python3
"""Find (or build) a CPython of the Lambda runtime's version, to compile the package's bytecode.

Lambda's /var/task is read-only, so a package without `.pyc` files compiles every module on
every cold start (about twice the import time). Bytecode is version-specific: only a 3.13
interpreter can write what the python3.13 runtime loads. Search order, first hit wins:

1. LAMBDA_PYTHON: an interpreter the user names (must be 3.13);
2. `python3.13` on PATH, if it runs (a pyenv shim for a version not selected does not);
3. a 3.13 that a version manager installed but did not select: pyenv (PYENV_ROOT),
   asdf (ASDF_DATA_DIR), uv (UV_PYTHON_INSTALL_DIR), each at its documented default too;
4. a copy this script built before, under .local/toolchain/;
5. otherwise build that copy from CPython's source release, about 2.5 minutes on two cores,
   once per clone; needs a C compiler and make. The tarball is the one Debian's archive
   carries, fetched from the Debian mirror this machine's apt sources name (or
   DEBIAN_MIRROR, or a full CPYTHON_SOURCE_URL); its SHA-256 is checked either way.

Usage: lambda_python.py  (prints the interpreter's path)
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

from workflow_tools import REPO_ROOT

RUNTIME_VERSION = (3, 13)
SOURCE_VERSION = "3.13.5"
SOURCE_SHA256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
# Where Debian's archive keeps the upstream tarball, below any mirror's root.
SOURCE_POOL_PATH = f"pool/main/p/python3.13/python3.13_{SOURCE_VERSION}.orig.tar.xz"
APT_SOURCES = (Path("/etc/apt/sources.list"), Path("/etc/apt/sources.list.d"))
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


def version_manager_candidates() -> list[Path]:
    """Where pyenv, asdf and uv keep the interpreters they installed, newest patch first."""
    home = Path.home()
    roots = {
        "pyenv": Path(os.environ.get("PYENV_ROOT", home / ".pyenv")) / "versions" / "3.13*",
        "asdf": Path(os.environ.get("ASDF_DATA_DIR", home / ".asdf"))
        / "installs"
        / "python"
        / "3.13*",
        "uv": Path(os.environ.get("UV_PYTHON_INSTALL_DIR", home / ".local/share/uv/python"))
        / "cpython-3.13*",
    }
    found = [
        Path(match) / "bin" / RUNTIME_NAME
        for pattern in roots.values()
        for match in glob.glob(str(pattern))
    ]
    return sorted(found, key=_patch_level, reverse=True)


def _patch_level(interpreter: Path) -> tuple[int, ...]:
    match = re.search(r"3\.13\.(\d+)", str(interpreter))
    return (int(match.group(1)),) if match else (-1,)


def from_version_managers() -> str | None:
    for candidate in version_manager_candidates():
        if candidate.is_file() and version_of(str(candidate)) == RUNTIME_VERSION:
            return str(candidate)
    return None


def from_toolchain() -> str | None:
    built = INSTALL_DIR / "bin" / RUNTIME_NAME
    return str(built) if built.is_file() and version_of(str(built)) == RUNTIME_VERSION else None


def apt_debian_mirrors(sources: tuple[Path, ...] | None = None) -> list[str]:
    """The Debian archive roots this machine's apt is configured with, in file order.

    Reads both formats: one-line `deb URI suite ...` (sources.list, *.list) and deb822
    `URIs:` fields (*.sources). Security archives hold no `pool/main/p/python3.13`.
    """
    files: list[Path] = []
    for source in APT_SOURCES if sources is None else sources:
        if source.is_dir():
            files += sorted(p for p in source.iterdir() if p.suffix in (".list", ".sources"))
        elif source.is_file():
            files.append(source)
    mirrors: list[str] = []
    for path in files:
        for uri in _uris_in(path.read_text(encoding="utf-8", errors="replace")):
            root = uri.rstrip("/")
            if root.endswith("/debian") and root not in mirrors:
                mirrors.append(root)
    return mirrors


def _uris_in(text: str) -> list[str]:
    uris: list[str] = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if words[:1] == ["deb-src"] or not words:
            continue
        if words[0] == "deb":
            uris += [w for w in words[1:] if "://" in w][:1]
        elif words[0] == "URIs:":
            uris += words[1:]
    return uris


def source_url() -> str:
    """CPYTHON_SOURCE_URL, else the tarball below DEBIAN_MIRROR or apt's Debian mirror."""
    if named := os.environ.get("CPYTHON_SOURCE_URL"):
        return named
    mirror = os.environ.get("DEBIAN_MIRROR") or next(iter(apt_debian_mirrors()), None)
    if mirror is None:
        raise ToolchainError(
            f"no {RUNTIME_NAME} found and no Debian mirror in the apt sources to fetch its "
            f"source from: set LAMBDA_PYTHON to a {RUNTIME_NAME}, DEBIAN_MIRROR to a Debian "
            "archive root, or CPYTHON_SOURCE_URL to the tarball"
        )
    return f"{mirror.rstrip('/')}/{SOURCE_POOL_PATH}"


def download_source(into: Path) -> Path:
    url = source_url()
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
    return (
        from_environment()
        or from_path()
        or from_version_managers()
        or from_toolchain()
        or build_from_source()
    )


def main() -> int:
    try:
        print(runtime_python())
    except ToolchainError as error:
        print(f"lambda_python: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
