"""The Kubernetes part of the estate: GPU runtime, gateway namespace, inference services.

Everything built here is a Kubernetes object applied through one Kubernetes provider. What it
needs from the Azure side (registry, identities' client ids, Key Vault, the metrics endpoint, the
tenant) arrives as `PlatformOutputs`, never as Azure resources, so that the same code runs:

- in the estate program (`stage_compute`), with the outputs of the estate's own components;
- in a workload stack that reads a platform stack's outputs (`PlatformOutputs.from_mapping`);
- against a bare Kubernetes API server (tests/test_k8s_deploy.py), from a dict.

The Azure side of a workload (the federated credentials of its service accounts) is made by the
caller and passed in `pods_depend_on`, keyed by model name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from llmops_infra.components.gpu_runtime import GpuRuntime, GpuRuntimeArgs
from llmops_infra.components.inference_manifests import ActiveHours, restricted_namespace_labels
from llmops_infra.components.inference_service import InferenceService, InferenceServiceArgs
from llmops_infra.components.node_pools import GpuPoolSpec
from llmops_infra.config.models import EnvironmentConfig, GpuPool
from llmops_infra.errors import ConfigError


@dataclass(frozen=True, kw_only=True)
class PlatformOutputs:
    """What the Kubernetes workloads read from the Azure side (a platform stack's outputs)."""

    tenant_id: str
    registry_login_server: pulumi.Input[str]
    """The estate's registry: every image is pulled from it by digest."""
    prometheus_query_endpoint: pulumi.Input[str]
    """PromQL endpoint of the Azure Monitor workspace (KEDA reads the queue length there)."""
    key_vault_name: pulumi.Input[str] | None = None
    """The vault holding the model hub token (needed when a model names `hub_token_secret`)."""
    client_ids: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Workload identity client ids by workload (`inference` is needed when models are served)."""
    keda_client_id: pulumi.Input[str] | None = None
    """Client id of the identity KEDA's operator reads the workspace with (needed with models)."""

    @classmethod
    def from_mapping(cls, outputs: Mapping[str, Any]) -> PlatformOutputs:
        """From stack outputs (or any dict with the field names as keys); a clear error when one is missing."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(outputs) - names)
        if unknown:
            raise ConfigError(
                f"platform outputs: unknown key(s) {', '.join(unknown)}: expected {', '.join(sorted(names))}"
            )
        missing = [n for n in ("tenant_id", "registry_login_server", "prometheus_query_endpoint") if n not in outputs]
        if missing:
            raise ConfigError(f"platform outputs: missing {', '.join(missing)}: export them from the platform stack")
        return cls(**{**outputs, "client_ids": dict(outputs.get("client_ids") or {})})


@dataclass
class KubernetesWorkloads:
    runtime: GpuRuntime
    gateway_namespace: k8s.core.v1.Namespace | None
    services: dict[str, InferenceService]


def pool_spec(pool: GpuPool) -> GpuPoolSpec:
    return GpuPoolSpec(
        name=pool.name,
        vm_size=pool.vm_size,
        min_nodes=pool.min_nodes,
        max_nodes=pool.max_nodes,
        spot=pool.spot,
        spot_max_price=pool.spot_max_price,
        zones=list(pool.zones),
    )


def gpu_runtime(
    config: EnvironmentConfig,
    provider: k8s.Provider,
    registry_login_server: pulumi.Input[str],
    opts: pulumi.ResourceOptions | None = None,
) -> GpuRuntime:
    """Drivers, device plugin and GPU metrics, in the mode the GPU pools were created for."""
    c = config.cluster
    return GpuRuntime(
        "gpu_runtime",
        GpuRuntimeArgs(
            provider=provider,
            mode="operator" if c.gpu_driver == "operator" else "device-plugin",
            registry_login_server=registry_login_server,
            device_plugin_digest=c.device_plugin_image_digest,
            dcgm_exporter_digest=c.dcgm_exporter_image_digest,
        ),
        opts,
    )


def gateway_namespace(
    config: EnvironmentConfig, provider: k8s.Provider, parent: pulumi.Resource | None = None
) -> k8s.core.v1.Namespace:
    """The one namespace whose pods may call the services (their NetworkPolicies admit it)."""
    return k8s.core.v1.Namespace(
        "inference-gateway-ns",
        metadata={"name": config.inference.gateway_namespace, "labels": restricted_namespace_labels("gateway")},
        opts=pulumi.ResourceOptions(parent=parent, provider=provider),
    )


def inference_services(
    config: EnvironmentConfig,
    provider: k8s.Provider,
    platform: PlatformOutputs,
    *,
    runtime: pulumi.Resource,
    pods_depend_on: Mapping[str, Sequence[pulumi.Resource]] | None = None,
) -> dict[str, InferenceService]:
    """One vLLM service per configured model (placement was checked when the config was validated)."""
    models = config.inference.models
    if not models:
        return {}
    if "inference" not in platform.client_ids:
        raise ConfigError(
            "inference models are configured but identity.workloads has no 'inference' identity: add it",
            key="identity.workloads",
        )
    if platform.keda_client_id is None:
        raise ConfigError("inference models are configured but the platform exports no KEDA identity (keda_client_id)")
    pools = {p.name: pool_spec(p) for p in config.cluster.gpu_pools}
    services: dict[str, InferenceService] = {}
    for model in models:
        if model.hub_token_secret and platform.key_vault_name is None:
            raise ConfigError(
                f"model {model.name} reads hub_token_secret from Key Vault but the platform exports no key_vault_name",
                key=f"inference.models.{model.name}.hub_token_secret",
            )
        services[model.name] = InferenceService(
            model.name,
            InferenceServiceArgs(
                provider=provider,
                model=model.model,
                registry_login_server=platform.registry_login_server,
                image=model.image,
                image_digest=model.image_digest,
                pool=pools[model.gpu_pool],
                workload_client_id=platform.client_ids["inference"],
                tenant_id=platform.tenant_id,
                gateway_namespace=config.inference.gateway_namespace,
                gpus_per_replica=model.gpus_per_replica,
                min_replicas=model.min_replicas,
                max_replicas=model.max_replicas,
                queue_threshold=model.queue_threshold,
                active_hours=ActiveHours(**model.active_hours.model_dump()) if model.active_hours else None,
                max_model_len=model.max_model_len,
                dtype=model.dtype,
                quantization=model.quantization,
                prometheus_query_endpoint=platform.prometheus_query_endpoint,
                scaler_client_id=platform.keda_client_id,
                key_vault_name=platform.key_vault_name if model.hub_token_secret else None,
                hub_token_secret=model.hub_token_secret,
                depends_on=[runtime, *(pods_depend_on or {}).get(model.name, ())],
            ),
        )
    return services


def deploy(config: EnvironmentConfig, provider: k8s.Provider, platform: PlatformOutputs) -> KubernetesWorkloads:
    """The whole Kubernetes part, in order: what a workload stack's program runs."""
    runtime = gpu_runtime(config, provider, platform.registry_login_server)
    gateway = gateway_namespace(config, provider) if config.inference.models else None
    return KubernetesWorkloads(runtime, gateway, inference_services(config, provider, platform, runtime=runtime))
