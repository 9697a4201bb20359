"""The store interface every backend implements, and the URL helper the cloud backends share."""

from __future__ import annotations

from typing import Protocol

from llmops_infra.errors import ConfigError, EngineError


class ArtifactStoreError(EngineError):
    """The artifact store could not be read or written (exit 3): the message names the store and
    the key, never a credential."""


class ArtifactNotFound(ArtifactStoreError, KeyError):
    """No object under that key (also a `KeyError`, for lookups that treat it as absence)."""

    def __init__(self, key: str, url: str = "") -> None:
        self.key, self.url = key, url
        super().__init__(f"no artifact {key} in {url}" if url else f"no artifact {key}")

    def __str__(self) -> str:  # KeyError would print the repr of the message
        return str(self.args[0])


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
