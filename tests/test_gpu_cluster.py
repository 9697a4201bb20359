"""GpuCluster and its GPU pools under synthesis: secure defaults, GPU wiring, autoscaler-owned counts."""

from __future__ import annotations

import pytest

from llmops_infra.components.gpu_cluster import GpuCluster, GpuClusterArgs, SystemPoolSpec
from llmops_infra.components.node_pools import GPU_TAINT, SPOT_TAINT, SYSTEM_TAINT, GpuPoolSpec
from llmops_infra.components.roles import ROLES
from llmops_infra.offline.mocks import AzureMocks
from llmops_infra.offline.synth import synthesize

SUB = "11111111-1111-4111-8111-111111111111"
TENANT = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
RG = f"/subscriptions/{SUB}/resourceGroups/rg"
LAW = f"{RG}/providers/Microsoft.OperationalInsights/workspaces/log"
AMW = f"{RG}/providers/Microsoft.Monitor/accounts/amw"
ACR = f"{RG}/providers/Microsoft.ContainerRegistry/registries/cr1"
ACTION_GROUP = f"{RG}/providers/Microsoft.Insights/actionGroups/ag"
SUBNET = f"{RG}/providers/Microsoft.Network/virtualNetworks/v/subnets/aks"
SPOT = GpuPoolSpec(
    name="gput4", vm_size="Standard_NC4as_T4_v3", min_nodes=0, max_nodes=2, spot=True, spot_max_price=0.2
)
ONDEMAND = GpuPoolSpec(name="gpua100", vm_size="Standard_NC24ads_A100_v4", min_nodes=1, max_nodes=4, zones=["1", "2"])


def _args(**overrides) -> GpuClusterArgs:
    values = {
        "resource_group_name": "rg",
        "cluster_name": "aks-llmops-test",
        "dns_prefix": "aks-llmops-test",
        "subscription_id": SUB,
        "tenant_id": TENANT,
        "kubernetes_version": "1.31",
        "node_subnet_id": SUBNET,
        "log_analytics_workspace_id": LAW,
        "monitor_workspace_id": AMW,
        "registry_id": ACR,
        "action_group_id": ACTION_GROUP,
        "gpu_pools": [SPOT, ONDEMAND],
        "system_pool": SystemPoolSpec(min_nodes=2, max_nodes=3),
        "admin_group_object_ids": ["bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"],
        "maintenance_day": "Saturday",
    }
    values.update(overrides)
    return GpuClusterArgs(**values)


def _plan(mocks: AzureMocks | None = None, **overrides):
    return synthesize(
        lambda: GpuCluster("cluster", _args(**overrides)),
        environment="test",
        project="llmops",
        mocks=mocks or AzureMocks(SUB, TENANT, "eastus"),
    )


@pytest.fixture(scope="module")
def plan():
    return _plan()


def _cluster(plan):
    [cluster] = plan.of_type("azure-native:containerservice:ManagedCluster")
    return cluster


def _pools(plan):
    return {p.props["agentPoolName"]: p for p in plan.of_type("azure-native:containerservice:AgentPool")}


def test_cluster_identity_and_access_defaults(plan):
    props = _cluster(plan).props
    assert props["disableLocalAccounts"] is True
    assert props["enableRBAC"] is True
    assert props["aadProfile"] == {
        "managed": True,
        "enableAzureRBAC": True,
        "tenantID": TENANT,
        "adminGroupObjectIDs": ["bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"],
    }
    assert props["identity"] == {"type": "SystemAssigned"}
    assert props["oidcIssuerProfile"] == {"enabled": True}
    assert props["securityProfile"]["workloadIdentity"] == {"enabled": True}
    assert props["securityProfile"]["defender"] == {
        "logAnalyticsWorkspaceResourceId": LAW,
        "securityMonitoring": {"enabled": True},
    }
    assert props["sku"] == {"name": "Base", "tier": "Standard"}


def test_private_api_server_by_default(plan):
    access = _cluster(plan).props["apiServerAccessProfile"]
    assert access["enablePrivateCluster"] is True
    assert "authorizedIPRanges" not in access


def test_public_api_server_is_limited_to_authorized_ranges():
    props = _cluster(_plan(private_cluster=False, authorized_ip_ranges=["203.0.113.0/24"])).props
    assert props["apiServerAccessProfile"] == {"authorizedIPRanges": ["203.0.113.0/24"]}


def test_overlay_cni_with_cilium_network_policy(plan):
    net = _cluster(plan).props["networkProfile"]
    assert net["networkPlugin"] == "azure"
    assert net["networkPluginMode"] == "overlay"
    assert net["networkPolicy"] == "cilium"
    assert net["networkDataplane"] == "cilium"
    assert net["outboundType"] == "loadBalancer"


def test_upgrades_are_automatic_in_a_weekly_window(plan):
    assert _cluster(plan).props["autoUpgradeProfile"] == {
        "upgradeChannel": "patch",
        "nodeOSUpgradeChannel": "NodeImage",
    }
    configs = {
        c.props["configName"]: c.props for c in plan.of_type("azure-native:containerservice:MaintenanceConfiguration")
    }
    assert set(configs) == {"aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"}
    for config in configs.values():
        assert config["maintenanceWindow"]["schedule"] == {"weekly": {"dayOfWeek": "Saturday", "intervalWeeks": 1}}
        assert config["resourceName"] == "aks-llmops-test"


def test_addons_monitoring_policy_and_secret_rotation(plan):
    props = _cluster(plan).props
    addons = props["addonProfiles"]
    assert addons["azureKeyvaultSecretsProvider"]["enabled"] is True
    assert addons["azureKeyvaultSecretsProvider"]["config"]["enableSecretRotation"] == "true"
    assert addons["azurepolicy"]["enabled"] is True
    assert addons["omsagent"]["config"] == {"logAnalyticsWorkspaceResourceID": LAW, "useAADAuth": "true"}
    assert props["azureMonitorProfile"] == {"metrics": {"enabled": True}}


def test_keda_add_on_is_on_by_default_and_can_be_turned_off(plan):
    assert _cluster(plan).props["workloadAutoScalerProfile"] == {"keda": {"enabled": True}}
    off = _cluster(_plan(keda=False)).props
    assert off["workloadAutoScalerProfile"] == {"keda": {"enabled": False}}


def test_prometheus_and_container_insights_rules_are_associated_with_the_cluster(plan):
    cluster_id = _cluster(plan).outputs["id"]
    rules = {r.props["dataCollectionRuleName"]: r for r in plan.of_type("azure-native:monitor:DataCollectionRule")}
    prom = rules["dcr-prom-aks-llmops-test"].props
    assert prom["destinations"]["monitoringAccounts"][0]["accountResourceId"] == AMW
    assert prom["dataFlows"] == [{"streams": ["Microsoft-PrometheusMetrics"], "destinations": ["MonitoringAccount"]}]
    ci = rules["dcr-ci-aks-llmops-test"].props
    assert ci["destinations"]["logAnalytics"][0]["workspaceResourceId"] == LAW
    associations = plan.of_type("azure-native:monitor:DataCollectionRuleAssociation")
    assert {a.props["resourceUri"] for a in associations} == {cluster_id}
    assert {a.props["associationName"] for a in associations} >= {
        "configurationAccessEndpoint",
        "ContainerInsightsExtension",
    }


def test_gpu_alerts_notify_the_action_group(plan):
    cluster_id = _cluster(plan).outputs["id"]
    [group] = plan.of_type("azure-native:alertsmanagement:PrometheusRuleGroup")
    assert group.props["clusterName"] == "aks-llmops-test"
    assert group.props["scopes"] == [AMW, cluster_id]
    alerts = {r["alert"]: r for r in group.props["rules"]}
    assert "DCGM_FI_DEV_GPU_UTIL" in alerts["GpuSaturated"]["expression"]
    assert "vllm:num_requests_waiting" in alerts["InferenceQueueBacklog"]["expression"]
    for rule in alerts.values():
        assert rule["actions"] == [{"actionGroupId": ACTION_GROUP}]


def test_cluster_audit_logs_go_to_log_analytics(plan):
    cluster_id = _cluster(plan).outputs["id"]
    [diag] = [d for d in plan.of_type("azure-native:monitor:DiagnosticSetting") if d.props["resourceUri"] == cluster_id]
    assert diag.props["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]
    assert diag.props["workspaceId"] == LAW


def test_system_pool_runs_critical_addons_only(plan):
    cluster = _cluster(plan)
    [system] = cluster.props["agentPoolProfiles"]
    assert system["mode"] == "System"
    assert system["nodeTaints"] == [SYSTEM_TAINT]
    assert system["enableAutoScaling"] is True
    assert (system["minCount"], system["maxCount"]) == (2, 3)
    assert system["availabilityZones"] == ["1", "2", "3"]
    assert system["vnetSubnetID"] == SUBNET
    assert system["enableNodePublicIP"] is False
    assert "agentPoolProfiles[0].count" in cluster.ignore_changes


def test_gpu_pools_are_tainted_labelled_user_pools(plan):
    pools = _pools(plan)
    assert set(pools) == {"gput4", "gpua100"}
    for name, pool in pools.items():
        props = pool.props
        assert props["mode"] == "User"
        assert props["enableAutoScaling"] is True
        assert props["enableNodePublicIP"] is False
        assert GPU_TAINT in props["nodeTaints"]
        assert props["nodeLabels"]["llmops.io/gpu-pool"] == name
        assert props["vnetSubnetID"] == SUBNET
    assert pools["gpua100"].props["vmSize"] == "Standard_NC24ads_A100_v4"
    assert (pools["gpua100"].props["minCount"], pools["gpua100"].props["maxCount"]) == (1, 4)
    assert pools["gpua100"].props["availabilityZones"] == ["1", "2"]


def test_spot_pool_declares_priority_eviction_price_and_the_spot_taint(plan):
    spot, ondemand = _pools(plan)["gput4"].props, _pools(plan)["gpua100"].props
    assert spot["scaleSetPriority"] == "Spot"
    assert spot["scaleSetEvictionPolicy"] == "Delete"
    assert spot["spotMaxPrice"] == 0.2
    assert spot["nodeTaints"] == [GPU_TAINT, SPOT_TAINT]
    assert ondemand["scaleSetPriority"] == "Regular"
    assert SPOT_TAINT not in ondemand["nodeTaints"]
    assert "scaleSetEvictionPolicy" not in ondemand


def test_pools_are_created_one_after_another(plan):
    pools = _pools(plan)
    assert pools["gput4"].urn in pools["gpua100"].dependencies
    assert pools["gpua100"].urn not in pools["gput4"].dependencies


def test_autoscaled_pool_count_is_ignored(plan):
    for pool in _pools(plan).values():
        assert "count" in pool.ignore_changes


def test_operator_mode_skips_aks_driver_install(plan):
    for pool in _pools(plan).values():
        assert pool.props["gpuProfile"] == {"driver": "None"}


def test_aks_driver_mode_leaves_gpu_profile_unset():
    for pool in _pools(_plan(operator_installs_driver=False)).values():
        assert "gpuProfile" not in pool.props


def test_kubelet_gets_acrpull_on_the_registry_only(plan):
    cluster = _cluster(plan)
    kubelet = cluster.outputs["identityProfile"]["kubeletidentity"]["objectId"]
    assignments = [
        a for a in plan.of_type("azure-native:authorization:RoleAssignment") if a.props["principalId"] == kubelet
    ]
    assert len(assignments) == 1
    [acrpull] = assignments
    assert acrpull.props["principalId"] == kubelet
    assert acrpull.props["scope"] == ACR
    assert acrpull.props["roleDefinitionId"].endswith(ROLES["AcrPull"])
    assert acrpull.props["principalType"] == "ServicePrincipal"


def test_deployer_gets_cluster_admin_on_this_cluster():
    deployer = "dddddddd-dddd-4ddd-8ddd-dddddddddddd"
    plan = _plan(deployer_principal_id=deployer)
    cluster_id = _cluster(plan).outputs["id"]
    [grant] = [
        a for a in plan.of_type("azure-native:authorization:RoleAssignment") if a.props["principalId"] == deployer
    ]
    assert grant.props["scope"] == cluster_id
    assert grant.props["roleDefinitionId"].endswith(ROLES["Azure Kubernetes Service RBAC Cluster Admin"])
    # The Kubernetes provider is the workload stack's (components/cluster_access.py).
    assert plan.of_type("pulumi:providers:kubernetes") == []


def test_gpu_pool_contradictions_are_rejected():
    with pytest.raises(ValueError, match="min_nodes \\(3\\) exceeds max_nodes \\(2\\)"):
        GpuPoolSpec(name="bad", vm_size="Standard_NC4as_T4_v3", min_nodes=3, max_nodes=2)
    with pytest.raises(ValueError, match="not a GPU size"):
        GpuPoolSpec(name="bad", vm_size="Standard_D4ds_v5")
    with pytest.raises(ValueError, match="authorized_ip_ranges"):
        _args(private_cluster=False)
    with pytest.raises(ValueError, match="gpu_pools is empty"):
        _args(gpu_pools=[])
    with pytest.raises(ValueError, match="monitor_workspace_id"):
        _args(monitor_workspace_id=None)


def test_collection_endpoints_are_private_by_default_and_join_the_private_link_scope():
    endpoints = _plan().of_type("azure-native:monitor:DataCollectionEndpoint")
    assert sorted(e.name for e in endpoints) == ["cluster-ci-dce", "cluster-prom-dce"]
    assert {e.props["networkAcls"]["publicNetworkAccess"] for e in endpoints} == {"Disabled"}
    assert _plan().of_type("azure-native:monitor:PrivateLinkScopedResource") == []
    scoped = _plan(monitor_private_link_scope_name="ampls-test", allow_public_monitoring_ingestion=True)
    endpoints = scoped.of_type("azure-native:monitor:DataCollectionEndpoint")
    assert {e.props["networkAcls"]["publicNetworkAccess"] for e in endpoints} == {"Enabled"}
    links = scoped.of_type("azure-native:monitor:PrivateLinkScopedResource")
    assert {link.props["scopeName"] for link in links} == {"ampls-test"}
    assert {link.props["linkedResourceId"] for link in links} == {e.outputs["id"] for e in endpoints}


def test_container_insights_sends_through_its_own_endpoint():
    plan = _plan(monitor_private_link_scope_name="ampls-test")
    endpoints = {e.name: e for e in plan.of_type("azure-native:monitor:DataCollectionEndpoint")}
    rules = {r.name: r for r in plan.of_type("azure-native:monitor:DataCollectionRule")}
    ci = rules["cluster-ci-dcr"].props
    assert ci["dataCollectionEndpointId"] == endpoints["cluster-ci-dce"].outputs["id"]
    assert ci["destinations"]["logAnalytics"][0]["name"] == "ciworkspace"
    prom = rules["cluster-prom-dcr"].props
    assert prom["dataCollectionEndpointId"] == endpoints["cluster-prom-dce"].outputs["id"]


def test_shipped_prod_scopes_every_collection_endpoint(plans):
    prod = plans("prod")
    endpoints = prod.of_type("azure-native:monitor:DataCollectionEndpoint")
    linked = {r.props["linkedResourceId"] for r in prod.of_type("azure-native:monitor:PrivateLinkScopedResource")}
    assert len(endpoints) == 2 and {e.outputs["id"] for e in endpoints} <= linked


def test_cluster_identity_gets_network_contributor_on_its_node_subnet_only(plan):
    cluster = _cluster(plan)
    [grant] = [
        r for r in plan.of_type("azure-native:authorization:RoleAssignment") if r.name == "cluster-subnet-network"
    ]
    assert grant.props["scope"] == SUBNET
    assert grant.props["roleDefinitionId"].endswith("/" + ROLES["Network Contributor"])
    assert grant.props["principalId"] == cluster.outputs["identity"]["principalId"]
    assert grant.props["principalType"] == "ServicePrincipal"
