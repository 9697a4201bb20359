"""The artifact store: where release manifests, their plans and the audit trail are kept.

Three backends share one small interface (`put`, `get`, `list` of keys): a local directory
(the default, `.llmops/releases` in the project), Azure Blob Storage
(`azblob://<account>/<container>[/prefix]`, `azure.py`) and S3
(`s3://<bucket>[/prefix]`, `s3.py`). A read or write that fails raises `ArtifactStoreError`
(an `EngineError`: exit 3); a bad store URL is a `ConfigError`. The cloud backends sign in
with the ambient identity (azure-identity's DefaultAzureCredential, boto3's credential chain):
no key or connection string is ever read from a file.

Layout inside a store:

    manifests/<env>/<sha256 hex>.json   one release manifest (immutable)
    plans/<sha256 hex>.json             the plan a manifest's plan_digest names
    configs/<sha256 hex>.json           the merged environment document of config_digest
    audit/<timestamp>-<hex>.json        one audit record per action
"""

from __future__ import annotations

import os
from pathlib import Path

from llmops_infra.errors import ConfigError
from llmops_infra.release.artifacts.base import ArtifactNotFound, ArtifactStore, ArtifactStoreError, split_url
from llmops_infra.release.artifacts.local import LocalArtifactStore
from llmops_infra.release.artifacts.releases import Releases

__all__ = [
    "ArtifactNotFound",
    "ArtifactStore",
    "ArtifactStoreError",
    "LocalArtifactStore",
    "Releases",
    "open_store",
    "split_url",
]

DEFAULT_DIR = ".llmops/releases"
URL_VARIABLE = "LLMOPS_ARTIFACTS"


def open_store(url: str | None, project_dir: Path) -> ArtifactStore:
    """The store named by `url` (or $LLMOPS_ARTIFACTS), by default `.llmops/releases`."""
    url = url or os.environ.get(URL_VARIABLE) or ""
    if not url:
        return LocalArtifactStore(Path(project_dir) / DEFAULT_DIR)
    if url.startswith("azblob://"):
        from llmops_infra.release.artifacts.azure import AzureBlobArtifactStore

        return AzureBlobArtifactStore.from_url(url)
    if url.startswith("s3://"):
        from llmops_infra.release.artifacts.s3 import S3ArtifactStore

        return S3ArtifactStore.from_url(url)
    if url.startswith("file://"):
        url = url.removeprefix("file://")
    if "://" in url:
        raise ConfigError(
            f"unsupported artifact store {url!r}: use a directory, azblob://<account>/<container>[/prefix] "
            "or s3://<bucket>[/prefix]",
            key="--artifacts",
        )
    path = Path(url)
    path = path if path.is_absolute() else Path(project_dir) / path
    return LocalArtifactStore(_local_root(path, url))


VIRTUAL = ("/proc", "/sys", "/dev")


def _local_root(path: Path, url: str) -> Path:
    """A directory of the user's own: not a file, not /proc, /sys or /dev."""
    real = Path(os.path.realpath(path))
    system = [v for v in VIRTUAL if real == Path(v) or Path(v) in real.parents]
    if system:
        raise ConfigError(
            f"artifact store {url!r} is in {system[0]}, not a directory of yours: "
            "give --artifacts a directory (default .llmops/releases)",
            key="--artifacts",
        )
    if real.exists() and not real.is_dir():
        raise ConfigError(
            f"artifact store {url!r} is a file, not a directory: give --artifacts a directory (default .llmops/releases)",
            key="--artifacts",
        )
    return path
