"""The Lambda package builder and the Terraform CLI-config writer, without network or AWS."""

from __future__ import annotations

import hashlib
import lzma
import marshal
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from local_cloud import terraform_cli_config
from workflow_tools import build_lambda, lambda_python


def test_runtime_provided_sdk_is_not_bundled() -> None:
    requirements = "boto3==1.0\nbotocore==1.44.8\ns3transfer==0.1\npydantic==2.14.4  # why\n\n# c\n"
    assert build_lambda.bundled_requirements(requirements) == ["pydantic==2.14.4"]


def test_package_names_are_normalised() -> None:
    assert build_lambda.package_name("aws_lambda_powertools==3.37.0") == "aws-lambda-powertools"
    assert build_lambda.package_name("Typing.Extensions>=4 ; python_version<'3.12'") == (
        "typing-extensions"
    )


def test_zip_is_byte_for_byte_reproducible(tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "pkg").mkdir(parents=True)
    (source / "pkg" / "b.py").write_text("B = 2\n")
    (source / "pkg" / "a.py").write_text("A = 1\n")
    files = {"pkg/b.py": source / "pkg" / "b.py", "pkg/a.py": source / "pkg" / "a.py"}

    first, second = tmp_path / "1.zip", tmp_path / "2.zip"
    build_lambda.write_zip(files, first)
    (source / "pkg" / "a.py").touch()  # a newer mtime must not change the bytes
    build_lambda.write_zip(dict(reversed(list(files.items()))), second)

    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert archive.namelist() == ["pkg/a.py", "pkg/b.py"]
        assert {info.date_time for info in archive.infolist()} == {build_lambda.ZIP_EPOCH}


def test_package_files_skip_bytecode_and_the_cache_stamp(tmp_path: Path) -> None:
    deps = tmp_path / "deps"
    (deps / "lib" / "__pycache__").mkdir(parents=True)
    (deps / "lib" / "__init__.py").write_text("")
    (deps / "lib" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (deps / ".requirements-sha256").write_text("abc")

    names = build_lambda.package_files(deps)

    assert "lib/__init__.py" in names
    assert not [name for name in names if name.endswith(".pyc") or "sha256" in name]
    assert "jira_workflow/__init__.py" in names  # the package itself is always included


def _compiled_tree(root: Path) -> dict[str, bytes]:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "mod.py").write_text("def answer():\n    return 42\n")
    build_lambda.compile_bytecode(sys.executable, root)
    return {name: path.read_bytes() for name, path in build_lambda.tree_files(root).items()}


def test_bytecode_is_the_same_wherever_the_build_ran(tmp_path: Path) -> None:
    first = _compiled_tree(tmp_path / "one")
    second = _compiled_tree(tmp_path / "elsewhere" / "two")

    tag = sys.implementation.cache_tag
    assert f"pkg/__pycache__/mod.{tag}.pyc" in first
    assert first == second


def test_bytecode_is_loaded_without_checking_the_source_and_names_var_task(
    tmp_path: Path,
) -> None:
    pyc = _compiled_tree(tmp_path)[f"pkg/__pycache__/mod.{sys.implementation.cache_tag}.pyc"]

    flags = int.from_bytes(pyc[4:8], "little")
    assert flags == 0b01  # hash-based, check_source off: /var/task is never re-read
    code = marshal.loads(pyc[16:])  # noqa: S302 - bytes this test just compiled
    assert code.co_filename == "/var/task/pkg/mod.py"


def test_a_named_interpreter_of_the_wrong_version_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LAMBDA_PYTHON", sys.executable)
    if lambda_python.version_of(sys.executable) == lambda_python.RUNTIME_VERSION:
        pytest.skip("this interpreter is the runtime's version")

    with pytest.raises(lambda_python.ToolchainError, match="LAMBDA_PYTHON"):
        lambda_python.runtime_python()


def test_a_source_tarball_with_another_checksum_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forged = tmp_path / "Python.tar.xz"
    with lzma.open(forged, "wb") as out, tarfile.open(fileobj=out, mode="w") as archive:
        archive.addfile(tarfile.TarInfo("Python-3.13.5/README"))
    assert hashlib.sha256(forged.read_bytes()).hexdigest() != lambda_python.SOURCE_SHA256
    monkeypatch.setenv("CPYTHON_SOURCE_URL", forged.as_uri())
    download_dir = tmp_path / "download"
    download_dir.mkdir()

    with pytest.raises(lambda_python.ToolchainError, match="expected"):
        lambda_python.download_source(download_dir)


def _mirror(root: Path, platform: str) -> Path:
    (root / "registry.terraform.io" / "hashicorp" / "aws" / "5.100.0" / platform).mkdir(
        parents=True
    )
    return root


def test_cli_config_uses_a_mirror_that_holds_the_provider(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mirror = _mirror(tmp_path / "mirror", terraform_cli_config.host_platform())
    monkeypatch.setenv("TF_PROVIDER_MIRROR", str(mirror))

    config = terraform_cli_config.render_config(
        terraform_cli_config.find_mirror(["hashicorp/aws"]), ["hashicorp/aws"]
    )

    assert f'path    = "{mirror.resolve()}"' in config
    assert 'exclude = ["registry.terraform.io/hashicorp/aws"]' in config


def test_mirror_for_another_platform_is_ignored(tmp_path: Path) -> None:
    mirror = _mirror(tmp_path / "mirror", "plan9_mips")
    assert not terraform_cli_config.holds_providers(mirror, ["hashicorp/aws"])


def test_without_a_mirror_the_registry_is_used() -> None:
    config = terraform_cli_config.render_config(None, ["hashicorp/aws"])
    assert "provider_installation" not in config


# ---- Finding a 3.13 before building one; where its source comes from ----------------


def _fake_interpreter(path: Path, prints: str = "3 13") -> Path:
    path.parent.mkdir(parents=True)
    path.write_text(f"#!/bin/sh\necho {prints}\n")
    path.chmod(0o755)
    return path


def test_a_pyenv_install_that_is_not_selected_is_used_before_building(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "pyenv"
    _fake_interpreter(root / "versions" / "3.13.2" / "bin" / "python3.13")
    newest = _fake_interpreter(root / "versions" / "3.13.10" / "bin" / "python3.13")
    _fake_interpreter(root / "versions" / "3.12.1" / "bin" / "python3.12", prints="3 12")
    monkeypatch.setenv("PYENV_ROOT", str(root))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no asdf or uv installs there

    assert lambda_python.from_version_managers() == str(newest)


def test_asdf_and_uv_installs_are_found_at_their_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    for name in ("PYENV_ROOT", "ASDF_DATA_DIR", "UV_PYTHON_INSTALL_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    asdf = _fake_interpreter(home / ".asdf/installs/python/3.13.1/bin/python3.13")
    uv = _fake_interpreter(
        home / ".local/share/uv/python/cpython-3.13.4-linux-x86_64-gnu/bin/python3.13"
    )

    assert lambda_python.version_manager_candidates() == [uv, asdf]


def test_the_debian_mirror_comes_from_the_apt_sources(tmp_path: Path) -> None:
    listing = tmp_path / "sources.list"
    listing.write_text(
        "# a comment\n"
        "deb-src http://src.example/debian bookworm main\n"
        "deb [arch=amd64] http://mirror.example/debian bookworm main\n"
        "deb http://mirror.example/debian-security bookworm-security main\n"
    )
    parts = tmp_path / "sources.list.d"
    parts.mkdir()
    (parts / "debian.sources").write_text(
        "Types: deb\nURIs: http://other.example/debian/\nSuites: bookworm\n"
    )
    (parts / "ignored.disabled").write_text("deb http://nobody.example/debian x main\n")

    assert lambda_python.apt_debian_mirrors((listing, parts)) == [
        "http://mirror.example/debian",
        "http://other.example/debian",
    ]


def test_the_source_url_is_below_the_named_mirror(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CPYTHON_SOURCE_URL", raising=False)
    monkeypatch.setenv("DEBIAN_MIRROR", "https://mirror.example/debian/")
    mirror = "https://mirror.example/debian"
    assert lambda_python.source_url() == f"{mirror}/{lambda_python.SOURCE_POOL_PATH}"
    assert lambda_python.SOURCE_POOL_PATH.endswith(f"{lambda_python.SOURCE_VERSION}.orig.tar.xz")


def test_no_mirror_and_no_interpreter_says_what_to_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CPYTHON_SOURCE_URL", raising=False)
    monkeypatch.delenv("DEBIAN_MIRROR", raising=False)
    monkeypatch.setattr(lambda_python, "APT_SOURCES", (tmp_path / "none",))
    with pytest.raises(lambda_python.ToolchainError, match=r"LAMBDA_PYTHON.*DEBIAN_MIRROR"):
        lambda_python.source_url()
