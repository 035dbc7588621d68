"""S3 bucket policies in the emulator are evaluated as for an HTTPS caller (patch
bucket_policy_sees_tls): the TLS-only Deny must not block Terraform's uploads, while an
unconditional Deny still does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local_cloud.test_support import client, running_emulator


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with running_emulator(tmp_path_factory.mktemp("emulator") / "emulator.log") as endpoints:
        yield endpoints


def bucket_with_policy(endpoints: dict[str, Any], name: str, statement: dict[str, Any]) -> Any:
    s3 = client(endpoints, "s3")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_policy(
        Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )
    return s3


def test_tls_only_deny_lets_requests_through(emulator: dict[str, Any]) -> None:
    s3 = bucket_with_policy(
        emulator,
        "tls-only",
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::tls-only", "arn:aws:s3:::tls-only/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    )

    s3.put_object(Bucket="tls-only", Key="lambda/package.zip", Body=b"zip")

    assert s3.get_object(Bucket="tls-only", Key="lambda/package.zip")["Body"].read() == b"zip"


def test_unconditional_deny_still_denies(emulator: dict[str, Any]) -> None:
    s3 = bucket_with_policy(
        emulator,
        "deny-all",
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::deny-all/*",
        },
    )

    with pytest.raises(ClientError) as denied:
        s3.put_object(Bucket="deny-all", Key="x", Body=b"x")

    assert denied.value.response["Error"]["Code"] in {"403", "AccessDenied"}
