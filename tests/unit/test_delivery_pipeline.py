"""The delivery pipeline's shape: dev -> staging -> prod, prod gated, OIDC only, actions pinned.

actionlint (in `make lint`) checks the workflows are valid; these tests check they say what
docs/runbooks/deploy.md promises.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
LONG_LIVED_KEY = re.compile(
    r"AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)|aws-access-key-id"
)


def load(name: str) -> dict[Any, Any]:
    workflow: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    return workflow


def needs(job: dict[str, Any]) -> set[str]:
    value = job.get("needs", [])
    return {value} if isinstance(value, str) else set(value)


def ancestors(jobs: dict[str, Any], name: str) -> set[str]:
    found: set[str] = set()
    for parent in needs(jobs[name]):
        found |= {parent} | ancestors(jobs, parent)
    return found


def environment(job: dict[str, Any]) -> str | None:
    value = job.get("environment")
    return value.get("name") if isinstance(value, dict) else value


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if str(s.get("uses", "")).startswith(action + "@")]


@pytest.fixture(scope="module")
def deploy_jobs() -> dict[str, Any]:
    jobs: dict[str, Any] = load("deploy.yml")["jobs"]
    return jobs


def test_deploy_runs_on_push_to_main_only() -> None:
    # PyYAML reads the bare key `on` as True (YAML 1.1).
    triggers = load("deploy.yml")[True]
    assert triggers == {"push": {"branches": ["main"]}}


def test_deploy_goes_dev_then_staging_then_prod(deploy_jobs: dict[str, Any]) -> None:
    applies = {environment(job): name for name, job in deploy_jobs.items() if environment(job)}
    assert set(applies) == {"dev", "staging", "prod"}
    assert applies["dev"] in ancestors(deploy_jobs, applies["staging"])
    assert applies["staging"] in ancestors(deploy_jobs, applies["prod"])
    assert not ancestors(deploy_jobs, applies["dev"]) & {applies["staging"], applies["prod"]}


def test_only_the_prod_job_uses_the_protected_prod_environment(
    deploy_jobs: dict[str, Any],
) -> None:
    assert [name for name, job in deploy_jobs.items() if environment(job) == "prod"] == [
        "deploy-prod"
    ]


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_each_apply_uses_the_plan_saved_earlier_in_the_run(
    deploy_jobs: dict[str, Any], env: str
) -> None:
    plan, apply = deploy_jobs[f"plan-{env}"], deploy_jobs[f"deploy-{env}"]
    assert f"plan-{env}" in needs(apply)
    uploaded = steps_using(plan, "actions/upload-artifact")
    downloaded = steps_using(apply, "actions/download-artifact")
    assert [s["with"]["name"] for s in uploaded] == [f"plan-{env}"]
    assert [s["with"]["name"] for s in downloaded] == [f"plan-{env}"]
    assert f".local/terraform/{env}.tfplan" in uploaded[0]["with"]["path"]
    runs = [str(s.get("run", "")) for s in apply["steps"]]
    assert any(f"make apply-plan ENV={env} PLAN=.local/terraform/{env}.tfplan" in r for r in runs)
    assert any(f"make smoke ENV={env}" in r for r in runs)
    assert not any(re.search(r"make apply\b(?!-plan)|terraform apply", r) for r in runs)
    plans = [str(s.get("run", "")) for s in plan["steps"]]
    assert any(f"make preflight ENV={env} PREFLIGHT_AWS=1" in r for r in plans)


@pytest.mark.parametrize("name", sorted(p.name for p in WORKFLOWS.glob("*.yml")))
def test_every_action_is_pinned_to_a_commit(name: str) -> None:
    jobs = load(name)["jobs"]
    uses = [s["uses"] for job in jobs.values() for s in job.get("steps", []) if "uses" in s]
    assert uses
    assert [u for u in uses if not PINNED.match(u)] == []


@pytest.mark.parametrize("name", sorted(p.name for p in WORKFLOWS.glob("*.yml")))
def test_aws_access_is_oidc_only(name: str) -> None:
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    assert not LONG_LIVED_KEY.search(text)
    workflow = load(name)
    assert workflow["permissions"] == {"contents": "read"}
    for job_name, job in workflow["jobs"].items():
        credentials = steps_using(job, "aws-actions/configure-aws-credentials")
        if credentials:
            assert job.get("permissions", {}).get("id-token") == "write", job_name
            assert all(
                s["with"]["role-to-assume"].startswith("${{ vars.")
                or s["with"]["role-to-assume"].startswith("${{ matrix.")
                for s in credentials
            )
        else:
            assert "id-token" not in job.get("permissions", {}), job_name


def test_pull_requests_test_then_plan_and_check_every_workspace() -> None:
    jobs = load("pr.yml")["jobs"]
    assert any("make test" in str(s.get("run", "")) for s in jobs["test"]["steps"])
    assert needs(jobs["plan"]) == {"test"}
    matrix = jobs["plan"]["strategy"]["matrix"]["include"]
    assert [m["environment"] for m in matrix] == ["dev", "staging", "prod"]
    runs = " ".join(str(s.get("run", "")) for s in jobs["plan"]["steps"])
    assert "make preflight" in runs
    assert "PREFLIGHT_AWS=1" in runs
    assert "GITHUB_STEP_SUMMARY" in runs
