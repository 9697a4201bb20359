"""ModelStorage: Entra-only, private storage for model weights."""

from __future__ import annotations

from helpers import SUB, synth

from llmops_infra.components.model_storage import ModelStorage, ModelStorageArgs

LAW = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log"
SUBNET = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/pe"
ZONE = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/privateDnsZones/privatelink.blob.core.windows.net"


def _plan():
    args = ModelStorageArgs(
        resource_group_name="rg",
        account_name="stllmopsdeveus1234",
        log_analytics_workspace_id=LAW,
        private_endpoint_subnet_id=SUBNET,
        private_dns_zone_id=ZONE,
    )
    return synth(lambda: ModelStorage("models", args))


def test_account_is_entra_only_tls12_https_and_private():
    [account] = _plan().of_type("azure-native:storage:StorageAccount")
    props = account.props
    assert props["kind"] == "StorageV2"
    assert props["allowSharedKeyAccess"] is False
    assert props["defaultToOAuthAuthentication"] is True
    assert props["minimumTlsVersion"] == "TLS1_2"
    assert props["enableHttpsTrafficOnly"] is True
    assert props["allowBlobPublicAccess"] is False
    assert props["publicNetworkAccess"] == "Disabled"
    assert props["networkRuleSet"]["defaultAction"] == "Deny"


def test_models_container_is_not_public():
    [container] = _plan().of_type("azure-native:storage:BlobContainer")
    assert container.props["containerName"] == "models"
    assert container.props["publicAccess"] == "None"
    assert container.props["accountName"] == "stllmopsdeveus1234"


def test_blob_private_endpoint_with_dns_zone_group():
    plan = _plan()
    [account] = plan.of_type("azure-native:storage:StorageAccount")
    [pep] = plan.of_type("azure-native:network:PrivateEndpoint")
    connection = pep.props["privateLinkServiceConnections"][0]
    assert connection["groupIds"] == ["blob"]
    assert connection["privateLinkServiceId"] == account.outputs["id"]
    [group] = plan.of_type("azure-native:network:PrivateDnsZoneGroup")
    assert group.props["privateDnsZoneConfigs"][0]["privateDnsZoneId"] == ZONE


def test_blob_service_logs_and_account_metrics_go_to_log_analytics():
    plan = _plan()
    [account] = plan.of_type("azure-native:storage:StorageAccount")
    diags = {d.props["resourceUri"]: d.props for d in plan.of_type("azure-native:monitor:DiagnosticSetting")}
    blob = diags[account.outputs["id"] + "/blobServices/default"]
    assert blob["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]
    assert blob["workspaceId"] == LAW
    assert "logs" not in diags[account.outputs["id"]]


def test_blob_endpoint_output_resolves():
    [account] = _plan().of_type("azure-native:storage:StorageAccount")
    assert account.outputs["primaryEndpoints"]["blob"] == "https://stllmopsdeveus1234.blob.core.windows.net/"
