"""Live preflight: what the region and the subscription offer, checked before the engine starts.

Three questions, each asked of ARM and answered with the setting to change:

- the AKS Kubernetes version is offered in the region (`kubernetesVersions`, not preview);
- every model deployment's model, version and deployment type is offered in the region, not
  past its deprecation there, and the regional quota (`OpenAI.<type>.<model>` usages) holds the
  capacity (`models` + Cognitive Services `usages`);
- every GPU pool's VM size is offered in the region and in each configured zone without a
  restriction for this subscription (`Microsoft.Compute/skus`).

The vCPU family quota for the pools' maximum size is the `quota` gate (`azure_access`).
The fetchers take an `ArmClient`; the judges are pure functions of the answers, tested alike.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmops_infra.engine.arm_client import ArmClient

AKS_API_VERSION = "2025-09-01"
COGNITIVE_API_VERSION = "2025-06-01"
SKUS_API_VERSION = "2021-07-01"


@dataclass(frozen=True)
class Problem:
    setting: str
    """The key to change, as written in the environment files: `openai.deployments[0].sku`."""
    message: str

    def __str__(self) -> str:
        return f"{self.setting}: {self.message}"


# --------------------------------------------------------------------------- fetchers


def kubernetes_versions(arm: ArmClient, subscription_id: str, location: str) -> list[dict[str, Any]]:
    path = (
        f"/subscriptions/{subscription_id}/providers/Microsoft.ContainerService/locations/{location}/kubernetesVersions"
    )
    return arm.list(path, AKS_API_VERSION)


def location_models(arm: ArmClient, subscription_id: str, location: str) -> list[dict[str, Any]]:
    path = f"/subscriptions/{subscription_id}/providers/Microsoft.CognitiveServices/locations/{location}/models"
    return arm.list(path, COGNITIVE_API_VERSION)


def cognitive_usages(arm: ArmClient, subscription_id: str, location: str) -> dict[str, tuple[float, float]]:
    """usage name (lower case) -> (current, limit)."""
    path = f"/subscriptions/{subscription_id}/providers/Microsoft.CognitiveServices/locations/{location}/usages"
    usages = {}
    for item in arm.list(path, COGNITIVE_API_VERSION):
        name = (item.get("name") or {}).get("value")
        if name:
            usages[str(name).lower()] = (float(item.get("currentValue") or 0), float(item.get("limit") or 0))
    return usages


def vm_skus(arm: ArmClient, subscription_id: str, location: str) -> list[dict[str, Any]]:
    path = f"/subscriptions/{subscription_id}/providers/Microsoft.Compute/skus"
    return arm.list(path, SKUS_API_VERSION, {"$filter": f"location eq '{location}'"})


# --------------------------------------------------------------------------- AKS version


def offered_versions(versions: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """minor -> {"preview": bool, "patches": [...], "default": bool, "support_plans": [...]}."""
    offered = {}
    for item in versions:
        minor = str(item.get("version") or "")
        if not minor:
            continue
        offered[minor] = {
            "preview": bool(item.get("isPreview")),
            "default": bool(item.get("isDefault")),
            "patches": sorted((item.get("patchVersions") or {}).keys()),
            "support_plans": list((item.get("capabilities") or {}).get("supportPlan") or []),
        }
    return offered


def kubernetes_problems(version: str, versions: list[dict[str, Any]], location: str) -> list[Problem]:
    offered = offered_versions(versions)
    minor = ".".join(version.split(".")[:2])
    ga = sorted((m for m, v in offered.items() if not v["preview"]), key=_version_key)
    setting = "cluster.kubernetes_version"
    if minor not in offered:
        return [Problem(setting, f"Kubernetes {version} is not offered in {location} (offered: {', '.join(ga)})")]
    if offered[minor]["preview"]:
        return [
            Problem(setting, f"Kubernetes {minor} is in preview in {location}: choose a GA version ({', '.join(ga)})")
        ]
    if version != minor and version not in offered[minor]["patches"]:
        patches = ", ".join(offered[minor]["patches"])
        return [
            Problem(
                setting,
                f"patch {version} is not offered in {location} (offered: {patches}); pin the minor version {minor} "
                "to get its latest patch",
            )
        ]
    return []


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


# --------------------------------------------------------------------------- models


def _day(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def model_skus(models: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    """(name, version) -> {deployment type: {"usage": usage name, "deprecation": date | None}}."""
    found: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for item in models:
        model = item.get("model") or {}
        if model.get("format") not in (None, "OpenAI"):
            continue
        key = (str(model.get("name")), str(model.get("version")))
        skus = found.setdefault(key, {})
        for sku in model.get("skus") or []:
            name = str(sku.get("name"))
            skus[name] = {
                "usage": sku.get("usageName") or f"OpenAI.{name}.{key[0]}",
                "deprecation": _day(sku.get("deprecationDate"))
                or _day((model.get("deprecation") or {}).get("inference")),
            }
    return found


def model_problems(
    deployments: list[Any],
    models: list[dict[str, Any]],
    usages: dict[str, tuple[float, float]],
    location: str,
    today: date,
) -> list[Problem]:
    """Each deployment's model, version and type must be offered and not deprecated; the quota must hold the capacity."""
    offered = model_skus(models)
    problems: list[Problem] = []
    needed: dict[str, list[tuple[int, Any]]] = defaultdict(list)
    for index, dep in enumerate(deployments):
        key = (dep.model, str(dep.version))
        where = f"openai.deployments[{index}]"
        if key not in offered:
            versions = sorted(v for (m, v) in offered if m == dep.model)
            hint = f"versions offered: {', '.join(versions)}" if versions else f"{dep.model} is not offered there"
            problems.append(
                Problem(f"{where}.version", f"{dep.model} {dep.version} is not offered in {location} ({hint})")
            )
            continue
        skus = offered[key]
        if dep.sku not in skus:
            problems.append(
                Problem(
                    f"{where}.sku",
                    f"{dep.model} {dep.version} has no {dep.sku} deployments in {location} "
                    f"(offered: {', '.join(sorted(skus)) or 'none'})",
                )
            )
            continue
        ends = skus[dep.sku]["deprecation"]
        if ends is not None and ends <= today:
            problems.append(
                Problem(
                    f"{where}.version", f"{dep.model} {dep.version} ({dep.sku}) was deprecated in {location} on {ends}"
                )
            )
            continue
        needed[str(skus[dep.sku]["usage"])].append((index, dep))
    for usage, users in needed.items():
        capacity = sum(dep.capacity for _, dep in users)
        current, limit = usages.get(usage.lower(), (0.0, 0.0))
        free = limit - current
        if free < capacity:
            parts = " + ".join(f"{dep.name} {dep.capacity}" for _, dep in users)
            first = users[0][0]
            problems.append(
                Problem(
                    f"openai.deployments[{first}].capacity",
                    f"{usage} quota in {location} has {free:g} free of {limit:g} (thousand tokens per minute) but the "
                    f"deployments need {capacity} ({parts}): lower the capacity, choose another deployment type or "
                    "region, or request more quota (portal: Azure AI Foundry > Quota)",
                )
            )
    return problems


# --------------------------------------------------------------------------- VM sizes


def sku_offers(skus: list[dict[str, Any]], location: str) -> dict[str, dict[str, Any]]:
    """VM size -> {"zones": [...], "restricted_zones": [...], "restricted": reason | None}."""
    offers = {}
    for sku in skus:
        if sku.get("resourceType") != "virtualMachines":
            continue
        info = next(
            (i for i in sku.get("locationInfo") or [] if str(i.get("location", "")).lower() == location.lower()), None
        )
        if info is None:
            continue
        restricted, restricted_zones = None, set()
        for restriction in sku.get("restrictions") or []:
            reason = restriction.get("reasonCode") or "restricted"
            if restriction.get("type") == "Location":
                restricted = reason
            elif restriction.get("type") == "Zone":
                restricted_zones |= set((restriction.get("restrictionInfo") or {}).get("zones") or [])
        offers[str(sku.get("name"))] = {
            "zones": sorted(info.get("zones") or []),
            "restricted_zones": sorted(restricted_zones),
            "restricted": restricted,
            "family": sku.get("family"),
        }
    return offers


def sku_problems(pools: list[Any], skus: list[dict[str, Any]], location: str) -> list[Problem]:
    offers = sku_offers(skus, location)
    problems = []
    for index, pool in enumerate(pools):
        where = f"cluster.gpu_pools[{index}]"
        offer = offers.get(pool.vm_size)
        if offer is None:
            problems.append(Problem(f"{where}.vm_size", f"{pool.vm_size} is not offered in {location}"))
            continue
        if offer["restricted"]:
            problems.append(
                Problem(
                    f"{where}.vm_size",
                    f"{pool.vm_size} is restricted for this subscription in {location} ({offer['restricted']}): "
                    "request access (support ticket) or choose another size or region",
                )
            )
            continue
        usable = set(offer["zones"]) - set(offer["restricted_zones"])
        missing = sorted(set(pool.zones) - usable)
        if missing:
            problems.append(
                Problem(
                    f"{where}.zones",
                    f"{pool.vm_size} cannot be placed in zone(s) {', '.join(missing)} of {location} "
                    f"(usable zones: {', '.join(sorted(usable)) or 'none'})",
                )
            )
    return problems
