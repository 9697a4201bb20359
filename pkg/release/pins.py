"""Apply a manifest's pinned versions to another environment's merged document.

What moves with a release, and how it is matched in the target environment:

- OpenAI deployments: `version` (and `model`) by deployment name; the target keeps its own
  SKU and capacity.
- Inference models: image, digest and weights revision by model name; a target model with
  another name that runs an image repository the release pinned to exactly one digest gets
  that digest. The weights loader's digest, when the release pinned its repository.
- The Kubernetes version.

Everything else (sizes, counts, networks, limits) is the target's own overlay. What could
not be matched is returned as notes, so the reviewer sees it.
"""

from __future__ import annotations

import copy
from typing import Any

from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.release.manifest import Manifest


def apply_pins(document: dict[str, Any], manifest: Manifest) -> tuple[dict[str, Any], list[str]]:
    """A copy of `document` with the manifest's versions; and notes on what was not pinned."""
    pinned = copy.deepcopy(document)
    notes: list[str] = []
    cluster = pinned.setdefault("cluster", {})
    cluster["kubernetes_version"] = manifest.kubernetes_version

    openai = manifest.models.get("openai", {})
    for deployment in pinned.get("openai", {}).get("deployments", []):
        pin = openai.get(deployment.get("name"))
        if pin is None:
            notes.append(
                f"openai deployment {deployment.get('name')!r} is not in the release: "
                "its model version is the target's own"
            )
            continue
        deployment["model"], deployment["version"] = pin["model"], pin["version"]

    inference = manifest.models.get("inference", {})
    by_repo = _single_digest_per_repo(manifest.images)
    for model in pinned.get("inference", {}).get("models", []):
        pin = inference.get(model.get("name"))
        if pin is not None:
            model["image"], model["image_digest"] = pin["image"], pin["image_digest"]
            if "revision" in pin:  # releases recorded before weights were pinned carry none
                model["revision"] = pin["revision"]
        elif model.get("image", "vllm/vllm-openai") in by_repo:
            model["image_digest"] = by_repo[model.get("image", "vllm/vllm-openai")]
        else:
            notes.append(
                f"inference model {model.get('name')!r} runs an image the release did not pin: "
                "its digest is the target's own"
            )
    loader = pinned.get("inference", {}).get("weights_loader")
    if isinstance(loader, dict) and loader.get("image", "azure-cli") in by_repo:
        loader["image_digest"] = by_repo[loader.get("image", "azure-cli")]
    return pinned, notes


def _single_digest_per_repo(images: list[str]) -> dict[str, str]:
    digests: dict[str, set[str]] = {}
    for ref in images:
        repo, _, digest = ref.partition("@")
        digests.setdefault(repo, set()).add(digest)
    return {repo: next(iter(found)) for repo, found in digests.items() if len(found) == 1}


PINNED_KEYS = ("cluster", "openai", "inference")
"""Sections whose versions a manifest carries: a pin there that the lifecycle catalog does not know
came from the manifest, not from a reviewed environment file."""


def validate_pinned(document: dict[str, Any], env: str, manifest: Manifest) -> EnvironmentConfig:
    """ENV's document with the manifest's pins, validated as `validate` would validate the files: the
    secret scan, the models (a model version with `$(...)` fails its pattern) and the lifecycle catalog
    (a retired pin, and a pinned version the catalog does not know, e.g. a made-up Kubernetes version)."""
    from pydantic import ValidationError

    from llmops_infra.config import lifecycle
    from llmops_infra.config.secrets_scan import format_path, refuse_secrets
    from llmops_infra.errors import ConfigError
    from llmops_infra.policies.lifecycle_catalog import UNKNOWN

    where = f"environments/{env}.yaml with manifest {manifest.short_id}"
    refuse_secrets(document, lambda _path: (where, None), where)
    try:
        config = EnvironmentConfig.model_validate(document)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ConfigError(
            f"{env} with the versions pinned by manifest {manifest.short_id} is invalid: {key}: {first['msg']}",
            file=f"environments/{env}.yaml",
        ) from None
    report = lifecycle.check(config)
    problems = [f"{format_path(f.key)}: {f.message}" for f in report.errors]
    problems += [
        f"{format_path(p.key)}: {p.value[:60]!r} is not in the lifecycle catalog"
        for p in report.pins
        if p.verdict.state == UNKNOWN
        and not p.derived
        and p.key
        and p.key[0] in PINNED_KEYS
        and p.verdict.kind in lifecycle.JUDGED_UNKNOWN
    ]
    if problems:
        raise ConfigError(
            f"manifest {manifest.short_id} pins versions {env} cannot run: "
            + "; ".join(problems[:5])
            + ". Promote a release whose pins `llmops-infra lifecycle` knows (or refresh the catalog)",
            file=f"environments/{env}.yaml",
        )
    return config
