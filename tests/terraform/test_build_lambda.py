"""The Lambda package builder and the Terraform CLI-config writer, without network or AWS
(the package tests build the host zips from the pinned, locally cached wheels)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import lzma
import marshal
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from local_cloud import terraform_cli_config
from tests.support.lambda_events import api_event
from workflow_tools import REPO_ROOT, build_lambda, lambda_python


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
    assert "mock_apis/__init__.py" in names  # split off into the mock zip, see below


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


# ---- what each zip holds: the real builder, host target ----------------------------------

# Words that mark dev-only code: mock APIs, fakes, the local cloud, test suites.
DEV_ONLY = re.compile(r"mock|fake|local_cloud|tests?/|conftest", re.IGNORECASE)
# What the Lambda Python runtime provides beside the standard library (boto3 and its deps).
RUNTIME_SDK = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    """build/lambda-host.json after a real host build (dependencies cached under build/)."""
    return build_lambda.build(build_lambda.TARGETS["host"])


def zip_names(manifest: dict[str, Any]) -> list[str]:
    with zipfile.ZipFile(REPO_ROOT / manifest["path"]) as archive:
        return archive.namelist()


def test_top_level_name_covers_packages_modules_metadata_and_bytecode() -> None:
    assert build_lambda.top_level_name("pydantic/main.py") == "pydantic"
    assert build_lambda.top_level_name("pydantic_core-2.50.5.dist-info/RECORD") == "pydantic_core"
    assert build_lambda.top_level_name("typing_extensions.py") == "typing_extensions"
    assert build_lambda.top_level_name("__pycache__/six.cpython-313.pyc") == "six"
    assert build_lambda.top_level_name("mock_apis/handlers/mock_external_api.py") == "mock_apis"


def test_production_zip_holds_no_mock_or_fake_code(built: dict[str, Any]) -> None:
    names = zip_names(built)

    dev_only = [n for n in names if DEV_ONLY.search(n)]
    assert dev_only == []
    assert not {build_lambda.top_level_name(n) for n in names} & {"mock_apis", "tests", "scripts"}
    assert "jira_workflow/handlers/webhook.py" in names


def test_no_zip_holds_the_xray_sdk_or_pydantic(built: dict[str, Any]) -> None:
    # Active tracing is Lambda's and Step Functions'; the SDK is in maintenance (issue 15).
    # Every document is checked by hand (models/reader.py): no validation library either.
    for manifest in (built, built["mock"]):
        owners = {build_lambda.top_level_name(name) for name in zip_names(manifest)}
        assert "jira_workflow" in owners
        assert not owners & {"aws_xray_sdk", "wrapt", "pydantic", "pydantic_core"}


def test_mock_zip_holds_the_mock_handler_and_only_what_it_imports(built: dict[str, Any]) -> None:
    names = zip_names(built["mock"])
    owners = {build_lambda.top_level_name(name) for name in names}

    assert "mock_apis/handlers/mock_external_api.py" in names
    assert "mock_apis/services/mock_external_api.py" in names
    assert owners == build_lambda.MOCK_DEPENDENCIES | {"mock_apis", "jira_workflow"}
    assert built["mock"]["path"] != built["path"]
    assert len(names) < len(zip_names(built))


def test_mock_zip_answers_on_its_own(built: dict[str, Any], tmp_path: Path) -> None:
    """Imported from its extracted zip, the standard library and the runtime's SDK alone."""
    code = tmp_path / "task"
    with zipfile.ZipFile(REPO_ROOT / built["mock"]["path"]) as archive:
        archive.extractall(code)  # noqa: S202 - the zip this module just built
    sdk = tmp_path / "runtime-sdk"
    sdk.mkdir()
    for name in RUNTIME_SDK:
        origin = Path(str(importlib.util.find_spec(name).origin))  # type: ignore[union-attr]
        source = origin.parent if origin.name == "__init__.py" else origin
        (sdk / source.name).symlink_to(source)
    script = (
        "import json, sys\n"
        "from mock_apis.handlers import mock_external_api as mock\n"
        "class Context:\n"
        "    function_name = 'mock'; memory_limit_in_mb = 128; aws_request_id = 'r'\n"
        "    invoked_function_arn = 'arn:aws:lambda:eu-west-1:123456789012:function:mock'\n"
        "answer = mock.handler(json.loads(sys.argv[1]), Context())\n"
        "loaded = {m.__file__ for m in list(sys.modules.values()) if getattr(m, '__file__', 0)}\n"
        "print(json.dumps({'answer': answer, 'files': sorted(loaded)}))\n"
    )
    event = api_event("GET", "/mock/faults")

    result = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        # No site-packages (-S, -s); the import path is Lambda's: the zip, then the runtime's SDK.
        [sys.executable, "-s", "-S", "-c", script, json.dumps(event)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "PYTHONPATH": f"{code}:{sdk}",
        },
    )

    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["answer"]["statusCode"] == 200
    ours = [f for f in report["files"] if "jira_workflow" in f or "mock_apis" in f]
    assert ours
    assert all(f.startswith(str(code)) for f in ours)
