"""Lifecycle and compatibility of an environment's pins, judged when it is validated.

Every pinned version is looked up in the lifecycle catalog (`policies/lifecycle_catalog.py`):
the AKS Kubernetes version, each model version and deployment type, the GPU operator release and
its driver, the inference image, the OS SKU of each pool, the GPU VM sizes, prompt flow (when ML
endpoints serve flows) and the add-ons whose version follows the cluster's. A pin retired or out
of support today is an error (validate, plan, policy check and up refuse the config: exit 2);
retiring within the catalog's `warn_days`, deprecated or unknown is a warning.

Compatibility, checked here because each failure would only surface on the nodes:
- the driver branch the GPU operator installs must support the CUDA version the inference image
  requires (nvidia-container-cli refuses to start the container otherwise);
- with the GPU operator managing drivers, every pool runs the same OS SKU, and one the operator
  supports ("not compatible with multiple OS versions on the same AKS cluster");
- the cluster's Kubernetes version is within the operator release's validated range (warning).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from llmops_infra.policies.lifecycle_catalog import (
    OK,
    RETIRED,
    UNKNOWN,
    LifecycleCatalog,
    Verdict,
    cuda_tuple,
    driver_branch,
    minor_version,
)
from llmops_infra.policies.lifecycle_files import load_catalog

KeyPath = tuple[str | int, ...]
JUDGED_UNKNOWN = {"kubernetes", "model", "gpu-operator", "driver", "image", "os-sku", "vm-size"}


@dataclass(frozen=True)
class Pin:
    key: KeyPath
    """Where the pin is set in the environment files."""
    value: str
    verdict: Verdict
    derived: bool = False
    """Not written in the files but implied (the operator's default driver, AKS add-on versions)."""


@dataclass(frozen=True)
class Finding:
    key: KeyPath
    message: str


@dataclass
class LifecycleReport:
    today: date
    catalog: LifecycleCatalog
    pins: list[Pin] = field(default_factory=list)
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)


def today() -> date:
    """The day pins are judged (a function, so that tests can move the clock)."""
    return date.today()


def check(config: Any, catalog: LifecycleCatalog | None = None, day: date | None = None) -> LifecycleReport:
    """The pins of `config` with their verdicts, and the errors and warnings they give."""
    catalog = catalog or load_catalog()
    report = LifecycleReport(day or today(), catalog)
    report.pins = pins_of(config, catalog, report.today)
    for pin in report.pins:
        verdict = pin.verdict
        if verdict.kind == "addon":
            continue  # judged with the cluster's version
        if verdict.state == RETIRED:
            report.errors.append(Finding(pin.key, verdict.sentence()))
        elif verdict.state == UNKNOWN:
            if verdict.kind in JUDGED_UNKNOWN and not pin.derived:
                report.warnings.append(Finding(pin.key, verdict.sentence() + ": its support window cannot be judged"))
        elif verdict.state != OK:
            report.warnings.append(Finding(pin.key, verdict.sentence()))
    _compatibility(config, catalog, report)
    return report


# --------------------------------------------------------------------------- pins


def pins_of(config: Any, catalog: LifecycleCatalog, day: date) -> list[Pin]:
    cluster = config.cluster
    pins = [
        Pin(
            ("cluster", "kubernetes_version"),
            cluster.kubernetes_version,
            catalog.kubernetes(cluster.kubernetes_version, day),
        )
    ]
    for name, version in catalog.addons(cluster.kubernetes_version).items():
        verdict = catalog.kubernetes(cluster.kubernetes_version, day)
        pins.append(
            Pin(
                ("cluster", "kubernetes_version"),
                f"{name} {version}",
                Verdict(
                    "addon",
                    f"AKS add-on {name} {version}",
                    verdict.state,
                    verdict.date,
                    verdict.replacement,
                    verdict.source,
                    verdict.read,
                    "its version follows the cluster's Kubernetes version",
                ),
                derived=True,
            )
        )
    for index, dep in enumerate(config.openai.deployments):
        pins.append(
            Pin(
                ("openai", "deployments", index, "version"),
                f"{dep.model} {dep.version} {dep.sku}",
                catalog.model(dep.model, dep.version, dep.sku, day),
            )
        )
    pins += _gpu_runtime_pins(config, catalog, day)
    for index, model in enumerate(config.inference.models):
        tag = getattr(model, "image_tag", None)
        pins.append(
            Pin(
                ("inference", "models", index, "image_tag" if tag else "image_digest"),
                f"{model.image}:{tag or model.image_digest}",
                catalog.image_verdict(model.image, day, tag=tag, digest=model.image_digest),
            )
        )
    loader = getattr(config.inference, "weights_loader", None)
    if loader is not None and config.inference.models:
        pins.append(
            Pin(
                ("inference", "weights_loader", "image_tag" if loader.image_tag else "image_digest"),
                f"{loader.image}:{loader.image_tag or loader.image_digest}",
                catalog.image_verdict(loader.image, day, tag=loader.image_tag, digest=loader.image_digest),
            )
        )
    for key, pool in _pools(config):
        sku = getattr(pool, "os_sku", None)
        if sku:
            pins.append(Pin((*key, "os_sku"), sku, catalog.os_sku(sku, day)))
    for index, pool in enumerate(cluster.gpu_pools):
        pins.append(Pin(("cluster", "gpu_pools", index, "vm_size"), pool.vm_size, catalog.vm_size(pool.vm_size, day)))
    if config.ml.endpoints:
        pins.append(Pin(("ml", "endpoints"), "prompt flow (Azure ML)", catalog.feature("azureml-prompt-flow", day)))
    return pins


def _gpu_runtime_pins(config: Any, catalog: LifecycleCatalog, day: date) -> list[Pin]:
    cluster = config.cluster
    pins: list[Pin] = []
    if cluster.gpu_driver == "operator":
        operator = getattr(cluster, "gpu_operator_version", None)
        if operator:
            pins.append(Pin(("cluster", "gpu_operator_version"), operator, catalog.gpu_operator(operator, day)))
        driver = effective_driver(config, catalog)
        if driver:
            derived = not getattr(cluster, "gpu_driver_version", None)
            key = ("cluster", "gpu_operator_version") if derived else ("cluster", "gpu_driver_version")
            pins.append(Pin(key, driver, catalog.driver(driver, day), derived=derived))
    else:
        for field_name, repository in (
            ("device_plugin_image_digest", "nvidia/k8s-device-plugin"),
            ("dcgm_exporter_image_digest", "nvidia/k8s/dcgm-exporter"),
        ):
            digest = getattr(cluster, field_name)
            agent = catalog.node_agent(repository, digest)
            subject = f"{repository}:{agent['tag']}" if agent else f"{repository}@{digest[:19]}…"
            url, read = catalog.source(agent.get("source")) if agent else (None, None)
            state = OK if agent else UNKNOWN
            detail = (agent or {}).get("note", "digest not in the catalog")
            pins.append(
                Pin(
                    ("cluster", field_name),
                    digest,
                    Verdict("node-agent", subject, state, None, None, url, read, detail),
                )
            )
    return pins


def effective_driver(config: Any, catalog: LifecycleCatalog) -> str | None:
    """The driver version the GPU operator installs: the pinned one, else the release's default."""
    cluster = config.cluster
    pinned = getattr(cluster, "gpu_driver_version", None)
    if pinned:
        return str(pinned)
    operator = getattr(cluster, "gpu_operator_version", None)
    return catalog.operator_entry(operator).get("default_driver") if operator else None


def _pools(config: Any) -> list[tuple[KeyPath, Any]]:
    pools: list[tuple[KeyPath, Any]] = [(("cluster", "system_pool"), config.cluster.system_pool)]
    pools += [(("cluster", "gpu_pools", i), p) for i, p in enumerate(config.cluster.gpu_pools)]
    return pools


# --------------------------------------------------------------------------- compatibility


def _compatibility(config: Any, catalog: LifecycleCatalog, report: LifecycleReport) -> None:
    cluster = config.cluster
    if cluster.gpu_driver != "operator":
        if config.inference.models:
            report.warnings.append(
                Finding(
                    ("cluster", "gpu_driver"),
                    "AKS installs the GPU driver (gpu_driver: aks): the driver branch "
                    "is not known here, so the inference images' CUDA requirement is not checked",
                )
            )
        return
    _os_skus(config, catalog, report)
    driver = effective_driver(config, catalog)
    operator = getattr(cluster, "gpu_operator_version", None)
    entry = catalog.operator_entry(operator) if operator else {}
    validated = entry.get("kubernetes") or []
    if len(validated) == 2:
        low, high = (cuda_tuple(v) for v in validated)
        if not low <= cuda_tuple(minor_version(cluster.kubernetes_version)) <= high:
            report.warnings.append(
                Finding(
                    ("cluster", "kubernetes_version"),
                    f"GPU operator {operator} is validated on Kubernetes {validated[0]} to {validated[1]}, "
                    f"not {cluster.kubernetes_version} (source: {catalog.source(entry.get('source'))[0]})",
                )
            )
    if not driver:
        return
    try:
        branch, max_cuda = driver_branch(driver), catalog.max_cuda(driver)
    except ValueError as exc:
        report.errors.append(Finding(("cluster", "gpu_driver_version"), str(exc)))
        return
    for index, model in enumerate(config.inference.models):
        image = catalog.image(model.image, tag=getattr(model, "image_tag", None), digest=model.image_digest)
        if not image or not image.get("cuda"):
            continue
        tag = getattr(model, "image_tag", None)
        if tag and image.get("tag") != tag:
            report.warnings.append(
                Finding(
                    ("inference", "models", index, "image_tag"),
                    f"image_tag says {tag} but the catalog records digest {model.image_digest[:19]}… as "
                    f"{image.get('tag')}: fix the tag or the digest (the CUDA check used {image.get('tag')})",
                )
            )
        elif tag and model.image_digest not in (image.get("digests") or []):
            report.warnings.append(
                Finding(
                    ("inference", "models", index, "image_digest"),
                    f"{model.image}@{model.image_digest[:19]}… is not the digest the catalog records for {tag} "
                    f"({', '.join(d[:19] + '…' for d in image.get('digests') or []) or 'none'}): check it",
                )
            )
        if max_cuda is None:
            report.warnings.append(
                Finding(
                    ("cluster", "gpu_driver_version"),
                    f"the CUDA version driver branch {branch} supports is not in the catalog",
                )
            )
        elif cuda_tuple(max_cuda) < cuda_tuple(image["cuda"]):
            key = (
                ("cluster", "gpu_driver_version")
                if getattr(cluster, "gpu_driver_version", None)
                else ("cluster", "gpu_operator_version")
            )
            report.errors.append(
                Finding(
                    key,
                    f"driver {driver} ({branch}) supports CUDA up to {max_cuda}, but {model.image}:{image.get('tag')} "
                    f"(inference.models[{index}]) needs CUDA {image['cuda']}: the container would not start "
                    f"(nvidia-container-cli: unsatisfied condition: cuda>={image['cuda']}). Pin a driver of a branch "
                    f"that supports CUDA {image['cuda']} (gpu_driver_version, e.g. R580: 580.x) or an image built for CUDA {max_cuda}",
                )
            )


def _os_skus(config: Any, catalog: LifecycleCatalog, report: LifecycleReport) -> None:
    skus = {key: getattr(pool, "os_sku", None) for key, pool in _pools(config)}
    named = {key: sku for key, sku in skus.items() if sku}
    if len(set(named.values())) > 1:
        listed = ", ".join(f"{'.'.join(str(k) for k in key)}={sku}" for key, sku in named.items())
        first = next(iter(named))
        report.errors.append(
            Finding(
                (*first, "os_sku"),
                f"the GPU operator manages the drivers (gpu_driver: operator) but the pools run different OS SKUs "
                f"({listed}): the operator is not compatible with multiple OS versions on one cluster; use one os_sku "
                f"on every pool (source: {catalog.source('aks-gpu-operator')[0]})",
            )
        )
    for key, sku in named.items():
        if catalog.os_supports_operator(sku) is False:
            report.errors.append(
                Finding(
                    (*key, "os_sku"),
                    f"os_sku {sku} is not an operating system the NVIDIA GPU operator supports: use Ubuntu "
                    f"(source: {catalog.source('nvidia-operator-platforms')[0]})",
                )
            )
