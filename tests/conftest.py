"""Fixtures every tier shares: a clean process state per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities import parameters

from jira_workflow import container
from jira_workflow.models.settings import Settings
from jira_workflow.observability import metrics
from mock_apis.handlers import mock_external_api
from tests.support import self_contained, shared_botocore_loader

self_contained.install(Path(__file__).resolve().parent.parent)
shared_botocore_loader.install()


@pytest.fixture(autouse=True)
def clean_process_state(monkeypatch: pytest.MonkeyPatch) -> None:
    """No settings, cached clients, secrets or metrics leak from one test into the next."""
    for name in Settings.environment_names():
        if name in os.environ:
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "jira-workflow-test")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "JiraWorkflow")
    container.reset()
    parameters.clear_caches()  # type: ignore[no-untyped-call]  # Powertools leaves it unannotated
    metrics.clear_metrics()
    mock_external_api.mock_api.cache_clear()
