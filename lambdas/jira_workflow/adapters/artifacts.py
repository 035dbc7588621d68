"""S3: raw webhook payloads and per-execution artifacts, encrypted with the KMS key."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def webhook_payload_key(issue_key: str, delivery_id: str) -> str:
    return f"webhooks/{issue_key}/{delivery_id}.json"


def artifact_key(issue_key: str, execution_name: str, name: str) -> str:
    return f"requests/{issue_key}/{execution_name}/{name}"


class ArtifactStore:
    def __init__(self, client: S3Client, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def put_json(self, key: str, document: Any) -> str:
        self._client.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=json.dumps(document, sort_keys=True, default=str).encode(),
            ContentType="application/json",
            # Explicit, so an object is never written unencrypted even if the bucket
            # default were changed.
            ServerSideEncryption="aws:kms",
        )
        return key

    def put_raw(self, key: str, body: bytes) -> str:
        self._client.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=body,
            ContentType="application/json",
            ServerSideEncryption="aws:kms",
        )
        return key

    def get_json(self, key: str) -> Any:
        body = self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        return json.loads(body)
