"""The GPU inference cluster: AKS with a tainted system pool and GPU user pools.

The Kubernetes provider that reaches it lives in the workload stack (`cluster_access.py`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pulumi
from pulumi_azure_native import containerservice as cs

from llmops_infra.components.cluster_monitoring import container_insights_collection, prometheus_collection
from llmops_infra.components.diagnostics import diagnostic_setting
from llmops_infra.components.gpu_alerts import gpu_alert_rules
from llmops_infra.components.node_pools import SYSTEM_TAINT, GpuPoolSpec, autoscaled_pool, gpu_agent_pool
from llmops_infra.components.roles import RoleGrant, assign_role
from llmops_infra.components.rules import check_api_server_access, check_bounds, check_egress, check_gpu_pool_names

Weekday = Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@dataclass(frozen=True, kw_only=True)
class SystemPoolSpec:
    vm_size: str = "Standard_D4ds_v5"
    """VM size of the system nodes. Default: a general-purpose 4-vCPU size (Standard_D4ds_v5)."""
    min_nodes: int = 2
    """Autoscaler minimum. Default: two nodes, so that system pods survive the loss of one."""
    max_nodes: int = 3
    """Autoscaler maximum. Default: one node of headroom above the minimum."""
    zones: list[str] = field(default_factory=lambda: ["1", "2", "3"])
    """Availability zones of the pool. Default: spread over zones 1, 2 and 3."""
    os_sku: str = "Ubuntu"
    """Node OS; with the GPU operator it must match the GPU pools' (one OS per cluster). Default: Ubuntu."""

    def __post_init__(self) -> None:
        if self.min_nodes < 1:
            raise ValueError(f"system pool: min_nodes ({self.min_nodes}) must be at least 1: system pods need a node")
        check_bounds(self.min_nodes, self.max_nodes)


@dataclass(frozen=True, kw_only=True)
class GpuClusterArgs:
    resource_group_name: pulumi.Input[str]
    cluster_name: str
    dns_prefix: str
    subscription_id: str
    tenant_id: str
    kubernetes_version: str
    node_subnet_id: pulumi.Input[str]
    """Subnet of every node (Azure CNI overlay: pods get IPs from pod_cidr, not the subnet)."""
    log_analytics_workspace_id: pulumi.Input[str]
    """Audit logs, Container Insights and Defender go here."""
    registry_id: pulumi.Input[str]
    """The one registry the kubelet may pull from (AcrPull on it, nothing wider)."""
    gpu_pools: list[GpuPoolSpec]
    monitor_workspace_id: pulumi.Input[str] | None = None
    """Azure Monitor workspace for managed Prometheus. Default: none, metrics agent off."""
    action_group_id: pulumi.Input[str] | None = None
    """Who is notified of GPU saturation, GPU errors and queue backlog (needs monitor_workspace_id).
    Default: no alerts."""
    monitor_private_link_scope_name: pulumi.Input[str] | None = None
    """Azure Monitor Private Link Scope the Prometheus data collection endpoint joins, so agents in
    the VNet reach it privately. Default: none, the endpoint is not scoped."""
    allow_public_monitoring_ingestion: bool = False
    """Dangerous. Default: the Prometheus data collection endpoint refuses public traffic."""
    system_pool: SystemPoolSpec = field(default_factory=SystemPoolSpec)
    """The system node pool. Default: `SystemPoolSpec()`, two to three nodes over three zones."""
    sku_tier: Literal["Free", "Standard", "Premium"] = "Standard"
    """Standard and Premium carry the uptime SLA; Free is for dev only. Default: Standard, with the SLA."""
    private_cluster: bool = True
    """Default: the API server has a private endpoint in the VNet only."""
    authorized_ip_ranges: list[str] = field(default_factory=list)
    """Public CIDRs allowed to reach a non-private API server (required then).
    Default: none (a private API server needs none)."""
    admin_group_object_ids: list[str] = field(default_factory=list)
    """Entra groups with cluster-admin through Azure RBAC. Default: no group is cluster-admin."""
    runner_egress_ip: pulumi.Input[str] | None = None
    """The CI runners' outbound address, authorized on a public API server (as <ip>/32). Default: none."""
    deployer_principal_id: pulumi.Input[str] | None = None
    """The CI principal that applies Kubernetes objects through the provider: it gets AKS RBAC
    Cluster Admin on this cluster only (namespaces and the GPU operator's cluster roles need
    it); the workload stack runs after the platform stack, so the grant exists by then.
    Default: none (people in the admin groups)."""
    operator_installs_driver: bool = True
    """True: the NVIDIA GPU operator installs drivers; GPU pools skip AKS's driver install.
    Default: the operator installs them."""
    keda: bool = True
    """The AKS KEDA add-on (event-driven autoscaling): inference services scale on their request
    queue read from managed Prometheus. Default: on."""
    network_policy: Literal["cilium", "azure", "calico"] = "cilium"
    """Engine that enforces NetworkPolicy objects. Default: Cilium, on the Cilium dataplane."""
    outbound_type: Literal["loadBalancer", "userDefinedRouting", "managedNATGateway", "userAssignedNATGateway"] = (
        "loadBalancer"
    )
    """How nodes reach the internet. Default: through the cluster's load balancer."""
    pod_cidr: str = "10.244.0.0/16"
    """Overlay range the pods get their IPs from (outside the VNet). Default: AKS's usual 10.244.0.0/16."""
    service_cidr: str = "10.0.0.0/16"
    """Range of the Kubernetes service IPs; it must not overlap the VNet. Default: AKS's usual
    service range, 10.0.0.0/16."""
    dns_service_ip: str = "10.0.0.10"
    """IP of the cluster DNS service, inside `service_cidr`. Default: the tenth address of the
    default service range."""
    upgrade_channel: Literal["patch", "stable", "rapid", "node-image"] = "patch"
    """patch keeps the configured minor version and applies its patches automatically. Default: patch."""
    node_resource_group: str | None = None
    """Name of the resource group AKS creates for the nodes (where GPU VMs are billed), so that
    the budget can name it. Default: AKS's own MC_<group>_<cluster>_<region>."""
    maintenance_day: Weekday = "Sunday"
    """Day of the weekly window in which AKS upgrades the cluster and its node images. Default:
    Sunday."""
    maintenance_start_utc: str = "02:00"
    """Start of that window (HH:MM, UTC). Default: at night, 02:00 UTC."""
    egress_ready: list[pulumi.Resource] = field(default_factory=list)
    """What must exist before a userDefinedRouting cluster (route, firewall rules). Default: nothing."""

    def __post_init__(self) -> None:
        if self.action_group_id is not None and self.monitor_workspace_id is None:
            raise ValueError("GPU alerts read managed Prometheus: pass monitor_workspace_id with action_group_id")
        if not self.gpu_pools:
            raise ValueError(f"cluster {self.cluster_name}: gpu_pools is empty: configure at least one GPU pool")
        skus = {self.system_pool.os_sku, *(p.os_sku for p in self.gpu_pools)}
        if self.operator_installs_driver and len(skus) > 1:
            # AKS: "The NVIDIA GPU Operator is not compatible with multiple OS versions on the same AKS cluster."
            raise ValueError(
                f"cluster {self.cluster_name}: the GPU operator installs the drivers but the pools run {sorted(skus)}: "
                "use one os_sku on every pool"
            )
        check_api_server_access(self.private_cluster, self.authorized_ip_ranges)
        check_gpu_pool_names(p.name for p in self.gpu_pools)
        check_egress(self.outbound_type, bool(self.egress_ready))


class GpuCluster(pulumi.ComponentResource):
    """An AKS cluster for GPU inference.

    Entra ID with Azure RBAC, local accounts disabled, OIDC issuer and workload identity,
    Azure CNI overlay with a network policy engine, no node public IPs, a private API
    server (or authorized ranges), automatic patch and node-image upgrades in a weekly
    window, managed Prometheus and Container Insights, the KEDA add-on, Defender, Azure Policy, the Key
    Vault secrets provider with rotation, audit logs to Log Analytics. The system pool only
    runs critical add-ons; GPU pools are tainted, labelled, autoscaled (count ignored).

    Children: the cluster, its GPU pools, two maintenance configurations, data collection
    rules, Prometheus alert rules, the kubelet's AcrPull assignment, its diagnostic setting.
    """

    cluster_id: pulumi.Output[str]
    cluster_name: pulumi.Output[str]
    oidc_issuer_url: pulumi.Output[str]
    kubelet_object_id: pulumi.Output[str]
    pools: dict[str, GpuPoolSpec]

    def __init__(self, name: str, args: GpuClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:compute:GpuCluster", name, None, opts)
        system = args.system_pool
        cluster = cs.ManagedCluster(
            f"{name}-aks",
            resource_name_=args.cluster_name,
            resource_group_name=args.resource_group_name,
            dns_prefix=args.dns_prefix,
            node_resource_group=args.node_resource_group,
            kubernetes_version=args.kubernetes_version,
            sku=cs.ManagedClusterSKUArgs(name="Base", tier=args.sku_tier),
            identity=cs.ManagedClusterIdentityArgs(type=cs.ResourceIdentityType.SYSTEM_ASSIGNED),
            agent_pool_profiles=[
                cs.ManagedClusterAgentPoolProfileArgs(
                    name="system",
                    **autoscaled_pool(
                        mode="System",
                        vm_size=system.vm_size,
                        os_sku=system.os_sku,
                        min_nodes=system.min_nodes,
                        max_nodes=system.max_nodes,
                        zones=system.zones,
                        vnet_subnet_id=args.node_subnet_id,
                        taints=[SYSTEM_TAINT],
                    ),
                )
            ],
            network_profile=cs.ContainerServiceNetworkProfileArgs(
                network_plugin="azure",
                network_plugin_mode="overlay",
                network_policy=args.network_policy,
                network_dataplane="cilium" if args.network_policy == "cilium" else "azure",
                outbound_type=args.outbound_type,
                load_balancer_sku="standard",
                pod_cidr=args.pod_cidr,
                service_cidr=args.service_cidr,
                dns_service_ip=args.dns_service_ip,
            ),
            api_server_access_profile=cs.ManagedClusterAPIServerAccessProfileArgs(
                enable_private_cluster=True,
                private_dns_zone="system",
                enable_private_cluster_public_fqdn=False,
            )
            if args.private_cluster
            else cs.ManagedClusterAPIServerAccessProfileArgs(
                authorized_ip_ranges=_authorized_ranges(args.authorized_ip_ranges, args.runner_egress_ip),
            ),
            aad_profile=cs.ManagedClusterAADProfileArgs(
                managed=True,
                enable_azure_rbac=True,
                tenant_id=args.tenant_id,
                admin_group_object_ids=args.admin_group_object_ids or None,
            ),
            disable_local_accounts=True,
            enable_rbac=True,
            oidc_issuer_profile=cs.ManagedClusterOIDCIssuerProfileArgs(enabled=True),
            security_profile=cs.ManagedClusterSecurityProfileArgs(
                workload_identity=cs.ManagedClusterSecurityProfileWorkloadIdentityArgs(enabled=True),
                defender=cs.ManagedClusterSecurityProfileDefenderArgs(
                    log_analytics_workspace_resource_id=args.log_analytics_workspace_id,
                    security_monitoring=cs.ManagedClusterSecurityProfileDefenderSecurityMonitoringArgs(enabled=True),
                ),
                image_cleaner=cs.ManagedClusterSecurityProfileImageCleanerArgs(enabled=True, interval_hours=168),
            ),
            auto_upgrade_profile=cs.ManagedClusterAutoUpgradeProfileArgs(
                upgrade_channel=args.upgrade_channel,
                node_os_upgrade_channel="NodeImage",
            ),
            workload_auto_scaler_profile=cs.ManagedClusterWorkloadAutoScalerProfileArgs(
                keda=cs.ManagedClusterWorkloadAutoScalerProfileKedaArgs(enabled=args.keda),
            ),
            azure_monitor_profile=cs.ManagedClusterAzureMonitorProfileArgs(
                metrics=cs.ManagedClusterAzureMonitorProfileMetricsArgs(enabled=args.monitor_workspace_id is not None),
            ),
            addon_profiles={
                "azureKeyvaultSecretsProvider": cs.ManagedClusterAddonProfileArgs(
                    enabled=True,
                    config={"enableSecretRotation": "true", "rotationPollInterval": "2m"},
                ),
                "azurepolicy": cs.ManagedClusterAddonProfileArgs(enabled=True, config={"version": "v2"}),
                "omsagent": cs.ManagedClusterAddonProfileArgs(
                    enabled=True,
                    config={
                        "logAnalyticsWorkspaceResourceID": args.log_analytics_workspace_id,
                        "useAADAuth": "true",
                    },
                ),
            },
            tags={},
            # The autoscaler owns the system pool's node count after creation.
            opts=pulumi.ResourceOptions(
                parent=self, ignore_changes=["agentPoolProfiles[0].count"], depends_on=list(args.egress_ready) or None
            ),
        )
        self.pools = {}
        previous: cs.AgentPool | None = None
        for spec in args.gpu_pools:
            previous = gpu_agent_pool(
                f"{name}-pool-{spec.name}",
                spec,
                resource_group_name=args.resource_group_name,
                cluster_name=cluster.name,
                vnet_subnet_id=args.node_subnet_id,
                kubernetes_version=args.kubernetes_version,
                operator_installs_driver=args.operator_installs_driver,
                parent=self,
                after=previous,
            )
            self.pools[spec.name] = spec
        self._maintenance(name, args, cluster)
        if args.monitor_workspace_id is not None:
            prometheus_collection(
                name,
                cluster_name=args.cluster_name,
                cluster_id=cluster.id,
                resource_group_name=args.resource_group_name,
                monitor_workspace_id=args.monitor_workspace_id,
                private_link_scope_name=args.monitor_private_link_scope_name,
                public_network_access=args.allow_public_monitoring_ingestion,
                parent=self,
            )
            if args.action_group_id is not None:
                gpu_alert_rules(
                    name,
                    cluster_name=args.cluster_name,
                    cluster_id=cluster.id,
                    resource_group_name=args.resource_group_name,
                    monitor_workspace_id=args.monitor_workspace_id,
                    action_group_id=args.action_group_id,
                    parent=self,
                )
        container_insights_collection(
            name,
            cluster_name=args.cluster_name,
            cluster_id=cluster.id,
            resource_group_name=args.resource_group_name,
            log_analytics_workspace_id=args.log_analytics_workspace_id,
            private_link_scope_name=args.monitor_private_link_scope_name,
            public_network_access=args.allow_public_monitoring_ingestion,
            parent=self,
        )
        diagnostic_setting(name, resource_id=cluster.id, workspace_id=args.log_analytics_workspace_id, parent=self)

        self.kubelet_object_id = cluster.identity_profile.apply(_kubelet_object_id)
        assign_role(
            f"{name}-kubelet-acrpull",
            RoleGrant(
                principal_id=self.kubelet_object_id,
                role="AcrPull",
                scope=args.registry_id,
                description="AKS kubelet pulls images from the estate registry",
            ),
            subscription_id=args.subscription_id,
            parent=self,
        )
        # With a subnet the estate owns, the cluster identity must manage its NICs and internal
        # load balancers there: `az aks create` grants this itself, an ARM deployment must. Scoped
        # to the node subnet only.
        assign_role(
            f"{name}-subnet-network",
            RoleGrant(
                principal_id=cluster.identity.apply(_principal_id),
                role="Network Contributor",
                scope=args.node_subnet_id,
                description="AKS cluster identity manages load balancers and NICs in its node subnet",
            ),
            subscription_id=args.subscription_id,
            parent=self,
        )
        if args.deployer_principal_id is not None:
            assign_role(
                f"{name}-deployer-cluster-admin",
                RoleGrant(
                    principal_id=args.deployer_principal_id,
                    role="Azure Kubernetes Service RBAC Cluster Admin",
                    scope=cluster.id,
                    description="Deployment pipeline applies the cluster's Kubernetes objects",
                ),
                subscription_id=args.subscription_id,
                parent=self,
            )
        self.cluster_id = cluster.id
        self.cluster_name = cluster.name
        self.oidc_issuer_url = cluster.oidc_issuer_profile.apply(_issuer_url)
        self.register_outputs(
            {
                "cluster_id": self.cluster_id,
                "cluster_name": self.cluster_name,
                "oidc_issuer_url": self.oidc_issuer_url,
                "kubelet_object_id": self.kubelet_object_id,
            }
        )

    def _maintenance(self, name: str, args: GpuClusterArgs, cluster: cs.ManagedCluster) -> None:
        """Cluster upgrades and node-image upgrades in the same weekly window (UTC)."""
        window = cs.MaintenanceWindowArgs(
            schedule=cs.ScheduleArgs(weekly=cs.WeeklyScheduleArgs(day_of_week=args.maintenance_day, interval_weeks=1)),
            duration_hours=4,
            start_time=args.maintenance_start_utc,
            utc_offset="+00:00",
        )
        previous: cs.MaintenanceConfiguration | None = None
        for role, config_name in (
            ("upgrade", "aksManagedAutoUpgradeSchedule"),
            ("nodeos", "aksManagedNodeOSUpgradeSchedule"),
        ):
            previous = cs.MaintenanceConfiguration(
                f"{name}-maint-{role}",
                config_name=config_name,
                resource_name_=cluster.name,
                resource_group_name=args.resource_group_name,
                maintenance_window=window,
                # One write at a time on the cluster's sub-resources.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[previous] if previous else None),
            )


def _principal_id(identity: object) -> str:
    principal = getattr(identity, "principal_id", None) or (
        identity.get("principalId") if isinstance(identity, dict) else None
    )
    if not principal:
        raise ValueError("the cluster reported no system-assigned identity principal id")
    return str(principal)


def _kubelet_object_id(profile: object) -> str:
    identity = (profile or {}).get("kubeletidentity") if isinstance(profile, dict) else None
    if identity is None:
        raise ValueError("the cluster reported no kubelet identity (identityProfile.kubeletidentity)")
    object_id: str = identity.object_id
    return object_id


def _issuer_url(profile: cs.outputs.ManagedClusterOIDCIssuerProfileResponse | None) -> str:
    """The OIDC issuer's URL: the cluster enables the issuer, so Azure reports one after creation."""
    if profile is None or not profile.issuer_url:
        raise ValueError("the cluster reported no OIDC issuer URL (oidcIssuerProfile.issuerURL)")
    return profile.issuer_url


def _authorized_ranges(ranges: list[str], runner_ip: pulumi.Input[str] | None) -> pulumi.Input[list[str]]:
    """The configured ranges, plus the runners' address once Azure has allocated it."""
    if runner_ip is None:
        return ranges
    return pulumi.Output.from_input(runner_ip).apply(lambda ip: [*ranges, f"{ip}/32"] if ip else list(ranges))
