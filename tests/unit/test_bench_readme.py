"""`make bench BENCH_ARGS=--readme README.md` rewrites only the figures block."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow_tools.bench.__main__ import README_END, README_START, Row, rewrite_readme

ROWS = [
    Row("cold start status", "300 ms", "boto3 250 ms", "1.20x", "<= 1.3x", True),
    Row("import requests", "50 ms", "import boto3 | 100 ms", "0.50x", "alone", None),
]


def test_the_block_between_the_markers_becomes_this_runs_table(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nbefore\n{README_START}\nold table\n{README_END}\nafter\n")

    rewrite_readme(readme, ROWS)

    text = readme.read_text()
    assert text.startswith("# Title\n\nbefore\n")
    assert text.endswith(f"{README_END}\nafter\n")
    assert "old table" not in text
    assert "| cold start status | 300 ms | boto3 250 ms | 1.20x | <= 1.3x | ok |" in text
    assert "import boto3 \\| 100 ms" in text  # a pipe in a cell does not split it


def test_a_readme_without_the_markers_is_an_error(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n")

    with pytest.raises(RuntimeError, match="make bench: start"):
        rewrite_readme(readme, ROWS)


def test_recorder_records_sharing_a_line_are_read_back_to_back() -> None:
    from workflow_tools.bench.stack import json_records

    text = '{"a": 1}\n{"b": 2}{"c": {"d": 3}}\n\n{"e": 4}\n'

    assert json_records(text) == [{"a": 1}, {"b": 2}, {"c": {"d": 3}}, {"e": 4}]
