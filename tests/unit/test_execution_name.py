"""Execution names: valid for Step Functions, stable per delivery, distinct across deliveries."""

from __future__ import annotations

import re

from hypothesis import assume, example, given
from hypothesis import strategies as st

from jira_workflow.domain.execution_name import (
    MAX_NAME_LENGTH,
    execution_name,
    reconciler_delivery_id,
)

VALID_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")

# Arbitrary text, plus the shapes Jira actually sends, plus some very long identifiers.
any_text = st.text(max_size=200) | st.text(min_size=300, max_size=2000)
issue_keys = st.from_regex(r"[A-Z][A-Z0-9_]{0,9}-[1-9][0-9]{0,5}", fullmatch=True) | any_text
delivery_ids = st.uuids().map(str) | st.from_regex(r"[a-z0-9-]{1,60}", fullmatch=True) | any_text


@given(issue_key=issue_keys, delivery_id=delivery_ids)
@example(issue_key="OPS-1", delivery_id="x" * 500)
@example(issue_key="ÄÖÜ-1", delivery_id="😀")
@example(issue_key="", delivery_id="")
def test_name_is_valid_for_step_functions(issue_key: str, delivery_id: str) -> None:
    name = execution_name(issue_key, delivery_id)

    assert len(name) <= MAX_NAME_LENGTH
    assert VALID_NAME.fullmatch(name), name


@given(issue_key=issue_keys, delivery_id=delivery_ids)
def test_same_delivery_always_gets_the_same_name(issue_key: str, delivery_id: str) -> None:
    assert execution_name(issue_key, delivery_id) == execution_name(issue_key, delivery_id)


@given(first=st.tuples(issue_keys, delivery_ids), second=st.tuples(issue_keys, delivery_ids))
@example(first=("OPS-1", "2-abc"), second=("OPS-1-2", "abc"))
@example(first=("OPS-1", "a b"), second=("OPS-1", "a_b"))
@example(first=("OPS-1", "é"), second=("OPS-1", "è"))
@example(first=("x" * 70 + "\0", "b"), second=("x" * 70, "\0b"))
@example(first=("OPS-1", "a" * 100), second=("OPS-1", "a" * 101))
@example(first=("OPS-1", "a" * 100 + "b"), second=("OPS-1", "a" * 100 + "c"))
def test_different_deliveries_never_share_a_name(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    assume(first != second)
    assert execution_name(*first) != execution_name(*second)


# Near misses that random pairs almost never hit: one string split in two places, and a
# pair next to its own sanitised lookalike.
near_text = st.text(alphabet="AB12-_ é\0", max_size=90)
dashed_names = st.lists(st.text(alphabet="AB12_ é\0", max_size=12), min_size=3, max_size=8).map(
    "-".join
)


@given(name=dashed_names, data=st.data())
def test_splitting_at_a_different_dash_changes_the_name(name: str, data: st.DataObject) -> None:
    # ("A-1", "2-x") and ("A-1-2", "x") both read "A-1-2-x": one must not be readable.
    dashes = [index for index, char in enumerate(name) if char == "-"]
    i, j = data.draw(st.lists(st.sampled_from(dashes), min_size=2, max_size=2, unique=True))
    first = (name[:i], name[i + 1 :])
    second = (name[:j], name[j + 1 :])

    assert execution_name(*first) != execution_name(*second)


@given(issue_key=near_text, delivery_id=near_text)
def test_sanitised_lookalike_gets_a_different_name(issue_key: str, delivery_id: str) -> None:
    lookalike = (
        re.sub(r"[^A-Za-z0-9_-]", "_", issue_key),
        re.sub(r"[^A-Za-z0-9_-]", "_", delivery_id),
    )
    assume(lookalike != (issue_key, delivery_id))

    assert execution_name(issue_key, delivery_id) != execution_name(*lookalike)


@given(
    issue_key=st.from_regex(r"[A-Z][A-Z0-9_]{0,9}-[1-9][0-9]{0,5}", fullmatch=True),
    delivery_id=st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True),
)
def test_readable_ids_stay_readable(issue_key: str, delivery_id: str) -> None:
    assert execution_name(issue_key, delivery_id) == f"{issue_key}-{delivery_id}"


def test_jira_delivery_uuid_gives_issue_and_uuid_name() -> None:
    delivery = "0b9c8a3e-6f2d-4c1a-9e7b-1d2c3b4a5f60"
    assert execution_name("OPS-1", delivery) == f"OPS-1-{delivery}"
    assert execution_name("OPS-1", "abc") == "OPS-1-abc"


def test_unsafe_characters_keep_a_readable_prefix() -> None:
    name = execution_name("OPS-1", "delivery/with spaces")

    assert name.startswith("OPS-1-delivery_with_spaces-")


def test_over_long_readable_name_is_truncated_with_a_hash() -> None:
    name = execution_name("OPS-1", "d" * 200)

    assert len(name) == MAX_NAME_LENGTH
    assert name.startswith("OPS-1-ddd")


@given(issue_key=issue_keys, observed_at=st.text(max_size=60), other=st.text(max_size=60))
def test_reconciler_delivery_id_is_stable_and_distinct(
    issue_key: str, observed_at: str, other: str
) -> None:
    delivery = reconciler_delivery_id(issue_key, observed_at)

    assert delivery == reconciler_delivery_id(issue_key, observed_at)
    assert delivery.startswith("reconciler-")
    if other != observed_at:
        assert delivery != reconciler_delivery_id(issue_key, other)
