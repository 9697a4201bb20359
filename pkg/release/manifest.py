"""Release manifests: what an environment runs, as a content-addressed JSON document.

A manifest pins everything a promotion must carry unchanged from one environment to the
next (OpenAI model versions, inference image digests, the Kubernetes version) and records
the evidence the release was judged on (config digest, plan digest, policy verdict, cost).
Its id is the sha256 of the canonical JSON of every other field, so a manifest whose
content was edited after it was recorded no longer matches its id and is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.engine.approvals import ACTOR_VARIABLES as ACTOR_VARIABLES
from llmops_infra.engine.approvals import current_actor as current_actor
from llmops_infra.errors import LlmopsError

SCHEMA = "llmops-infra/release-manifest/v1"
PASSED, FAILED = "passed", "failed"
COMPONENT_PACKAGES = ("llmops-infra", "pulumi", "pulumi-azure-native", "pulumi-kubernetes", "pulumi-policy")
COMMIT_VARIABLES = ("GITHUB_SHA", "BUILD_SOURCEVERSION")


class ManifestError(LlmopsError):
    """A manifest is missing, failed, malformed or does not match its id."""


@dataclass(frozen=True)
class Evidence:
    """What a release was judged on, besides its configuration and plan."""

    policy_passed: bool
    policy: dict[str, Any] = field(default_factory=dict)
    """Summary of the verdict: counts and the ids of failed rules."""
    monthly_usd: float | None = None
    cost: dict[str, Any] = field(default_factory=dict)
    """Cost detail: the estimate, the environment's limit, the currency."""


@dataclass(frozen=True)
class Manifest:
    """One recorded release of an environment. `id` covers every other field."""

    environment: str
    status: str
    config_digest: str
    plan_digest: str
    components: dict[str, str]
    models: dict[str, Any]
    images: list[str]
    kubernetes_version: str
    policy: dict[str, Any]
    cost: dict[str, Any]
    created_at: str
    created_by: str
    source: dict[str, Any] = field(default_factory=dict)
    """Where the release came from: commit, and the manifest it was promoted from."""
    schema: str = SCHEMA
    id: str = ""
    signature: dict[str, str] = field(default_factory=dict)
    """Who vouches for the id: algorithm, key id, value (`release.signing`); not part of the content."""

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    @property
    def short_id(self) -> str:
        return self.id.removeprefix("sha256:")[:12]

    def failed_checks(self) -> list[dict[str, Any]]:
        """Why the release failed: each check (policy, cost) that failed, with its findings."""
        failures: list[dict[str, Any]] = []
        mandatory = int(self.policy.get("mandatory_failures") or 0)
        if mandatory:
            rules = ", ".join(self.policy.get("failed_rules") or [])
            failures.append(
                {
                    "gate": "policy",
                    "message": f"{mandatory} mandatory violation(s): {rules}",
                    "findings": list(self.policy.get("findings") or []),
                }
            )
        monthly, limit = self.cost.get("monthly_usd"), self.cost.get("limit_usd")
        if monthly is not None and limit is not None and float(monthly) > float(limit):
            failures.append(
                {
                    "gate": "cost",
                    "message": f"estimated ${float(monthly):,.0f}/month exceeds cost.max_monthly_usd ${float(limit):,.0f}",
                    "findings": [],
                }
            )
        return failures

    def content(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("id")
        data.pop("signature")
        return data

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    def sealed(self) -> Manifest:
        """This manifest with its id computed from its content."""
        return Manifest(**{**self.content(), "id": content_id(self.content())})

    def signed(self, signature: dict[str, str]) -> Manifest:
        return Manifest(**{**self.content(), "id": self.id, "signature": signature})


def content_id(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def parse_manifest(text: str | bytes, where: str) -> Manifest:
    """Read a stored manifest and check that its id matches its content."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{where}: not a JSON release manifest ({exc})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ManifestError(f"{where}: not a release manifest (schema {SCHEMA!r} expected)")
    claimed = data.get("id", "")
    problem = shape_problem(data)
    if problem:
        raise ManifestError(f"{where}: malformed release manifest: {problem}")
    manifest = Manifest(**data)
    actual = content_id(manifest.content())
    if claimed != actual:
        raise ManifestError(
            f"{where}: manifest {claimed or '(no id)'} does not match its content (digest {actual}): "
            "it was edited after it was recorded. Record a new release with `llmops-infra release ENV`"
        )
    return manifest


FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "environment": str,
    "status": str,
    "config_digest": str,
    "plan_digest": str,
    "components": dict,
    "models": dict,
    "images": list,
    "kubernetes_version": str,
    "policy": dict,
    "cost": dict,
    "created_at": str,
    "created_by": str,
    "source": dict,
    "schema": str,
    "id": str,
    "signature": dict,
}
OPTIONAL = {"source", "schema", "id", "signature"}


def shape_problem(data: dict[str, Any]) -> str | None:
    """What is wrong with the shape of a stored manifest (a hand-written `models: ["x"]`,
    `created_at: null`), without quoting its values; None when every field has its type."""
    unknown = sorted(set(data) - set(FIELD_TYPES))
    if unknown:
        return f"unknown field(s) {', '.join(repr(k)[:40] for k in unknown[:5])}"
    for name, kind in FIELD_TYPES.items():
        if name not in data:
            if name not in OPTIONAL:
                return f"{name} is missing"
            continue
        if not isinstance(data[name], kind) or isinstance(data[name], bool):
            return f"{name} is a {type(data[name]).__name__}, not a {getattr(kind, '__name__', 'value')}"
    if data["status"] not in (PASSED, FAILED):
        return f"status is neither {PASSED!r} nor {FAILED!r}"
    if not all(isinstance(image, str) for image in data["images"]):
        return "images holds a value that is not a string"
    try:
        datetime.strptime(data["created_at"], "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return "created_at is not a UTC timestamp like 2026-12-01T10:00:00Z"
    return None


def pins(config: EnvironmentConfig) -> dict[str, Any]:
    """The versions a release pins: OpenAI model versions, inference models (with their weights' revision),
    images (the inference images and the weights loader's), Kubernetes."""
    openai = {d.name: {"model": d.model, "version": d.version, "sku": d.sku} for d in config.openai.deployments}
    inference = {
        m.name: {"model": m.model, "revision": m.revision, "image": m.image, "image_digest": m.image_digest}
        for m in config.inference.models
    }
    images = config.inference.pinned_images()
    return {
        "models": {"openai": openai, "inference": inference},
        "images": images,
        "kubernetes_version": config.cluster.kubernetes_version,
    }


def build_manifest(
    config: EnvironmentConfig,
    *,
    config_digest: str,
    plan_digest: str,
    evidence: Evidence,
    status: str | None = None,
    source: dict[str, Any] | None = None,
    now: datetime | None = None,
    actor: str | None = None,
    project_dir: Path | None = None,
) -> Manifest:
    """A sealed manifest for `config`. Status defaults to the policy verdict."""
    pinned = pins(config)
    origin: dict[str, Any] = {"commit": current_commit(project_dir), **working_tree(project_dir)}
    origin.update(source or {})
    manifest = Manifest(
        environment=config.name,
        status=status or (PASSED if evidence.policy_passed else FAILED),
        config_digest=config_digest,
        plan_digest=plan_digest,
        components=component_versions(),
        models=pinned["models"],
        images=pinned["images"],
        kubernetes_version=pinned["kubernetes_version"],
        policy={"passed": evidence.policy_passed, **evidence.policy},
        cost={"monthly_usd": evidence.monthly_usd, **evidence.cost},
        created_at=(now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        created_by=actor or current_actor(),
        source=origin,
    )
    return manifest.sealed()


def component_versions() -> dict[str, str]:
    versions = {}
    for package in COMPONENT_PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "not installed"
    return versions


MAX_DIRTY_PATHS = 20


def working_tree(project_dir: Path | None) -> dict[str, Any]:
    """`{"dirty": bool, "dirty_paths": [...]}`: uncommitted changes (tracked or new files) in the
    checkout, so that a release records when it was not made from its commit alone; `{}` outside git."""
    if project_dir is None:
        return {}
    try:
        result = subprocess.run(
            # the tool's own state (.llmops/: releases, approvals, local state) is not a change to the release
            ["git", "-C", str(project_dir), "status", "--porcelain", "--", ".", ":(exclude).llmops"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return {}
    if result.returncode != 0:
        return {}
    paths = [line[3:] for line in result.stdout.splitlines() if line.strip()]
    return {"dirty": bool(paths), "dirty_paths": paths[:MAX_DIRTY_PATHS]}


def current_commit(project_dir: Path | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The commit being released: the CI's variable, else `git rev-parse HEAD`, else None."""
    variables = os.environ if environ is None else environ
    for variable in COMMIT_VARIABLES:
        if variables.get(variable):
            return variables[variable]
    if project_dir is None:
        return None
    try:
        result = subprocess.run(
            ["git", "-C", str(project_dir), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None
