"""`llmops-infra lifecycle refresh`: bring the lifecycle catalog up to date from live Azure APIs.

For each (subscription, region) the environments use, three ARM reads (`preflight` fetchers):

- AKS `kubernetesVersions`: which minor versions and patches the region offers (and which are
  preview). The API carries no end-of-life dates: those stay as the AKS calendar gave them; a
  minor version the catalog does not know gets an entry that says its dates are unverified.
- Cognitive Services `models`: every OpenAI model version offered, its lifecycle status and the
  deprecation dates per deployment type. An API date earlier than the catalog's retirement
  replaces it (the API is the service's own word for that region); new model versions are added.
- Compute `skus`: for the GPU sizes, the zones offered and the restrictions for this subscription.

The result is written to the user cache (`lifecycle_files.user_catalog_path()`), never into
the installed package; the reader prefers it while it is at least as new as the shipped one.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.engine import preflight
from llmops_infra.engine.arm_client import ArmClient, ArmError
from llmops_infra.errors import EngineError
from llmops_infra.policies.lifecycle_catalog import LifecycleCatalog, minor_version


@dataclass
class RefreshReport:
    regions: list[str] = field(default_factory=list)
    kubernetes: dict[str, list[str]] = field(default_factory=dict)
    """region -> GA minor versions offered."""
    models_updated: list[str] = field(default_factory=list)
    models_added: list[str] = field(default_factory=list)
    vm_sizes: dict[str, dict[str, Any]] = field(default_factory=dict)
    new_kubernetes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = []
        for region in self.regions:
            out.append(f"{region}: Kubernetes {', '.join(self.kubernetes.get(region, [])) or 'none'} (GA)")
        if self.new_kubernetes:
            out.append(
                f"new Kubernetes versions (dates unverified until the AKS calendar lists them): {', '.join(self.new_kubernetes)}"
            )
        if self.models_updated:
            out.append(f"retirement dates moved earlier by the API: {', '.join(self.models_updated)}")
        if self.models_added:
            out.append(f"model versions added: {', '.join(self.models_added)}")
        for key, offer in self.vm_sizes.items():
            state = offer.get("restricted") or f"zones {','.join(offer.get('usable_zones') or []) or 'none'}"
            out.append(f"{key}: {state}")
        return out


def targets_of(
    configs: list[EnvironmentConfig], locations: list[str] | None = None
) -> tuple[list[tuple[str, str]], list[str]]:
    """The (subscription, region) pairs to read, and the GPU sizes to look up: the environments'
    regions, or `locations` in the first environment's subscription."""
    if not configs:
        raise EngineError(
            "no environment to read a subscription from: pass --env or run in a project with environments/"
        )
    if locations:
        targets = [(configs[0].azure.subscription_id, location) for location in locations]
    else:
        targets = sorted({(c.azure.subscription_id, c.azure.location) for c in configs})
    return targets, sorted({p.vm_size for c in configs for p in c.cluster.gpu_pools})


def refresh_from_arm(
    catalog: LifecycleCatalog,
    targets: list[tuple[str, str]],
    gpu_sizes: list[str],
    *,
    arm_url: str,
    target: Path,
    today: date,
) -> tuple[dict[str, Any], RefreshReport]:
    """Read `targets` from ARM (azure-identity credentials), write the refreshed catalog to `target`
    and let this process read it. A refused or failed read writes nothing (exit 3)."""
    from llmops_infra.policies.lifecycle_files import clear_cache

    try:
        with ArmClient(base_url=arm_url) as arm:
            data, report = refresh(catalog, arm, targets, gpu_sizes, today)
    except ArmError as exc:
        raise EngineError(
            f"ARM refused or failed a read ({exc.status or 'no answer'} {exc.code}: {exc.message}); nothing was written. "
            "Reader on the subscriptions is enough; sign in with `az login` or set up workload identity"
        ) from None
    write(data, target)
    clear_cache()
    return data, report


def refresh(
    catalog: LifecycleCatalog,
    arm: ArmClient,
    targets: list[tuple[str, str]],
    gpu_sizes: list[str],
    today: date,
) -> tuple[dict[str, Any], RefreshReport]:
    """A refreshed copy of the catalog's data (the input is not changed) and what changed."""
    data = copy.deepcopy(catalog.data)
    report = RefreshReport()
    regions = data.setdefault("regions", {})
    for subscription_id, location in targets:
        if location in report.regions:
            continue
        report.regions.append(location)
        source_key = f"arm-{location}"
        data["sources"][source_key] = {
            "url": f"https://management.azure.com/subscriptions/{{subscription}}/providers/…/locations/{location}",
            "read": today.isoformat(),
            "detail": f"live ARM reads for {location}: ContainerService kubernetesVersions "
            f"{preflight.AKS_API_VERSION}, CognitiveServices models {preflight.COGNITIVE_API_VERSION}, "
            f"Compute skus {preflight.SKUS_API_VERSION}",
        }
        region = regions.setdefault(location, {})
        region["read"] = today.isoformat()
        _kubernetes(
            data, region, preflight.kubernetes_versions(arm, subscription_id, location), source_key, report, location
        )
        _models(data, region, preflight.location_models(arm, subscription_id, location), source_key, report, location)
        _skus(region, preflight.vm_skus(arm, subscription_id, location), gpu_sizes, location, report)
    data["generated"] = today.isoformat()
    return data, report


def _kubernetes(
    data: dict[str, Any],
    region: dict[str, Any],
    versions: list[dict[str, Any]],
    source: str,
    report: RefreshReport,
    location: str,
) -> None:
    offered = preflight.offered_versions(versions)
    region["kubernetes"] = offered
    report.kubernetes[location] = [m for m, v in sorted(offered.items()) if not v["preview"]]
    known = data.setdefault("kubernetes", {})
    for minor, offer in offered.items():
        if offer["preview"] or minor_version(minor) in known:
            continue
        known[minor] = {
            "ga": None,
            "end_of_life": None,
            "source": source,
            "note": f"offered (GA) in {location} but not yet in the AKS calendar the catalog was built from: "
            "end-of-life date unverified",
        }
        report.new_kubernetes.append(minor)


def _models(
    data: dict[str, Any],
    region: dict[str, Any],
    models: list[dict[str, Any]],
    source: str,
    report: RefreshReport,
    location: str,
) -> None:
    region_models: dict[str, Any] = {}
    entries = data.setdefault("models", [])
    for item in models:
        model = item.get("model") or {}
        if model.get("format") not in (None, "OpenAI") or not model.get("name"):
            continue
        name, version = str(model["name"]), str(model.get("version"))
        skus = {
            str(s.get("name")): (str(s.get("deprecationDate"))[:10] if s.get("deprecationDate") else None)
            for s in model.get("skus") or []
        }
        inference = (model.get("deprecation") or {}).get("inference")
        inference = str(inference)[:10] if inference else None
        region_models[f"{name} {version}"] = {
            "lifecycle": model.get("lifecycleStatus"),
            "retirement": inference,
            "skus": skus,
        }
        entry = next((e for e in entries if e.get("name") == name and str(e.get("version")) == version), None)
        if entry is None:
            entries.append(
                {
                    "name": name,
                    "version": version,
                    "kind": "embedding" if "embedding" in name else "chat",
                    "lifecycle": model.get("lifecycleStatus"),
                    "deprecation": None,
                    "retirement": inference,
                    "retirement_by_sku": {k: v for k, v in skus.items() if v},
                    "replacement": None,
                    "source": source,
                    "note": f"added from the models API in {location}; no retirement schedule entry yet",
                }
            )
            report.models_added.append(f"{name} {version}")
            continue
        if inference and (not entry.get("retirement") or inference < str(entry["retirement"])):
            entry["retirement"] = inference
            entry["source"] = source
            entry["note"] = f"retirement moved to the date the models API gives in {location}"
            report.models_updated.append(f"{name} {version} -> {inference}")
        by_sku = entry.setdefault("retirement_by_sku", {})
        for sku, ends in skus.items():
            if ends and ends < str(by_sku.get(sku) or entry.get("retirement") or "9999"):
                by_sku[sku] = ends
    region["models"] = region_models


def _skus(
    region: dict[str, Any], skus: list[dict[str, Any]], gpu_sizes: list[str], location: str, report: RefreshReport
) -> None:
    offers = preflight.sku_offers(skus, location)
    region["vm_skus"] = {}
    for size in gpu_sizes:
        offer = offers.get(size)
        record: dict[str, Any]
        if offer is None:
            record = {"offered": False}
        else:
            usable = sorted(set(offer["zones"]) - set(offer["restricted_zones"]))
            record = {
                "offered": True,
                "zones": offer["zones"],
                "usable_zones": usable,
                "restricted": offer["restricted"],
            }
        region["vm_skus"][size] = record
        report.vm_sizes[f"{size} in {location}"] = record if offer else {"restricted": "not offered"}


def write(data: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    tmp.replace(path)  # readers never see half a file
