"""AKS-01 … AKS-13, pools inline (agentPoolProfiles[]) and separate (AgentPool)."""

from llmops_infra.policies.testing import violations

MC = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"
SYSTEM = {
    "name": "system",
    "mode": "System",
    "vmSize": "Standard_D4ds_v5",
    "enableAutoScaling": True,
    "minCount": 2,
    "maxCount": 3,
    "nodeTaints": ["CriticalAddonsOnly=true:NoSchedule"],
}
SECURE = {
    "apiServerAccessProfile": {"enablePrivateCluster": True},
    "disableLocalAccounts": True,
    "enableRBAC": True,
    "aadProfile": {"managed": True, "enableAzureRBAC": True},
    "oidcIssuerProfile": {"enabled": True},
    "securityProfile": {"workloadIdentity": {"enabled": True}, "defender": {"securityMonitoring": {"enabled": True}}},
    "networkProfile": {"networkPolicy": "cilium"},
    "autoUpgradeProfile": {"upgradeChannel": "patch", "nodeOSUpgradeChannel": "NodeImage"},
    "azureMonitorProfile": {"metrics": {"enabled": True}},
    "addonProfiles": {
        "azurepolicy": {"enabled": True},
        "azureKeyvaultSecretsProvider": {"enabled": True, "config": {"enableSecretRotation": "true"}},
    },
    "agentPoolProfiles": [SYSTEM],
    "sku": {"name": "Base", "tier": "Standard"},
}


def cluster(**changes):
    return {**SECURE, **changes}


def test_secure_cluster_passes_every_aks_rule():
    for rule in (
        "AKS-01",
        "AKS-02",
        "AKS-03",
        "AKS-04",
        "AKS-05",
        "AKS-06",
        "AKS-07",
        "AKS-08",
        "AKS-09",
        "AKS-11",
        "AKS-12",
        "AKS-13",
    ):
        assert violations(rule, MC, SECURE, {"scope": "prod"}) == [], rule


def test_aks_01_private_or_authorized_ranges_outside_prod():
    public = cluster(apiServerAccessProfile={"authorizedIPRanges": ["203.0.113.0/24"]})
    assert violations("AKS-01", MC, public, {"scope": "dev"}) == []
    assert violations("AKS-01", MC, public, {"scope": "prod"})
    assert violations("AKS-01", MC, cluster(apiServerAccessProfile={}), {"scope": "dev"})


def test_aks_02_local_accounts():
    assert violations("AKS-02", MC, cluster(disableLocalAccounts=False))


def test_aks_03_entra_rbac():
    assert len(violations("AKS-03", MC, cluster(enableRBAC=None, aadProfile={"managed": True}))) == 2


def test_aks_04_workload_identity():
    assert len(violations("AKS-04", MC, cluster(oidcIssuerProfile={"enabled": False}, securityProfile={}))) == 2


def test_aks_05_network_policy_case_insensitive():
    assert violations("AKS-05", MC, cluster(networkProfile={"networkPolicy": "Azure"})) == []
    assert violations("AKS-05", MC, cluster(networkProfile={"networkPolicy": "none"}))


def test_aks_06_upgrade_channels():
    found = violations(
        "AKS-06", MC, cluster(autoUpgradeProfile={"upgradeChannel": "none", "nodeOSUpgradeChannel": "Unmanaged"})
    )
    assert len(found) == 2


def test_aks_07_monitoring_either_form():
    insights = cluster(azureMonitorProfile={}, addonProfiles={"omsAgent": {"enabled": True}})
    assert violations("AKS-07", MC, insights) == []
    assert violations("AKS-07", MC, cluster(azureMonitorProfile={"metrics": {"enabled": False}}))


def test_aks_08_policy_and_defender():
    assert len(violations("AKS-08", MC, cluster(addonProfiles={}, securityProfile={}))) == 2


def test_aks_09_node_public_ip_inline_and_pool():
    assert violations("AKS-09", MC, cluster(agentPoolProfiles=[{**SYSTEM, "enableNodePublicIP": True}]))
    assert violations("AKS-09", POOL, {"agentPoolName": "gpu", "enableNodePublicIP": True})
    assert violations("AKS-09", POOL, {"agentPoolName": "gpu", "enableNodePublicIP": False}) == []


def test_aks_11_system_pool_taint():
    assert (
        "System pool system" in violations("AKS-11", MC, cluster(agentPoolProfiles=[{**SYSTEM, "nodeTaints": []}]))[0]
    )
    assert violations("AKS-11", POOL, {"agentPoolName": "sys2", "mode": "System"})
    assert violations("AKS-11", POOL, {"agentPoolName": "gpu", "mode": "User"}) == []


def test_aks_12_paid_tier():
    assert "Free" in violations("AKS-12", MC, cluster(sku={"name": "Base", "tier": "Free"}))[0]
    assert violations("AKS-12", MC, cluster(sku=None))


def test_aks_13_secrets_provider_rotation():
    no_rotation = cluster(addonProfiles={"azureKeyvaultSecretsProvider": {"enabled": True, "config": {}}})
    assert "rotation" in violations("AKS-13", MC, no_rotation)[0]
    assert "provider is off" in violations("AKS-13", MC, cluster(addonProfiles={}))[0]


def test_aks_01_a_range_open_to_everything_restricts_nothing():
    for everywhere in (["0.0.0.0/0"], ["203.0.113.0/24", "::/0"], ["*"], ["0.0.0.0/0 "]):
        open_ = cluster(apiServerAccessProfile={"authorizedIPRanges": everywhere})
        assert violations("AKS-01", MC, open_, {"scope": "dev"}) == [
            "The API server is public and open to every IP range."
        ], everywhere
    narrow = cluster(apiServerAccessProfile={"authorizedIPRanges": ["203.0.113.0/24", "198.51.100.7/32"]})
    assert violations("AKS-01", MC, narrow, {"scope": "dev"}) == []
