"""Webhook HMAC signatures: what verify_signature accepts and, above all, what it refuses."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from jira_workflow.domain.errors import BadSignature
from jira_workflow.domain.signature import sign, verify_signature

bodies = st.binary(max_size=2048)
secrets = st.text(min_size=1, max_size=64)


@given(body=bodies, secret=secrets)
def test_signed_body_verifies_with_its_secret(body: bytes, secret: str) -> None:
    header = sign(body, secret)

    assert header.startswith("sha256=")
    assert len(header) == len("sha256=") + 64
    verify_signature(body, header, [secret])  # does not raise


@given(body=bodies, secret=secrets, data=st.data())
def test_body_with_a_flipped_byte_is_rejected(
    body: bytes, secret: str, data: st.DataObject
) -> None:
    assume(body)
    index = data.draw(st.integers(0, len(body) - 1), label="index")
    mask = data.draw(st.integers(1, 255), label="mask")
    mutated = bytearray(body)
    mutated[index] ^= mask

    with pytest.raises(BadSignature):
        verify_signature(bytes(mutated), sign(body, secret), [secret])


@given(body=bodies, secret=secrets, suffix=st.binary(min_size=1, max_size=64))
def test_body_with_appended_bytes_is_rejected(body: bytes, secret: str, suffix: bytes) -> None:
    with pytest.raises(BadSignature):
        verify_signature(body + suffix, sign(body, secret), [secret])


@given(body=bodies, secret=secrets)
def test_truncated_body_is_rejected(body: bytes, secret: str) -> None:
    assume(body)
    with pytest.raises(BadSignature):
        verify_signature(body[:-1], sign(body, secret), [secret])


@given(body=bodies, secret=secrets, other=secrets)
def test_wrong_secret_is_rejected(body: bytes, secret: str, other: str) -> None:
    assume(other != secret)
    with pytest.raises(BadSignature):
        verify_signature(body, sign(body, other), [secret])


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "sha1=0123456789abcdef0123456789abcdef01234567",
        "SHA256=",
        "md5=d41d8cd98f00b204e9800998ecf8427e",
        "0" * 64,
        "sha256 =abc",
    ],
    ids=repr,
)
def test_missing_empty_or_non_sha256_header_is_rejected(header: str | None) -> None:
    with pytest.raises(BadSignature):
        verify_signature(b"{}", header, ["s3cret"])


def test_hex_digest_without_scheme_is_rejected() -> None:
    body = b'{"webhookEvent": "jira:issue_created"}'
    bare_digest = sign(body, "s3cret").removeprefix("sha256=")

    with pytest.raises(BadSignature):
        verify_signature(body, bare_digest, ["s3cret"])


def test_uppercase_scheme_is_rejected() -> None:
    body = b"{}"
    with pytest.raises(BadSignature):
        verify_signature(body, sign(body, "s3cret").replace("sha256=", "SHA256="), ["s3cret"])


@given(body=bodies, header=st.text(max_size=100))
def test_arbitrary_header_text_is_rejected_not_crashed(body: bytes, header: str) -> None:
    assume(header != sign(body, "s3cret"))
    with pytest.raises(BadSignature):
        verify_signature(body, header, ["s3cret"])


@given(body=bodies, current=secrets, previous=secrets)
def test_previous_secret_of_a_rotation_pair_is_accepted(
    body: bytes, current: str, previous: str
) -> None:
    verify_signature(body, sign(body, previous), [current, previous])
    verify_signature(body, sign(body, current), [current, previous])


@given(body=bodies, current=secrets, previous=secrets, unrelated=secrets)
def test_unrelated_secret_is_rejected_during_rotation(
    body: bytes, current: str, previous: str, unrelated: str
) -> None:
    assume(unrelated not in (current, previous))
    with pytest.raises(BadSignature):
        verify_signature(body, sign(body, unrelated), [current, previous])


@given(body=bodies, secret=st.text(max_size=64), empties=st.integers(0, 3))
def test_no_usable_secret_never_accepts(body: bytes, secret: str, empties: int) -> None:
    # Whatever header the sender computes (even with the empty key), an empty or all-empty
    # secrets list must not verify: an unset secret may not mean "accept everything".
    for configured in ([], [""] * empties):
        for header in (sign(body, secret), sign(body, "")):
            with pytest.raises(BadSignature):
                verify_signature(body, header, configured)


def test_secrets_are_read_from_a_one_shot_iterable() -> None:
    body = b"{}"
    verify_signature(body, sign(body, "new"), iter(["old", "new"]))
