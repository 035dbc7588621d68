"""The fake Jira's own ADF: the checks real Jira applies to a comment body, and plain
text in and out for tests."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from local_cloud.fake_jira.adf import adf_problems, adf_to_text, text_to_adf
from tests.support.adf_samples import NESTED_DOCUMENT, NESTED_TEXT


def test_adf_problems_names_what_is_wrong() -> None:
    assert adf_problems("text") == ["body must be an ADF document object"]
    problems = adf_problems(
        {"type": "page", "version": 2, "content": [{"type": "text", "text": ""}]}
    )
    assert "body.type must be 'doc'" in problems
    assert "body.version must be 1" in problems
    assert any("non-empty 'text'" in p for p in problems)


def test_adf_problems_point_at_the_nested_node() -> None:
    document = {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "ok"}, {"text": "x"}]},
            {"type": "paragraph", "content": "not a list"},
        ],
    }
    assert adf_problems(document) == [
        "body.content[0].content[1] must be an object with a string 'type'",
        "body.content[1].content must be an array",
    ]


def test_a_document_without_content_is_rejected() -> None:
    assert adf_problems({"type": "doc", "version": 1}) == ["body.content must be an array"]


def test_blank_lines_become_empty_paragraphs_not_empty_text_nodes() -> None:
    doc = text_to_adf("a\n\nb")
    assert doc["content"][1] == {"type": "paragraph", "content": []}
    assert adf_problems(doc) == []
    assert adf_problems(text_to_adf("")) == []


def test_adf_to_text_reads_nested_blocks_mentions_and_hard_breaks() -> None:
    assert adf_to_text(NESTED_DOCUMENT) == NESTED_TEXT


def test_adf_to_text_reads_null_as_empty_and_v2_strings_as_they_are() -> None:
    assert adf_to_text(None) == ""
    assert adf_to_text("v2 text") == "v2 text"


@given(st.lists(st.text(alphabet=st.characters(exclude_categories=["Cc", "Cs", "Zl", "Zp"]))))
def test_text_survives_a_round_trip(lines: list[str]) -> None:
    text = "\n".join(lines)
    doc = text_to_adf(text)
    assert adf_problems(doc) == []
    assert adf_to_text(doc) == text.strip("\n")
