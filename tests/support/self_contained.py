"""Fail any read of a path beside the repository: a user's clone has nothing next to it.

The project once read a reference file from a sibling folder that only our own machines
had; every test passed here and failed in a stranger's clone. This audit hook turns such a
read into an error during the test run, wherever the code that makes it lives.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

_WATCHED_EVENTS = frozenset({"open", "os.listdir", "os.scandir"})


class ReadOutsideRepository(PermissionError):
    """The code under test read a path next to the repository instead of inside it."""


def outside_the_repository(path: str, repo: Path) -> bool:
    """True for a path in the repository's parent folder that is not in the repository."""
    absolute = Path(os.path.abspath(path))  # not resolved: the path the code named
    return absolute.is_relative_to(repo.parent) and not absolute.is_relative_to(repo)


def install(repo: Path) -> None:
    repo = Path(os.path.abspath(repo))

    def refuse_reads_beside(event: str, args: tuple[Any, ...]) -> None:
        if event not in _WATCHED_EVENTS or not args:
            return
        target = args[0]
        if isinstance(target, bytes):
            target = os.fsdecode(target)
        if isinstance(target, str) and outside_the_repository(target, repo):
            raise ReadOutsideRepository(
                f"{target} is outside the repository ({repo}); commit what the code needs"
            )

    sys.addaudithook(refuse_reads_beside)
