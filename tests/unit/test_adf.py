"""The product's ADF helpers: plain text <-> Atlassian Document Format. What they write
is checked with the fake Jira's own ADF rules (`local_cloud.fake_jira.adf`), the oracle
the client is held to, which shares none of this code."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from jira_workflow.adapters.adf import adf_to_text, text_to_adf
from local_cloud.fake_jira import adf as fake_jira_adf
from local_cloud.fake_jira.adf import adf_problems
from tests.support.adf_samples import NESTED_DOCUMENT, NESTED_TEXT


def test_text_becomes_one_paragraph_per_line() -> None:
    doc = text_to_adf("Approval needed\nReply in Jira")
    assert doc["type"] == "doc"
    assert doc["version"] == 1
    assert [p["content"][0]["text"] for p in doc["content"]] == [
        "Approval needed",
        "Reply in Jira",
    ]


def test_blank_lines_become_empty_paragraphs_not_empty_text_nodes() -> None:
    doc = text_to_adf("a\n\nb")
    assert doc["content"][1] == {"type": "paragraph", "content": []}
    assert adf_problems(doc) == []


def test_empty_text_is_still_a_valid_document() -> None:
    assert adf_problems(text_to_adf("")) == []


def test_adf_to_text_reads_nested_blocks_and_hard_breaks() -> None:
    assert adf_to_text(NESTED_DOCUMENT) == NESTED_TEXT


def test_adf_to_text_tolerates_null_and_plain_strings() -> None:
    assert adf_to_text(None) == ""
    assert adf_to_text("v2 text") == "v2 text"


@given(st.lists(st.text(alphabet=st.characters(exclude_categories=["Cc", "Cs", "Zl", "Zp"]))))
def test_text_survives_a_round_trip(lines: list[str]) -> None:
    text = "\n".join(lines)
    doc = text_to_adf(text)
    assert adf_problems(doc) == []
    assert adf_to_text(doc) == text.strip("\n")


@given(st.lists(st.text(alphabet=st.characters(exclude_categories=["Cc", "Cs", "Zl", "Zp"]))))
def test_the_client_and_the_fake_jira_read_each_others_documents(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert fake_jira_adf.adf_to_text(text_to_adf(text)) == text.strip("\n")
    assert adf_to_text(fake_jira_adf.text_to_adf(text)) == text.strip("\n")
