"""The repository reads nothing beside itself: the guard every test runs under works."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.self_contained import ReadOutsideRepository, outside_the_repository

REPO = Path(__file__).resolve().parents[2]


def test_reading_a_sibling_folder_fails_the_test() -> None:
    sibling = REPO.parent / "sibling-folder" / "anything.json"
    with pytest.raises(ReadOutsideRepository, match="outside the repository"):
        sibling.open()


def test_relative_escapes_are_caught_too() -> None:
    assert outside_the_repository(str(REPO / ".." / "sibling-folder" / "x"), REPO)
    assert not outside_the_repository(str(REPO / "tests" / "conftest.py"), REPO)
    assert not outside_the_repository("/usr/lib/python3/os.py", REPO)


def test_no_tracked_file_names_a_sibling_folder() -> None:
    # The static half of the guard: nothing committed points users or code next door.
    found = subprocess.run(  # noqa: S603 - fixed arguments
        [shutil.which("git") or "git", "grep", "-nE", r"\.\./shared|shared[/]reference", "--", "."],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode == 128:
        pytest.skip("not a git checkout (an unpacked archive): nothing to grep")
    assert found.returncode == 1, found.stdout
