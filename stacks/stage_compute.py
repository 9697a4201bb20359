"""Platform stages of the GPU inference estate: registry, model storage, the cluster, and the
Azure side of the inference services (the KEDA identity and the workload identity federations
of their service accounts). Their Kubernetes objects are the workload stack's
(`stage_workload.py`).

Role assignments made here (who may do what on which resource):

- the cluster's kubelet identity: AcrPull on the registry (by `GpuCluster`), to pull images;
- inference identity: Storage Blob Data Reader on the models container only (not the account,
  which is also the ML workspace's default storage), to copy weights into each pod;
- weights-loader identity (`ModelLoaderAccess`, federated to each model namespace's
  `model-loader` service account): Storage Blob Data Contributor on the models container only,
  to stage weights;
- Key Vault: nothing here. The workload stack grants each identity the single secrets it reads
  (the API key, the hub token) once the bootstrap has created them (`stage_workload`);
- chatops identity: nothing here (it reads monitoring and calls the gateway: `stage_gateway`);
- KEDA identity (`KedaAccess`, federated to the add-on's operator): Monitoring Data Reader on
  the Azure Monitor workspace only, to read the inference queue metrics;
- pipeline principal: Azure Kubernetes Service RBAC Cluster Admin on the cluster only (by
  `GpuCluster`): with local accounts disabled, it is how `up` applies namespaces, the GPU
  operator and the inference workloads; Container Registry Data Importer and Data Reader on
  the registry only: the bootstrap between the stacks imports the pinned images with it.
"""

from __future__ import annotations

from typing import Any

import pulumi

from llmops_infra.components.gpu_cluster import GpuCluster, GpuClusterArgs, SystemPoolSpec
from llmops_infra.components.identity import federate_service_account
from llmops_infra.components.inference_service import SERVICE_ACCOUNT
from llmops_infra.components.keda_access import KedaAccess, KedaAccessArgs
from llmops_infra.components.model_loader_access import ModelLoaderAccess, ModelLoaderAccessArgs
from llmops_infra.components.model_storage import ModelStorage, ModelStorageArgs
from llmops_infra.components.node_pools import GpuPoolSpec
from llmops_infra.components.private_endpoint import PRIVATE_DNS_ZONES
from llmops_infra.components.registry import Registry, RegistryArgs
from llmops_infra.components.roles import RoleGrant, assign_role
from llmops_infra.config.models import GpuPool
from llmops_infra.errors import ConfigError
from llmops_infra.stacks import context as keys
from llmops_infra.stacks.context import Estate


def pool_spec(pool: GpuPool) -> GpuPoolSpec:
    return GpuPoolSpec(
        name=pool.name,
        vm_size=pool.vm_size,
        min_nodes=pool.min_nodes,
        max_nodes=pool.max_nodes,
        spot=pool.spot,
        spot_max_price=pool.spot_max_price,
        zones=list(pool.zones),
        os_sku=pool.os_sku,
    )


def _grant_workload(
    estate: Estate,
    workload: str,
    role: str,
    *,
    on: pulumi.Resource,
    scope: pulumi.Input[str],
    name: str,
    description: str,
) -> None:
    """Grant a workload identity `role` on one resource, when that workload is configured."""
    identities = estate.get(keys.IDENTITY)
    if workload in identities.principal_ids:
        assign_role(
            name,
            RoleGrant(principal_id=identities.principal_ids[workload], role=role, scope=scope, description=description),
            subscription_id=estate.config.azure.subscription_id,
            parent=on,
        )


def registry_stage(estate: Estate) -> None:
    config, namer = estate.config, estate.namer
    foundation, monitoring, net = estate.get(keys.FOUNDATION), estate.get(keys.MONITORING), estate.get(keys.NETWORK)
    premium = config.registry.sku == "Premium"
    registry = Registry(
        "registry",
        RegistryArgs(
            resource_group_name=foundation.resource_group_name,
            registry_name=namer.name("container_registry"),
            sku=config.registry.sku,
            retention_days=config.registry.retention_days,
            log_analytics_workspace_id=monitoring.log_analytics_workspace_id,
            private_endpoint_subnet_id=net.subnet_ids["private_endpoints"] if premium else None,
            private_dns_zone_id=net.dns_zone_ids[PRIVATE_DNS_ZONES["registry"]] if premium else None,
            private_endpoint_name=namer.name("private_endpoint", "acr"),
        ),
    )
    estate.add(keys.REGISTRY, registry)
    estate.export("registry_login_server", registry.login_server)
    pipeline = estate.find(keys.PIPELINE)  # absent when no CI federation is configured
    if pipeline is not None:
        assign_role(
            "registry-pipeline-importer",
            RoleGrant(
                principal_id=pipeline.principal_id,
                role="Container Registry Data Importer and Data Reader",
                scope=registry.registry_id,
                description="Deployment pipeline: imports the pinned images into the registry (the bootstrap).",
            ),
            subscription_id=config.azure.subscription_id,
            parent=registry,
        )


def model_storage_stage(estate: Estate) -> None:
    _config, namer = estate.config, estate.namer
    foundation, monitoring, net = estate.get(keys.FOUNDATION), estate.get(keys.MONITORING), estate.get(keys.NETWORK)
    storage = ModelStorage(
        "model_storage",
        ModelStorageArgs(
            resource_group_name=foundation.resource_group_name,
            account_name=namer.name("storage_account", "models"),
            log_analytics_workspace_id=monitoring.log_analytics_workspace_id,
            private_endpoint_subnet_id=net.subnet_ids["private_endpoints"],
            private_dns_zone_id=net.dns_zone_ids[PRIVATE_DNS_ZONES["blob"]],
            private_endpoint_name=namer.name("private_endpoint", "models"),
        ),
    )
    estate.add(keys.MODEL_STORAGE, storage)
    _grant_workload(
        estate,
        "inference",
        "Storage Blob Data Reader",
        on=storage,
        scope=storage.container_id,
        name="model_storage-inference-blob-reader",
        description="inference workload: reads model weights, in the models container only.",
    )


def node_resource_group_name(estate: Estate) -> str:
    """The resource group AKS creates for the nodes: named, so that the budget can watch it."""
    return estate.namer.name("resource_group", "aks", "nodes")


def _egress(estate: Estate) -> dict[str, Any]:
    """Nodes go out through the firewall's route (userDefinedRouting) unless egress.mode is direct."""
    route = estate.find(keys.EGRESS_READY)
    if route is None:
        return {"outbound_type": "loadBalancer"}
    firewall = estate.find(keys.EGRESS)
    ready: list[pulumi.Resource] = [route] + ([firewall.rules] if firewall is not None else [])
    return {"outbound_type": "userDefinedRouting", "egress_ready": ready}


def cluster_stage(estate: Estate) -> None:
    config, namer = estate.config, estate.namer
    c = config.cluster
    foundation, monitoring, net = estate.get(keys.FOUNDATION), estate.get(keys.MONITORING), estate.get(keys.NETWORK)
    pipeline = estate.find(keys.PIPELINE)  # absent when no CI federation is configured
    cluster = GpuCluster(
        "cluster",
        GpuClusterArgs(
            resource_group_name=foundation.resource_group_name,
            cluster_name=namer.name("aks_cluster"),
            dns_prefix=namer.name("aks_dns_prefix"),
            node_resource_group=node_resource_group_name(estate),
            subscription_id=config.azure.subscription_id,
            tenant_id=config.azure.tenant_id,
            kubernetes_version=c.kubernetes_version,
            node_subnet_id=net.subnet_ids["aks_nodes"],
            log_analytics_workspace_id=monitoring.log_analytics_workspace_id,
            monitor_workspace_id=monitoring.monitor_workspace_id,
            action_group_id=monitoring.action_group_id,
            monitor_private_link_scope_name=monitoring.private_link_scope_name,
            allow_public_monitoring_ingestion=estate.config.monitoring.allow_public_network_access,
            deployer_principal_id=pipeline.principal_id if pipeline is not None else None,
            registry_id=estate.get(keys.REGISTRY).registry_id,
            gpu_pools=[pool_spec(p) for p in c.gpu_pools],
            system_pool=SystemPoolSpec(
                vm_size=c.system_pool.vm_size,
                min_nodes=c.system_pool.min_nodes,
                max_nodes=c.system_pool.max_nodes,
                zones=list(c.system_pool.zones),
                os_sku=c.system_pool.os_sku,
            ),
            sku_tier=c.sku_tier,
            private_cluster=c.private_cluster,
            authorized_ip_ranges=list(c.authorized_ip_ranges),
            runner_egress_ip=None if c.private_cluster else net.runner_egress_ip,
            admin_group_object_ids=list(c.admin_group_object_ids),
            operator_installs_driver=c.gpu_driver == "operator",
            maintenance_day=c.maintenance_day,
            **_egress(estate),
        ),
    )
    estate.add(keys.CLUSTER, cluster)
    estate.export("cluster_name", cluster.cluster_name)
    estate.export("oidc_issuer_url", cluster.oidc_issuer_url)


def inference_identity_stage(estate: Estate) -> None:
    """The Azure side of the inference services: the KEDA operator's identity, and each model's
    service account (`<model>/vllm`) federated to the inference identity, one write at a time."""
    config = estate.config
    if not config.inference.models:
        return
    cluster, identities = estate.get(keys.CLUSTER), estate.get(keys.IDENTITY)
    if "inference" not in identities.client_ids:
        raise ConfigError(
            "inference models are configured but identity.workloads has no 'inference' identity: add it",
            key="identity.workloads",
        )
    foundation, monitoring = estate.get(keys.FOUNDATION), estate.get(keys.MONITORING)
    keda = KedaAccess(
        "keda",
        KedaAccessArgs(
            resource_group_name=foundation.resource_group_name,
            location=foundation.location,
            subscription_id=config.azure.subscription_id,
            identity_name=estate.namer.name("managed_identity", "keda"),
            monitor_workspace_id=monitoring.monitor_workspace_id,
            oidc_issuer_url=cluster.oidc_issuer_url,
        ),
    )
    estate.add(keys.KEDA, keda)
    estate.add(
        keys.MODEL_LOADER,
        ModelLoaderAccess(
            "model_loader",
            ModelLoaderAccessArgs(
                resource_group_name=foundation.resource_group_name,
                location=foundation.location,
                subscription_id=config.azure.subscription_id,
                identity_name=estate.namer.name("managed_identity", "loader"),
                container_id=estate.get(keys.MODEL_STORAGE).container_id,
                oidc_issuer_url=cluster.oidc_issuer_url,
                namespaces=[model.name for model in config.inference.models],
            ),
        ),
    )
    previous: list[pulumi.Resource] = []
    for model in config.inference.models:
        # Azure rejects concurrent federated-credential writes on one identity: chain them.
        credential = federate_service_account(
            f"{model.name}-fic",
            identity_name=identities.identity_names["inference"],
            resource_group_name=foundation.resource_group_name,
            issuer_url=cluster.oidc_issuer_url,
            namespace=model.name,
            service_account=SERVICE_ACCOUNT,
            parent=identities,
            depends_on=previous[-1:] or None,
        )
        previous.append(credential)


def workload_exports(estate: Estate) -> None:
    """Export what the workload stack reads (`PlatformOutputs`) and no earlier stage exported;
    a test checks that the platform exports every name the workload reads."""
    identities, keda, loader = estate.get(keys.IDENTITY), estate.find(keys.KEDA), estate.find(keys.MODEL_LOADER)
    storage = estate.get(keys.MODEL_STORAGE)
    estate.export("inference_client_id", identities.client_ids.get("inference", ""))
    estate.export("inference_principal_id", identities.principal_ids.get("inference", ""))
    estate.export("keda_client_id", keda.client_id if keda is not None else "")
    estate.export("model_loader_client_id", loader.client_id if loader is not None else "")
    estate.export("model_loader_principal_id", loader.principal_id if loader is not None else "")
    estate.export("prometheus_query_endpoint", estate.get(keys.MONITORING).prometheus_query_endpoint)
    estate.export("key_vault_id", estate.get(keys.KEY_VAULT).vault_id)
    estate.export("model_storage_account_name", storage.account_name)
    estate.export("models_container", storage.container_name)
