"""`run_checkov.py --all`: the defaults and each var file scanned once, then the skip audit,
against a stand-in checkov that records its calls."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest

from tests.terraform import run_checkov

SKIP = {
    "check_id": "CKV_AWS_1",
    "resource": "aws_s3_bucket.this",
    "check_result": {"suppress_comment": "why it is skipped"},
}
FAILURE = {
    "check_id": "CKV_AWS_2",
    "resource": "aws_kms_key.this",
    "check_name": "a failed check",
    "file_path": "/main.tf",
    "file_line_range": [1, 2],
}


def fake_checkov(tmp_path: Path, fail_in_plain: bool, skip_suppresses: bool) -> tuple[str, Path]:
    """A checkov that reports SKIP on the real directory (and, if `skip_suppresses`, the
    skipped check as failed on the copy without skips); FAILURE too if `fail_in_plain`."""
    calls = tmp_path / "calls.jsonl"
    script = tmp_path / "checkov"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        "args = sys.argv[1:]\n"
        f"open({str(calls)!r}, 'a').write(json.dumps(args) + '\\n')\n"
        "directory = args[args.index('--directory') + 1]\n"
        f"stripped = directory != {str(tmp_path / 'terraform')!r}\n"
        f"skip, failure = {json.dumps(SKIP)!r}, {json.dumps(FAILURE)!r}\n"
        "failed = [json.loads(failure)] if not stripped and "
        f"{fail_in_plain} else []\n"
        f"if stripped and {skip_suppresses}:\n"
        "    failed.append({**json.loads(skip), 'check_name': 'x', 'file_path': '/m.tf', "
        "'file_line_range': [1, 1]})\n"
        "skipped = [] if stripped else [json.loads(skip)]\n"
        "print(json.dumps({'summary': {'passed': 3}, "
        "'results': {'failed_checks': failed, 'skipped_checks': skipped}}))\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    (tmp_path / "terraform").mkdir()
    return str(script), calls


def calls_of(calls: Path) -> list[list[str]]:
    return [json.loads(line) for line in calls.read_text().splitlines()]


def run_all(tmp_path: Path, checkov: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(run_checkov, "REPO_ROOT", tmp_path)
    var_file = tmp_path / "prod.tfvars"
    var_file.write_text("")
    directory = str(tmp_path / "terraform")
    return run_checkov.main(
        ["--checkov", checkov, "--directory", directory, "--all", "--var-file", str(var_file)]
    )


def test_all_scans_each_configuration_once_plus_once_without_skips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkov, calls = fake_checkov(tmp_path, fail_in_plain=False, skip_suppresses=True)

    assert run_all(tmp_path, checkov, monkeypatch) == 0

    scans = calls_of(calls)
    assert len(scans) == 4  # was 6: the audit rescanned what the two reports had scanned
    plain = [s for s in scans if s[s.index("--directory") + 1] == str(tmp_path / "terraform")]
    assert sorted("--var-file" in s for s in plain) == [False, True]


def test_all_fails_on_a_failed_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checkov, _ = fake_checkov(tmp_path, fail_in_plain=True, skip_suppresses=True)

    assert run_all(tmp_path, checkov, monkeypatch) == 1


def test_all_fails_on_a_skip_that_suppresses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    checkov, _ = fake_checkov(tmp_path, fail_in_plain=False, skip_suppresses=False)

    assert run_all(tmp_path, checkov, monkeypatch) == 1
    assert "IDLE SKIP CKV_AWS_1 aws_s3_bucket.this" in capsys.readouterr().out
