"""Bootstrap step `images`: every image the estate pins, by digest, in the private registry.

The pods and the ML deployments pull from the estate's registry, which is private, so nothing
pulls from Docker Hub, nvcr.io or MCR at run time. The images come from the config:

- each `inference.models[]` image (`image`@`image_digest`, imported from `image_source`) and
  the weights loader that stages and copies their weights (`inference.weights_loader`, from MCR);
- with `cluster.gpu_driver: aks`, the device plugin and the DCGM exporter (from nvcr.io);
- with ML endpoints, `ml.flow_image` (from its `source`; `source: null` is pushed by the flow's
  own pipeline and only checked).

Each is imported with ARM's `Microsoft.ContainerRegistry/registries/importImage` (API
2025-11-01, a long-running operation followed through its `Location`; request and response as
in azure-rest-api-specs ContainerRegistry/Registry/stable/2025-11-01/examples/
ImportImageByManifestDigest.json, read 2026-12-01): by digest, into an untagged repository of
the same name, mode NoForce, so a rerun imports nothing new and overwrites no tag. Presence
is read on the registry's data plane (`HEAD /v2/<repo>/manifests/<digest>`); a private
registry does not answer outside its network, and then the import itself is the check (it is
idempotent). Importing into a registry without public access needs its "trusted services"
bypass (`networkRuleBypassOptions: AzureServices`, which the Registry component sets), and the
deployer needs "Container Registry Data Importer and Data Reader" on the registry
(learn.microsoft.com/azure/container-registry/container-registry-import-images, read 2026-12-01).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from llmops_infra.components.gpu_runtime import DCGM_EXPORTER_IMAGE, DEVICE_PLUGIN_IMAGE
from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.engine.arm_client import ArmError
from llmops_infra.engine.seed_types import (
    BLOCKED,
    DONE,
    MISSING,
    PRESENT,
    REGISTRY_API,
    UNKNOWN,
    WAITING,
    SeedContext,
    SeedFailed,
    SeedItem,
)

PLACEHOLDER_DIGEST = "sha256:" + "0" * 64
IMPORTER_ROLE = "Container Registry Data Importer and Data Reader (577a9874-89fd-4f24-9dbd-b5034d0ad23a)"
"""Built-in role that may trigger imports (learn.microsoft.com/azure/role-based-access-control/built-in-roles,
read 2026-12-01)."""
NVCR = "nvcr.io"


@dataclass(frozen=True)
class PinnedImage:
    repository: str
    """Repository in the estate's registry (and, unless `source_repository` differs, in the source)."""
    digest: str
    source: str | None
    """Registry to import from; None: pushed by someone else, only checked."""
    key: str
    """The config key that pins it."""
    source_repository: str = ""

    @property
    def ref(self) -> str:
        return f"{self.repository}@{self.digest}"

    @property
    def short(self) -> str:
        return f"{self.repository}@{self.digest[:19]}…"


def pinned_images(config: EnvironmentConfig) -> list[PinnedImage]:
    """Every image the estate pins, once each, in config order."""
    found: list[PinnedImage] = []
    inference = config.inference
    for index, model in enumerate(inference.models):
        found.append(
            PinnedImage(model.image, model.image_digest, model.image_source, f"inference.models[{index}].image_digest")
        )
    loader = inference.weights_loader
    if inference.models and loader is not None:
        found.append(
            PinnedImage(loader.image, loader.image_digest, loader.image_source, "inference.weights_loader.image_digest")
        )
    cluster = config.cluster
    if cluster.gpu_driver == "aks":
        found.append(
            PinnedImage(
                DEVICE_PLUGIN_IMAGE, cluster.device_plugin_image_digest, NVCR, "cluster.device_plugin_image_digest"
            )
        )
        found.append(
            PinnedImage(
                DCGM_EXPORTER_IMAGE, cluster.dcgm_exporter_image_digest, NVCR, "cluster.dcgm_exporter_image_digest"
            )
        )
    flow = config.ml.flow_image
    if config.ml.endpoints and flow is not None:
        found.append(PinnedImage(flow.repository, flow.digest, flow.source, "ml.flow_image.digest"))
    unique: dict[str, PinnedImage] = {}
    for image in found:
        unique.setdefault(image.ref, image)
    served = set(inference.pinned_images())  # what the inference workloads pull: every one must be here
    assert served <= set(unique), f"images the workloads pull but the bootstrap does not import: {served - set(unique)}"
    return list(unique.values())


def _credentials(ctx: SeedContext, source: str) -> dict[str, str] | None:
    """importImage's `source.credentials` from the variables `registry.import_credentials` names."""
    for entry in ctx.config.registry.import_credentials:
        if entry.registry == source:
            username, password = ctx.environ.get(entry.username_env), ctx.environ.get(entry.password_env)
            if not username or not password:
                return None
            return {"username": username, "password": password}
    return None


class ImagesStep:
    name = "images"

    def check(self, ctx: SeedContext) -> list[SeedItem]:
        images = pinned_images(ctx.config)
        targets = ctx.targets
        items: list[SeedItem] = []
        if targets.registry is None:
            return [
                SeedItem(self.name, i.short, WAITING, f"registry {targets.registry_name} is not created yet", i.key, i)
                for i in images
            ]
        self._check_network(ctx)
        registry = ctx.clients.registry(targets.login_server)
        for image in images:
            if image.digest == PLACEHOLDER_DIGEST:
                items.append(
                    SeedItem(
                        self.name,
                        image.short,
                        BLOCKED,
                        f"{image.key} is the shipped placeholder: pin the digest of the image you run "
                        "(docs/first-up.md, 'Before the first up')",
                        image.key,
                        image,
                    )
                )
                continue
            state, why = _presence(registry, image)
            source = f"from {image.source}" if image.source else "pushed by your pipeline (not imported)"
            items.append(
                SeedItem(self.name, image.short, state, source + (f"; {why}" if why else ""), image.key, image)
            )
        return items

    def _check_network(self, ctx: SeedContext) -> None:
        properties = (ctx.targets.registry or {}).get("properties") or {}
        private = str(properties.get("publicNetworkAccess") or "Enabled") == "Disabled"
        if private and str(properties.get("networkRuleBypassOptions") or "None") != "AzureServices":
            raise SeedFailed(
                self.name,
                f"registry {ctx.targets.registry_name} has public access disabled and does not let trusted Azure "
                "services through (networkRuleBypassOptions is not AzureServices): imports into it fail. Set "
                "network_rule_bypass_options to AzureServices (the Registry component's default) and rerun",
            )

    def ensure(self, ctx: SeedContext, item: SeedItem) -> SeedItem:
        image: PinnedImage = item.payload
        if item.state == BLOCKED:
            from llmops_infra.errors import ConfigError

            raise ConfigError(item.detail, key=item.key)
        if image.source is None:
            return self._pushed(ctx, item, image)
        started = time.monotonic()
        self._import(ctx, image)
        registry = ctx.clients.registry(ctx.targets.login_server)
        state, why = _presence(registry, image)
        seconds = time.monotonic() - started
        if state == MISSING:
            raise SeedFailed(
                self.name,
                f"gate image-present: {image.ref} is not in {ctx.targets.login_server} although the import "
                "succeeded; rerun the bootstrap (`llmops-infra up ENV --only bootstrap`)",
            )
        note = " (verified)" if state == PRESENT else f" (the import is the check: {why})"
        return item.but(DONE, f"imported from {image.source} in {seconds:.0f} s{note}")

    def _import(self, ctx: SeedContext, image: PinnedImage) -> None:
        assert image.source is not None
        source: dict[str, Any] = {
            "registryUri": image.source,
            "sourceImage": f"{image.source_repository or image.repository}@{image.digest}",
        }
        credentials = _credentials(ctx, image.source)
        if credentials:
            source["credentials"] = credentials
        body = {"source": source, "untaggedTargetRepositories": [image.repository], "mode": "NoForce"}
        arm = ctx.clients.arm
        try:
            started = arm.request("POST", f"{ctx.targets.registry_path}/importImage", REGISTRY_API, json=body)
            arm.wait(started, timeout=ctx.import_timeout, what=f"import of {image.short}")
        except ArmError as exc:
            raise SeedFailed(self.name, _import_failure(exc, image, ctx.targets.registry_name)) from None

    def _pushed(self, ctx: SeedContext, item: SeedItem, image: PinnedImage) -> SeedItem:
        if item.state == MISSING:
            raise SeedFailed(
                self.name,
                f"gate image-present: {image.ref} ({image.key}) is not in {ctx.targets.login_server} and has no "
                "source to import it from: push it (your flow's pipeline) or set its source, then rerun",
            )
        return item.but(UNKNOWN, "pushed by your pipeline; its presence could not be checked from here")


def _presence(registry: Any, image: PinnedImage) -> tuple[str, str]:
    """(PRESENT | MISSING | UNKNOWN, why it is unknown)."""
    try:
        return (PRESENT, "") if registry.has_manifest(image.repository, image.digest) else (MISSING, "")
    except ArmError as exc:
        if exc.status == 0:
            return UNKNOWN, f"the registry's data plane is not reachable from here ({exc.code})"
        return UNKNOWN, f"the registry's data plane answered {exc.status} {exc.code}"


def _import_failure(exc: ArmError, image: PinnedImage, registry: str) -> str:
    if exc.forbidden:
        return (
            f"ARM refused the import of {image.short} into {registry} ({exc.code}): grant the deployer "
            f"{IMPORTER_ROLE} on the registry (docs/first-up.md, 'What an administrator grants once'), then rerun"
        )
    if exc.code == "OperationTimedOut":
        return f"{exc.message} ({image.short})"
    return (
        f"importing {image.source}/{image.source_repository or image.repository}@{image.digest} into {registry} "
        f"failed: {exc.status or 'no answer'} {exc.code}: {exc.message}. Check that the digest exists in the source "
        "registry; a rerun retries"
    )
