"""Stages of the workload stack: the Kubernetes side of the estate.

The workload stack runs after the platform stack (and the bootstrap between them) and reads
the platform's outputs (`Estate.platform`, a `PlatformOutputs`): the cluster to reach, the
registry to pull from, the vault that holds the hub token, the identities' client ids. It
creates the Kubernetes provider, the GPU runtime (operator or device plugin), the gateway
namespace and one `InferenceService` per model. No Azure resource is created here.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from llmops_infra.components.cluster_access import ClusterAccess, ClusterAccessArgs
from llmops_infra.components.gpu_runtime import GpuRuntime, GpuRuntimeArgs
from llmops_infra.components.inference_manifests import ActiveHours, restricted_namespace_labels
from llmops_infra.components.inference_service import InferenceService, InferenceServiceArgs
from llmops_infra.stacks import context as keys
from llmops_infra.stacks.context import Estate
from llmops_infra.stacks.stage_compute import pool_spec


def cluster_access_stage(estate: Estate) -> None:
    platform = estate.outputs_of_platform()
    estate.add(
        keys.CLUSTER_ACCESS,
        ClusterAccess(
            "cluster",
            ClusterAccessArgs(
                resource_group_name=platform.resource_group_name,
                cluster_name=platform.cluster_name,
                kubeconfig=estate.kubeconfig,
            ),
        ),
    )


def gpu_runtime_stage(estate: Estate) -> None:
    access, c = estate.get(keys.CLUSTER_ACCESS), estate.config.cluster
    estate.add(
        keys.GPU_RUNTIME,
        GpuRuntime(
            "gpu_runtime",
            GpuRuntimeArgs(
                provider=access.provider,
                mode="operator" if c.gpu_driver == "operator" else "device-plugin",
                registry_login_server=estate.outputs_of_platform().registry_login_server,
                operator_chart_version=c.gpu_operator_version,
                driver_version=c.gpu_driver_version,
                device_plugin_digest=c.device_plugin_image_digest,
                dcgm_exporter_digest=c.dcgm_exporter_image_digest,
            ),
        ),
    )


def inference_stage(estate: Estate) -> None:
    config = estate.config
    if not config.inference.models:
        return
    platform = estate.outputs_of_platform()
    access, runtime = estate.get(keys.CLUSTER_ACCESS), estate.get(keys.GPU_RUNTIME)
    # The one namespace whose pods may call the services (their NetworkPolicies admit it).
    k8s.core.v1.Namespace(
        "inference-gateway-ns",
        metadata={"name": config.inference.gateway_namespace, "labels": restricted_namespace_labels("gateway")},
        opts=pulumi.ResourceOptions(parent=access, provider=access.provider),
    )
    pools = {p.name: pool_spec(p) for p in config.cluster.gpu_pools}
    # Placement (GPUs per node, memory, dtype) is checked when the config is validated.
    for model in config.inference.models:
        service = InferenceService(
            model.name,
            InferenceServiceArgs(
                provider=access.provider,
                model=model.model,
                registry_login_server=platform.registry_login_server,
                image=model.image,
                image_digest=model.image_digest,
                pool=pools[model.gpu_pool],
                workload_client_id=platform.inference_client_id,
                tenant_id=config.azure.tenant_id,
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
                depends_on=[runtime],
            ),
        )
        estate.add(keys.inference(model.name), service)
