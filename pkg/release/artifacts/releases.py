"""Releases kept in a store: manifests, their plans and configs, and the audit trail."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from llmops_infra.errors import ConfigError
from llmops_infra.release.artifacts.base import ArtifactNotFound, ArtifactStore
from llmops_infra.release.manifest import Manifest, ManifestError, parse_manifest

if TYPE_CHECKING:
    from llmops_infra.plan import Plan
    from llmops_infra.release.signing import Signer


def _hex(digest: str) -> str:
    return digest.removeprefix("sha256:")


MAX_CLOCK_SKEW = timedelta(minutes=10)
"""A manifest created later than now plus this was not created by a clock: refused."""


class Releases:
    """Release manifests, plans and audit records in an artifact store; manifests are signed when
    saved and verified before promote, approve and rollback use them (`release.signing`)."""

    def __init__(self, store: ArtifactStore, signer: Signer | None = None) -> None:
        """`signer` default: the configured one (`LLMOPS_SIGNING_KEY`, else the user's local key)."""
        self.store = store
        self._signer = signer

    @property
    def signer(self) -> Signer:
        if self._signer is None:
            from llmops_infra.release.signing import configured_signer

            self._signer = configured_signer()
        return self._signer

    def sign(self, manifest: Manifest) -> Manifest:
        from llmops_infra.release.signing import signature_of

        return manifest.signed(signature_of(self.signer, manifest.id))

    def verified(self, manifest: Manifest) -> Manifest:
        """`manifest`, when the configured key signed exactly its id; else a `ManifestError`."""
        from llmops_infra.release.signing import verification_problem

        problem = verification_problem(self.signer, manifest.id, manifest.signature)
        if problem:
            raise ManifestError(
                f"manifest {manifest.short_id} of {manifest.environment} is refused: {problem}. A manifest edited "
                "after it was recorded (or recorded with another key) proves nothing: record a new release with "
                f"`llmops-infra release {manifest.environment}` (signing key: {self.signer.key_id})"
            )
        return manifest

    def save(self, manifest: Manifest) -> str:
        """Store `manifest`, signed first when it is not."""
        if not manifest.signature:
            manifest = self.sign(manifest)
        key = f"manifests/{manifest.environment}/{_hex(manifest.id)}.json"
        self.store.put(key, manifest.to_json().encode())
        return key

    def save_plan(self, plan: Plan) -> str:
        key = f"plans/{_hex(plan.digest())}.json"
        self.store.put(key, plan.to_json().encode())
        return key

    def load_plan(self, digest: str) -> Plan | None:
        """The stored plan a manifest's `plan_digest` names (None when it is not stored). A plan
        that does not read back, or not to that digest, was edited after it was stored."""
        from llmops_infra.plan import Plan

        key = f"plans/{_hex(digest)}.json"
        try:
            data = json.loads(self.store.get(key))
        except ArtifactNotFound:
            return None
        except ValueError as exc:
            raise ManifestError(f"{self.store.url}/{key}: not a JSON plan ({exc})") from None
        try:
            plan = Plan.from_dict(data)
        except ConfigError as exc:
            raise ManifestError(f"{self.store.url}/{key}: {exc}") from None
        if _hex(plan.digest()) != _hex(digest):
            raise ManifestError(
                f"{self.store.url}/{key}: the stored plan does not match its digest: it was edited after it was stored"
            )
        return plan

    def save_config(self, document: dict[str, Any]) -> str:
        """The merged environment document a manifest's config_digest names (no secrets: the
        loader rejects them)."""
        from llmops_infra.config.loader import config_digest

        key = f"configs/{_hex(config_digest(document))}.json"
        self.store.put(key, json.dumps(document, indent=2, sort_keys=True, default=str).encode())
        return key

    def load_config(self, digest: str) -> dict[str, Any] | None:
        """The stored document of `digest` (None when it is not stored); one that does not read back,
        or not to that digest, was edited after it was stored."""
        from llmops_infra.config.loader import config_digest

        key = f"configs/{_hex(digest)}.json"
        try:
            document = json.loads(self.store.get(key))
        except ArtifactNotFound:
            return None
        except ValueError:
            raise ManifestError(
                f"{self.store.url}/{key}: not a JSON configuration: remove the file (it was damaged after it was stored)"
            ) from None
        if not isinstance(document, dict) or _hex(config_digest(document)) != _hex(digest):
            raise ManifestError(
                f"{self.store.url}/{key}: the stored configuration does not match its digest: "
                "it was edited after it was stored; remove the file"
            )
        return document

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
        created = datetime.strptime(manifest.created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if created > datetime.now(UTC) + MAX_CLOCK_SKEW:
            raise ManifestError(
                f"{self.store.url}/{key}: created_at {manifest.created_at} lies in the future (it would stay the "
                "latest release forever): the manifest was forged or made on a machine with a wrong clock; remove it"
            )
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
