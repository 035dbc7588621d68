"""The Lambda runner hashes each uploaded zip once, not on every invocation (hashing the
8 MB package was about 15 % of a warm flow's time)."""

from __future__ import annotations

import io
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_cloud import lambda_runner
from local_cloud.lambda_runner import CodeHashes, CodeStore


@pytest.fixture
def hash_calls(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    calls: list[bytes] = []
    real = lambda_runner.code_hash

    def counting(code: bytes) -> str:
        calls.append(code)
        return real(code)

    monkeypatch.setattr(lambda_runner, "code_hash", counting)
    return calls


@pytest.fixture
def restored_import_state() -> Iterator[None]:
    finders, modules = list(sys.meta_path), set(sys.modules)
    yield
    sys.meta_path[:] = finders
    for name in set(sys.modules) - modules:
        del sys.modules[name]


def _zip_of_package(package: str, source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{package}/__init__.py", source)
    return buffer.getvalue()


def test_one_upload_is_hashed_once_however_often_it_runs(hash_calls: list[bytes]) -> None:
    hashes = CodeHashes()
    code = _zip_of_package("probe", "")

    first, second = hashes.of(code), hashes.of(code)

    assert first == second == lambda_runner.code_hash(code)
    assert len(hash_calls) == 2  # once by CodeHashes, once by this test's own check


def test_a_new_upload_is_hashed_again(hash_calls: list[bytes]) -> None:
    hashes = CodeHashes()
    old, new = _zip_of_package("probe", "A = 1"), _zip_of_package("probe", "A = 2")

    assert hashes.of(old) != hashes.of(new)
    assert hash_calls == [old, new]


def test_only_the_latest_uploads_are_remembered(hash_calls: list[bytes]) -> None:
    hashes = CodeHashes(keep=2)
    uploads = [_zip_of_package("probe", f"A = {n}") for n in range(3)]
    for code in uploads:
        hashes.of(code)

    hashes.of(uploads[2])
    hashes.of(uploads[0])

    assert hash_calls == [*uploads, uploads[0]]


def test_two_invocations_of_one_upload_hash_the_zip_once(
    tmp_path: Path, hash_calls: list[bytes], restored_import_state: None
) -> None:
    store = CodeStore(tmp_path)
    code = _zip_of_package("hash_probe_fns", "def handler(event, context):\n    return 1\n")

    store.ensure_importable(code, "hash_probe_fns.handler")
    store.ensure_importable(code, "hash_probe_fns.handler")

    assert hash_calls == [code]


def test_a_stack_of_functions_invoked_in_turn_hashes_each_upload_once(
    hash_calls: list[bytes],
) -> None:
    # The local stack uploads one zip per function (a dozen, plus the mock API's).
    hashes = CodeHashes()
    uploads = [_zip_of_package("probe", f"A = {n}") for n in range(13)]

    for _ in range(3):
        for code in uploads:
            hashes.of(code)

    assert hash_calls == uploads
