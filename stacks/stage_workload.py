"""Stages of the workload stack: what runs on the platform.

The workload stack runs after the platform stack and the bootstrap between them (images in the
registry, secrets in the vault), and reads the platform's outputs (`Estate.platform`, a
`PlatformOutputs`): the cluster to reach, the registry to pull from, the vault that holds the
hub token, the identities' client ids, the ML workspace. It creates the Kubernetes provider,
the GPU runtime (operator or device plugin), the gateway namespace and one `InferenceService`
per model (its weights staging job included), and the ML online deployments with the model and
environment versions they serve (`MlDeployments`).

Its Azure resources: the Key Vault roles of the workload identities, each scoped to the one
secret it reads (`SecretAccess`), created after the bootstrap has seeded the secrets and before
any pod that mounts them; and the ML deployment assets.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from llmops_infra.components.cluster_access import ClusterAccess, ClusterAccessArgs
from llmops_infra.components.gateway_ingress import GatewayLoadBalancer
from llmops_infra.components.gpu_runtime import GpuRuntime, GpuRuntimeArgs
from llmops_infra.components.inference_manifests import ActiveHours, restricted_namespace_labels
from llmops_infra.components.inference_service import InferenceService, InferenceServiceArgs
from llmops_infra.components.ml_deployments import MlDeployments, MlDeploymentsArgs
from llmops_infra.components.node_pools import GpuPoolSpec
from llmops_infra.components.secret_access import SecretAccess, SecretAccessArgs, SecretGrant
from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.stacks import context as keys
from llmops_infra.stacks.context import Estate
from llmops_infra.stacks.platform_outputs import PlatformOutputs
from llmops_infra.stacks.stage_ai import flow_endpoints
from llmops_infra.stacks.stage_compute import pool_spec
from llmops_infra.stacks.stage_gateway import vllm_gateway_ip


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


def rollout_surge(config: EnvironmentConfig, pools: dict[str, GpuPoolSpec]) -> dict[str, bool]:
    """Model -> whether its rollout may add a surge replica: only when its pool, with every model on it at
    max_replicas, still has GPUs for one more replica of each of them (they may roll out together). A pool
    of a size the estate does not know gets no surge."""
    surge: dict[str, bool] = {}
    for pool_name, pool in pools.items():
        models = [m for m in config.inference.models if m.gpu_pool == pool_name]
        per_node = pool.gpus_per_node
        if not models:
            continue
        if per_node is None:
            surge.update({m.name: False for m in models})
            continue
        # A replica never spans nodes: counting GPUs is exact only when each replica size divides a node.
        packs = all(per_node % m.gpus_per_replica == 0 for m in models)
        demand = sum((m.max_replicas + 1) * m.gpus_per_replica for m in models)
        slots = pool.max_nodes * per_node if packs else 0
        surge.update({m.name: demand <= slots for m in models})
    return surge


def secret_grants(config: EnvironmentConfig, platform: PlatformOutputs) -> list[SecretGrant]:
    """The Key Vault secrets the workloads read, each granted to the one identity that reads it."""
    grants = [
        SecretGrant(
            key="inference-api-key",
            principal_id=platform.inference_principal_id,
            secret_name=config.inference.api_key_secret,
            description="inference pods: read the vLLM API key, that secret only.",
        )
    ]
    for secret in config.inference.key_vault_secrets()[1:]:  # the hub tokens, each once
        grants.append(
            SecretGrant(
                key=f"loader-{secret}",
                principal_id=platform.model_loader_principal_id,
                secret_name=secret,
                description="weights staging job: reads the model hub token, that secret only.",
            )
        )
    return grants


def secret_access_stage(estate: Estate) -> None:
    """Each workload identity gets the Key Vault secrets it reads, one role assignment per secret. Here, in
    the workload stack, because the bootstrap has created the secrets by now: a scope names a secret
    that exists."""
    config = estate.config
    if not config.inference.models:
        return
    platform = estate.outputs_of_platform()
    estate.add(
        keys.SECRET_ACCESS,
        SecretAccess(
            "inference-secrets",
            SecretAccessArgs(
                vault_id=platform.key_vault_id,
                subscription_id=config.azure.subscription_id,
                grants=secret_grants(config, platform),
            ),
        ),
    )


def gateway_load_balancer(estate: Estate, index: int) -> GatewayLoadBalancer | None:
    """Where the AI gateway reaches the `index`-th model: the fixed node-subnet address its backend URL names
    (`vllm_gateway_ip`), admitted from the gateway's subnet. None without a gateway."""
    config = estate.config
    gateway_cidr = config.network.subnets.gateway
    if config.gateway is None or not gateway_cidr:
        return None
    return GatewayLoadBalancer(
        ip=vllm_gateway_ip(config.network.subnets.aks_nodes, index),
        subnet_name=estate.namer.name("subnet", "aks_nodes"),
        gateway_cidrs=[gateway_cidr],
    )


def inference_stage(estate: Estate) -> None:
    config = estate.config
    if not config.inference.models:
        return
    loader = config.inference.weights_loader
    assert loader is not None  # the config refuses models without a weights loader
    platform = estate.outputs_of_platform()
    access, runtime = estate.get(keys.CLUSTER_ACCESS), estate.get(keys.GPU_RUNTIME)
    # The one namespace whose pods may call the services (their NetworkPolicies admit it).
    k8s.core.v1.Namespace(
        "inference-gateway-ns",
        metadata={"name": config.inference.gateway_namespace, "labels": restricted_namespace_labels("gateway")},
        opts=pulumi.ResourceOptions(parent=access, provider=access.provider),
    )
    # The staging job and the pods wait for the grants they mount (absent with kubernetes_only).
    secrets = estate.find(keys.SECRET_ACCESS)
    before_pods: list[pulumi.Resource] = [runtime] if secrets is None else [runtime, secrets]
    pools = {p.name: pool_spec(p) for p in config.cluster.gpu_pools}
    surge = rollout_surge(config, pools)
    # Placement (GPUs per node, memory, dtype) is checked when the config is validated.
    for index, model in enumerate(config.inference.models):
        service = InferenceService(
            model.name,
            InferenceServiceArgs(
                provider=access.provider,
                model=model.model,
                revision=model.revision,
                checkpoint_gb=model.checkpoint_gb,
                registry_login_server=platform.registry_login_server,
                image=model.image,
                image_digest=model.image_digest,
                loader_image=loader.image,
                loader_image_digest=loader.image_digest,
                storage_account_name=platform.model_storage_account_name,
                models_container=platform.models_container,
                pool=pools[model.gpu_pool],
                workload_client_id=platform.inference_client_id,
                loader_client_id=platform.model_loader_client_id,
                tenant_id=config.azure.tenant_id,
                key_vault_name=platform.key_vault_name,
                api_key_secret=config.inference.api_key_secret,
                hub_token_secret=model.hub_token_secret,
                private_endpoint_cidrs=[config.network.subnets.private_endpoints],
                entra_id_cidrs=list(config.inference.entra_id_cidrs),
                gateway_namespace=config.inference.gateway_namespace,
                gpus_per_replica=model.gpus_per_replica,
                min_replicas=model.min_replicas,
                max_replicas=model.max_replicas,
                surge=surge[model.name],
                queue_threshold=model.queue_threshold,
                active_hours=ActiveHours(**model.active_hours.model_dump()) if model.active_hours else None,
                max_model_len=model.max_model_len,
                dtype=model.dtype,
                quantization=model.quantization,
                prometheus_query_endpoint=platform.prometheus_query_endpoint,
                scaler_client_id=platform.keda_client_id,
                gateway_lb=gateway_load_balancer(estate, index),
                depends_on=before_pods,
            ),
        )
        estate.add(keys.inference(model.name), service)


def ml_deployments_stage(estate: Estate) -> None:
    """The ML online deployments, after the bootstrap imported the flow image: the versions they
    serve are registered in this stack, each before the deployment that references it."""
    config = estate.config
    flow = config.ml.flow_image
    if not config.ml.endpoints or flow is None:
        return
    platform = estate.outputs_of_platform()
    estate.add(
        keys.ML_DEPLOYMENTS,
        MlDeployments(
            "ml",
            MlDeploymentsArgs(
                resource_group_name=platform.resource_group_name,
                location=config.azure.location,
                subscription_id=config.azure.subscription_id,
                workspace_name=platform.ml_workspace_name,
                registry_login_server=platform.registry_login_server,
                flow_image_repository=flow.repository,
                flow_image_digest=flow.digest,
                flow_source=config.ml.flow_source,
                endpoints=flow_endpoints(estate),
                tags=dict(estate.tags),
                allow_public_network_access=config.ml.allow_public_network_access,
            ),
        ),
    )
