"""Preflight inits a workspace once per endpoint and Terraform sources, not once per plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from workflow_tools.preflight.terraform import _init_unless_done


@dataclass
class CountingWorkspace:
    module_dir: Path
    work_dir: Path
    aws_endpoint: str = "http://127.0.0.1:4566"
    calls: list[str] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.work_dir / "data"

    def init(self) -> None:
        self.calls.append("init")
        self.data_dir.mkdir(parents=True, exist_ok=True)

    def run(self, *args: str) -> str:
        self.calls.append(" ".join(args[:2]))
        return ""


def workspace(tmp_path: Path) -> CountingWorkspace:
    module = tmp_path / "terraform"
    (module / "modules" / "queue").mkdir(parents=True)
    (module / "main.tf").write_text('module "queue" { source = "./modules/queue" }\n')
    (module / "modules" / "queue" / "main.tf").write_text("")
    return CountingWorkspace(module_dir=module, work_dir=tmp_path / "work")


def inits(ws: CountingWorkspace) -> int:
    return ws.calls.count("init")


def test_a_second_plan_with_the_same_sources_skips_init(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    ws.work_dir.mkdir()

    _init_unless_done(ws, "prod", lambda _: None)
    _init_unless_done(ws, "prod", lambda _: None)

    assert inits(ws) == 1
    assert ws.calls == ["init", "workspace select"]


def test_changed_sources_another_endpoint_or_workspace_init_again(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    ws.work_dir.mkdir()
    _init_unless_done(ws, "prod", lambda _: None)

    (ws.module_dir / "modules" / "queue" / "main.tf").write_text('module "dlq" {}\n')
    _init_unless_done(ws, "prod", lambda _: None)
    ws.aws_endpoint = "http://127.0.0.1:5000"
    _init_unless_done(ws, "prod", lambda _: None)
    _init_unless_done(ws, "staging", lambda _: None)

    assert inits(ws) == 4


def test_a_deleted_data_dir_inits_again(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    ws.work_dir.mkdir()
    _init_unless_done(ws, "prod", lambda _: None)

    ws.data_dir.rmdir()
    _init_unless_done(ws, "prod", lambda _: None)

    assert inits(ws) == 2
