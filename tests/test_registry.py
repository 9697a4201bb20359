"""Registry: secure defaults under synthesis (wire names, as the policies see them)."""

from __future__ import annotations

import pytest
from helpers import SUB, synth

from llmops_infra.components.registry import Registry, RegistryArgs

LAW = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log"
SUBNET = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/pe"
ZONE = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.azurecr.io"


def _plan(**overrides):
    args = {
        "resource_group_name": "rg",
        "registry_name": "crllmopsdeveus1234",
        "log_analytics_workspace_id": LAW,
        "private_endpoint_subnet_id": SUBNET,
        "private_dns_zone_id": ZONE,
    }
    args.update(overrides)
    return synth(lambda: Registry("registry", RegistryArgs(**args)))


def test_premium_registry_is_private_with_retention_and_no_export():
    plan = _plan()
    [acr] = plan.of_type("azure-native:containerregistry:Registry")
    props = acr.props
    assert props["sku"] == {"name": "Premium"}
    assert props["adminUserEnabled"] is False
    assert props["anonymousPullEnabled"] is False
    assert props["publicNetworkAccess"] == "Disabled"
    assert props["networkRuleSet"]["defaultAction"] == "Deny"
    assert props["policies"]["retentionPolicy"] == {"days": 30, "status": "enabled"}
    assert props["policies"]["exportPolicy"] == {"status": "disabled"}
    [pep] = plan.of_type("azure-native:network:PrivateEndpoint")
    assert pep.props["privateLinkServiceConnections"][0]["groupIds"] == ["registry"]
    assert pep.props["privateLinkServiceConnections"][0]["privateLinkServiceId"] == acr.outputs["id"]
    [zones] = plan.of_type("azure-native:network:PrivateDnsZoneGroup")
    assert zones.props["privateDnsZoneConfigs"][0]["privateDnsZoneId"] == ZONE


def test_registry_sends_all_logs_to_log_analytics():
    plan = _plan()
    [diag] = plan.of_type("azure-native:monitor:DiagnosticSetting")
    assert diag.props["workspaceId"] == LAW
    assert diag.props["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]
    [acr] = plan.of_type("azure-native:containerregistry:Registry")
    assert diag.props["resourceUri"] == acr.outputs["id"]


def test_standard_registry_has_no_private_endpoint_but_keeps_auth_defaults():
    plan = _plan(sku="Standard", private_endpoint_subnet_id=None, private_dns_zone_id=None)
    [acr] = plan.of_type("azure-native:containerregistry:Registry")
    assert acr.props["adminUserEnabled"] is False
    assert acr.props["anonymousPullEnabled"] is False
    assert acr.props["publicNetworkAccess"] == "Enabled"
    assert "policies" not in acr.props
    assert plan.of_type("azure-native:network:PrivateEndpoint") == []


def test_login_server_is_the_registry_host():
    plan = _plan()
    [acr] = plan.of_type("azure-native:containerregistry:Registry")
    assert acr.outputs["loginServer"] == "crllmopsdeveus1234.azurecr.io"


def test_private_premium_registry_without_endpoint_subnet_is_rejected():
    with pytest.raises(ValueError, match="private_endpoint_subnet_id"):
        RegistryArgs(resource_group_name="rg", registry_name="crx12345", log_analytics_workspace_id=LAW)


def test_retention_out_of_range_is_rejected():
    with pytest.raises(ValueError, match="retention_days"):
        RegistryArgs(
            resource_group_name="rg",
            registry_name="crx12345",
            log_analytics_workspace_id=LAW,
            private_endpoint_subnet_id=SUBNET,
            private_dns_zone_id=ZONE,
            retention_days=400,
        )
