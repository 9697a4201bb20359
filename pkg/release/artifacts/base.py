"""The store interface every backend implements, and the URL helper the cloud backends share."""

from __future__ import annotations

from typing import Protocol

from llmops_infra.errors import ConfigError


class ArtifactNotFound(KeyError):
    """No object under that key."""


class ArtifactStore(Protocol):
    url: str

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def list(self, prefix: str) -> list[str]:
        """Keys that start with `prefix`, sorted."""
        ...


def split_url(url: str, scheme: str, what: str) -> tuple[str, str]:
    """`scheme://first/rest/of/prefix` -> (first, "rest/of/prefix")."""
    body = url.removeprefix(scheme).strip("/")
    first, _, prefix = body.partition("/")
    if not first:
        raise ConfigError(f"artifact store {url!r} names no {what}: use {scheme}<{what}>[/prefix]", key="--artifacts")
    return first, prefix.strip("/")
