"""One start path: a request's names and its execution input follow from the delivery."""

from __future__ import annotations

from jira_workflow.domain.requests import RequestRecord, RequestState
from jira_workflow.services.start import RequestStart


def test_new_request_is_named_after_its_issue_and_delivery() -> None:
    start = RequestStart.of("OPS-7", "d-1")

    assert (start.execution_name, start.payload_key) == (
        "OPS-7-d-1",
        "webhooks/OPS-7/OPS-7-d-1.json",
    )


def test_execution_input_carries_references_only() -> None:
    assert RequestStart.of("OPS-7", "d-1").execution_input() == {
        "issueKey": "OPS-7",
        "payloadKey": "webhooks/OPS-7/OPS-7-d-1.json",
        "deliveryId": "d-1",
    }


def test_claimed_request_restarts_under_the_names_its_record_holds() -> None:
    record = RequestRecord(
        issue_key="OPS-7",
        state=RequestState.RECEIVED,
        execution_name="named-elsewhere",
        created_at="2026-11-29T00:00:00.000Z",
        updated_at="2026-11-29T00:00:00.000Z",
        delivery_id="d-1",
        payload_key="webhooks/OPS-7/other.json",
    )

    start = RequestStart.of_record(record)

    assert start.execution_input() == {
        "issueKey": "OPS-7",
        "payloadKey": "webhooks/OPS-7/other.json",
        "deliveryId": "d-1",
    }
    assert start.execution_name == "named-elsewhere"
