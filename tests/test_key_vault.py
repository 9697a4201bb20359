"""Key Vault: RBAC, purge protection, private by default, wired to its endpoint and logs."""

from __future__ import annotations

import pytest
from helpers import one, synth


def _args(**overrides):
    from llmops_infra.components.key_vault import KeyVaultArgs

    values = {
        "vault_name": "kv-test-0001",
        "resource_group_name": "rg-test",
        "location": "eastus",
        "tenant_id": "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa",
        "log_analytics_workspace_id": "/subscriptions/x/resourceGroups/rg-test/providers/Microsoft.OperationalInsights/workspaces/log",
        "private_endpoint_subnet_id": "/subscriptions/x/resourceGroups/rg-test/providers/Microsoft.Network/virtualNetworks/v/subnets/pe",
        "private_dns_zone_id": "/subscriptions/x/resourceGroups/rg-test/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net",
    }
    values.update(overrides)
    return KeyVaultArgs(**values)


@pytest.mark.parametrize("env,retention", [("dev", 7), ("prod", 90)])
def test_vault_secure_defaults(plans, env, retention):
    vault = one(plans(env), "azure-native:keyvault:Vault", "key_vault-vault")
    props = vault.props["properties"]
    assert props["enableRbacAuthorization"] is True
    assert props["accessPolicies"] == []
    assert props["enablePurgeProtection"] is True
    assert props["enableSoftDelete"] is True
    assert props["softDeleteRetentionInDays"] == retention
    assert props["publicNetworkAccess"] == "Disabled"
    assert props["networkAcls"] == {"defaultAction": "Deny", "bypass": "AzureServices", "ipRules": []}
    assert vault.props["vaultName"].startswith(f"kv-llmops-{env}-")
    assert len(vault.props["vaultName"]) <= 24


def test_private_endpoint_uses_the_pe_subnet_and_the_vault_zone(plans):
    plan = plans("prod")
    vault_id = one(plan, "azure-native:keyvault:Vault", "key_vault-vault").outputs["id"]
    vnet = one(plan, "azure-native:network:VirtualNetwork", "network-vnet")
    zone = next(
        z
        for z in plan.of_type("azure-native:privatedns:PrivateZone")
        if z.props["privateZoneName"] == "privatelink.vaultcore.azure.net"
    )
    endpoint = one(plan, "azure-native:network:PrivateEndpoint", "key_vault-pe-pep")
    assert endpoint.props["subnet"]["id"] == f"{vnet.outputs['id']}/subnets/snet-llmops-prod-eus2-private-endpoints"
    connection = endpoint.props["privateLinkServiceConnections"][0]
    assert connection["privateLinkServiceId"] == vault_id and connection["groupIds"] == ["vault"]
    group = one(plan, "azure-native:network:PrivateDnsZoneGroup", "key_vault-pe-dns")
    assert [c["privateDnsZoneId"] for c in group.props["privateDnsZoneConfigs"]] == [zone.outputs["id"]]


def test_vault_diagnostics_and_alert_point_at_the_estate_monitoring(plans):
    plan = plans("dev")
    vault_id = one(plan, "azure-native:keyvault:Vault", "key_vault-vault").outputs["id"]
    workspace_id = one(plan, "azure-native:operationalinsights:Workspace", "monitoring-log").outputs["id"]
    diag = one(plan, "azure-native:monitor:DiagnosticSetting", "key_vault-diag")
    assert diag.props["resourceUri"] == vault_id and diag.props["workspaceId"] == workspace_id
    assert diag.props["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]
    alert = one(plan, "azure-native:monitor:MetricAlert", "key_vault-availability")
    group_id = one(plan, "azure-native:monitor:ActionGroup", "monitoring-ag").outputs["id"]
    assert alert.props["scopes"] == [vault_id]
    assert alert.props["actions"] == [{"actionGroupId": group_id}]


def test_vault_uri_is_exported(plans):
    plan = plans("dev")
    name = one(plan, "azure-native:keyvault:Vault", "key_vault-vault").props["vaultName"]
    assert plan.outputs["key_vault_uri"] == f"https://{name}.vault.azure.net/"
    assert plan.outputs["key_vault_name"] == name


def test_public_access_opt_out_keeps_the_firewall_closed_but_for_listed_ranges():
    from llmops_infra.components.key_vault import KeyVault

    seen = {}

    def program():
        kv = KeyVault("kv", _args(allow_public_network_access=True, allowed_ip_ranges=["203.0.113.0/24"]))
        kv.public_network_access.apply(lambda v: seen.setdefault("public", v))

    plan = synth(program)
    props = one(plan, "azure-native:keyvault:Vault", "kv-vault").props["properties"]
    assert props["publicNetworkAccess"] == "Enabled" and seen["public"] == "Enabled"
    assert props["networkAcls"]["defaultAction"] == "Deny"
    assert props["networkAcls"]["ipRules"] == [{"value": "203.0.113.0/24"}]
    assert len(plan.of_type("azure-native:network:PrivateEndpoint")) == 1


def test_contradictions_are_rejected():
    with pytest.raises(ValueError, match="allowed_ip_ranges has no effect"):
        _args(allowed_ip_ranges=["203.0.113.0/24"])
    with pytest.raises(ValueError, match="between 7 and 90"):
        _args(soft_delete_retention_days=3)


def test_config_rejects_ip_ranges_without_public_access():
    from pydantic import ValidationError

    from llmops_infra.config.models import KeyVaultConfig

    with pytest.raises(ValidationError, match="allowed_ip_ranges has no effect"):
        KeyVaultConfig(allowed_ip_ranges=["203.0.113.0/24"])
    ok = KeyVaultConfig(allow_public_network_access=True, allowed_ip_ranges=["203.0.113.0/24"])
    assert ok.allowed_ip_ranges == ["203.0.113.0/24"]


@pytest.mark.parametrize(
    "cidr", ["10.1.0.0/16", "192.168.1.0/24", "172.20.0.0/16", "100.64.0.0/16", "127.0.0.1/32", "0.0.0.0/0"]
)
def test_config_rejects_firewall_ranges_that_are_not_public(cidr):
    from pydantic import ValidationError

    from llmops_infra.config.models import KeyVaultConfig

    with pytest.raises(ValidationError, match=f"allowed_ip_ranges: {cidr} is not a public range"):
        KeyVaultConfig(allow_public_network_access=True, allowed_ip_ranges=[cidr])


def test_config_rejects_repeated_and_malformed_ranges():
    from pydantic import ValidationError

    from llmops_infra.config.models import KeyVaultConfig

    with pytest.raises(ValidationError, match="appears twice"):
        KeyVaultConfig(allow_public_network_access=True, allowed_ip_ranges=["198.51.100.0/24", "198.51.100.0/24"])
    with pytest.raises(ValidationError, match="host bits zero"):
        KeyVaultConfig(allow_public_network_access=True, allowed_ip_ranges=["198.51.100.7/24"])
    ok = KeyVaultConfig(allow_public_network_access=True, allowed_ip_ranges=["198.51.100.0/24", "203.0.113.9/32"])
    assert ok.allowed_ip_ranges == ["198.51.100.0/24", "203.0.113.9/32"]
