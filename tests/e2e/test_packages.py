"""The deployed functions run from the right zip: the mock API from its own, dev-only one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local_cloud.driver import LocalStackSession

pytestmark = pytest.mark.e2e

HOST_MANIFEST = Path(__file__).resolve().parents[2] / "build" / "lambda-host.json"


def test_mock_api_runs_from_its_own_zip_and_the_rest_from_the_product_zip(
    stack: LocalStackSession,
) -> None:
    manifest = json.loads(HOST_MANIFEST.read_text())
    functions = [
        function
        for page in stack.client("lambda").get_paginator("list_functions").paginate()
        for function in page["Functions"]
    ]
    by_handler = {function["Handler"]: function["CodeSha256"] for function in functions}

    mock = by_handler.pop("mock_apis.handlers.mock_external_api.handler")

    assert mock == manifest["mock"]["base64sha256"]
    assert by_handler
    assert set(by_handler.values()) == {manifest["base64sha256"]}
    assert all(handler.startswith("jira_workflow.handlers.") for handler in by_handler)
