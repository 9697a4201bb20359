"""The artifact store: where release manifests, their plans and the audit trail are kept.

Three backends share one small interface (`put`, `get`, `list` of keys): a local directory
(the default, `.llmops/releases` in the project), Azure Blob Storage
(`azblob://<account>/<container>[/prefix]`, `stacks/artifacts_azure.py`) and S3
(`s3://<bucket>[/prefix]`, `stacks/artifacts_s3.py`). The cloud backends sign in with the
ambient identity (azure-identity's DefaultAzureCredential, boto3's credential chain): no key
or connection string is ever read from a file.

Layout inside a store:

    manifests/<env>/<sha256 hex>.json   one release manifest (immutable)
    plans/<sha256 hex>.json             the plan a manifest's plan_digest names
    configs/<sha256 hex>.json           the merged environment document of config_digest
    audit/<timestamp>-<hex>.json        one audit record per action
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from llmops_infra.errors import ConfigError
from llmops_infra.release.manifest import Manifest, ManifestError, parse_manifest

if TYPE_CHECKING:
    from llmops_infra.plan import Plan

DEFAULT_DIR = ".llmops/releases"
URL_VARIABLE = "LLMOPS_ARTIFACTS"


class ArtifactNotFound(KeyError):
    """No object under that key."""


class ArtifactStore(Protocol):
    url: str

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def list(self, prefix: str) -> list[str]:
        """Keys that start with `prefix`, sorted."""
        ...


class LocalArtifactStore:
    """A directory; writes are atomic (temporary file, then rename)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.url = str(self.root)

    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"invalid artifact key {key!r}")
        return self.root.joinpath(*parts)

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            Path(tmp).replace(path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise ArtifactNotFound(key) from None

    def list(self, prefix: str) -> list[str]:
        if not self.root.is_dir():
            return []
        keys = (p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file())
        return sorted(k for k in keys if k.startswith(prefix) and not k.rsplit("/", 1)[-1].startswith(".tmp-"))


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
    return LocalArtifactStore(path if path.is_absolute() else Path(project_dir) / path)


def split_url(url: str, scheme: str, what: str) -> tuple[str, str]:
    """`scheme://first/rest/of/prefix` -> (first, "rest/of/prefix")."""
    body = url.removeprefix(scheme).strip("/")
    first, _, prefix = body.partition("/")
    if not first:
        raise ConfigError(f"artifact store {url!r} names no {what}: use {scheme}<{what}>[/prefix]", key="--artifacts")
    return first, prefix.strip("/")


# --------------------------------------------------------------------------- releases


def _hex(digest: str) -> str:
    return digest.removeprefix("sha256:")


class Releases:
    """Release manifests, plans and audit records in an artifact store."""

    def __init__(self, store: ArtifactStore) -> None:
        self.store = store

    def save(self, manifest: Manifest) -> str:
        key = f"manifests/{manifest.environment}/{_hex(manifest.id)}.json"
        self.store.put(key, manifest.to_json().encode())
        return key

    def save_plan(self, plan: Plan) -> str:
        key = f"plans/{_hex(plan.digest())}.json"
        self.store.put(key, plan.to_json().encode())
        return key

    def load_plan_dict(self, digest: str) -> dict[str, Any] | None:
        try:
            return json.loads(self.store.get(f"plans/{_hex(digest)}.json"))
        except ArtifactNotFound:
            return None

    def save_config(self, document: dict[str, Any]) -> str:
        """The merged environment document a manifest's config_digest names (no secrets: the
        loader rejects them)."""
        from llmops_infra.config.loader import config_digest

        key = f"configs/{_hex(config_digest(document))}.json"
        self.store.put(key, json.dumps(document, indent=2, sort_keys=True, default=str).encode())
        return key

    def load_config(self, digest: str) -> dict[str, Any] | None:
        try:
            return json.loads(self.store.get(f"configs/{_hex(digest)}.json"))
        except ArtifactNotFound:
            return None

    def history(self, environment: str) -> list[Manifest]:
        """Every manifest of `environment`, oldest first. A tampered one raises."""
        manifests = [self._read(key) for key in self.store.list(f"manifests/{environment}/")]
        return sorted(manifests, key=lambda m: (m.created_at, m.id))

    def latest(self, environment: str) -> Manifest | None:
        """The newest manifest of `environment` (whatever its status), or None."""
        history = self.history(environment)
        return history[-1] if history else None

    def find(self, ref: str, environment: str | None = None) -> Manifest:
        """A manifest by id or by a unique prefix of its hex digest (8 characters or more)."""
        wanted = _hex(ref).lower()
        if len(wanted) < 8:
            raise ManifestError(f"manifest reference {ref!r} is too short: give at least 8 hex characters")
        prefix = f"manifests/{environment}/" if environment else "manifests/"
        hits = [k for k in self.store.list(prefix) if k.rsplit("/", 1)[-1].startswith(wanted)]
        if not hits:
            where = f" for {environment}" if environment else ""
            raise ManifestError(
                f"no release manifest {ref}{where} in {self.store.url}: list them with `llmops-infra releases ENV`"
            )
        if len(hits) > 1:
            raise ManifestError(f"manifest reference {ref!r} is ambiguous ({len(hits)} matches): give more characters")
        return self._read(hits[0])

    def _read(self, key: str) -> Manifest:
        manifest = parse_manifest(self.store.get(key), f"{self.store.url}/{key}")
        expected = f"manifests/{manifest.environment}/{_hex(manifest.id)}.json"
        if key != expected:
            raise ManifestError(
                f"{self.store.url}/{key}: the manifest is stored under the wrong name (expected {expected}): "
                "it was moved or renamed by hand"
            )
        return manifest

    def append_audit(self, record: dict[str, Any]) -> str:
        body = json.dumps(record, sort_keys=True).encode()
        stamp = str(record.get("at", "")).replace(":", "").replace("-", "")
        key = f"audit/{stamp}-{hashlib.sha256(body).hexdigest()[:16]}.json"
        self.store.put(key, body)
        return key

    def audit(self) -> list[dict[str, Any]]:
        return [json.loads(self.store.get(k)) for k in self.store.list("audit/")]
