"""Artifact store in Amazon S3 (or an S3-compatible service): `s3://<bucket>[/prefix]`.

Signs in with boto3's default credential chain (OIDC web identity in CI, a profile on a
laptop). $AWS_ENDPOINT_URL_S3 points it at an S3-compatible endpoint. Needs the `s3` extra:
`pip install llmops-infra[s3]`.
"""

from __future__ import annotations

from typing import Any

from llmops_infra.errors import ConfigError
from llmops_infra.release.artifacts.base import ArtifactNotFound, ArtifactStoreError, split_url


class S3ArtifactStore:
    """Objects in one bucket, under an optional prefix."""

    def __init__(self, client: Any, bucket: str, prefix: str = "", url: str | None = None) -> None:
        """`client` is a boto3 S3 client."""
        self.client, self.bucket, self.prefix = client, bucket, prefix.strip("/")
        self.url = url or f"s3://{bucket}" + (f"/{self.prefix}" if self.prefix else "")

    @classmethod
    def from_url(cls, url: str) -> S3ArtifactStore:
        bucket, prefix = split_url(url, "s3://", "bucket")
        try:
            import boto3
        except ImportError:
            raise ConfigError(
                "the S3 artifact store needs boto3: pip install 'llmops-infra[s3]'", key="--artifacts"
            ) from None
        return cls(boto3.client("s3"), bucket, prefix, url=url)

    def _name(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data, ContentType="application/json")
        except (BotoCoreError, ClientError) as exc:
            raise ArtifactStoreError(f"cannot write {key} to {self.url}: {_reason(exc)}") from None

    def get(self, key: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            body: bytes = self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"].read()
            return body
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise ArtifactNotFound(key, self.url) from None
            raise ArtifactStoreError(f"cannot read {key} from {self.url}: {_reason(exc)}") from None
        except BotoCoreError as exc:
            raise ArtifactStoreError(f"cannot read {key} from {self.url}: {_reason(exc)}") from None

    def list(self, prefix: str) -> list[str]:
        from botocore.exceptions import BotoCoreError, ClientError

        start = len(self.prefix) + 1 if self.prefix else 0
        keys: list[str] = []
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self._name(prefix))
            for page in pages:
                keys.extend(obj["Key"][start:] for obj in page.get("Contents", []))
        except (BotoCoreError, ClientError) as exc:
            raise ArtifactStoreError(f"cannot list {self.url}: {_reason(exc)}") from None
        return sorted(keys)


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
