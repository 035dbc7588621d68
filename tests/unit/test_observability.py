"""Log lines carry the X-Ray trace id without an in-code tracer."""

from __future__ import annotations

import io
import json
import logging

import pytest

from jira_workflow.observability import logger

TRACE_ID = "1-5759e988-bd862e3fe1be46a994272793"
TRACE_HEADER = f"Root={TRACE_ID};Parent=53995c3f42cd8ad8;Sampled=1"


def _logged_line(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    monkeypatch.setattr(handler, "stream", stream)
    logger.info("request received")
    return dict(json.loads(stream.getvalue().strip().splitlines()[-1]))


def test_a_log_line_carries_the_trace_id_that_lambda_sets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("_X_AMZN_TRACE_ID", TRACE_HEADER)

    assert _logged_line(monkeypatch)["xray_trace_id"] == TRACE_ID


def test_each_invocation_logs_its_own_trace_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_X_AMZN_TRACE_ID", TRACE_HEADER)
    _logged_line(monkeypatch)
    other = "1-6759e988-0123456789abcdef01234567"
    monkeypatch.setenv("_X_AMZN_TRACE_ID", f"Root={other};Sampled=0")

    assert _logged_line(monkeypatch)["xray_trace_id"] == other


def test_without_a_trace_the_line_has_no_trace_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)

    assert "xray_trace_id" not in _logged_line(monkeypatch)
