"""ContentSafety: hardening and least-privilege callers under synthesis (wire names)."""

from __future__ import annotations

import pytest
from helpers import SUB, synth

from llmops_infra.components.content_safety import ContentSafety, ContentSafetyArgs
from llmops_infra.components.roles import ROLES

RG = f"/subscriptions/{SUB}/resourceGroups/rg"
LAW = f"{RG}/providers/Microsoft.OperationalInsights/workspaces/log"
SUBNET = f"{RG}/providers/Microsoft.Network/virtualNetworks/v/subnets/pe"
ZONE = f"{RG}/providers/Microsoft.Network/privateDnsZones/privatelink.cognitiveservices.azure.com"
INFERENCE = "0b7c3f0e-1111-4111-8111-000000000001"
PROMPTFLOW = "0b7c3f0e-1111-4111-8111-000000000002"


def _plan(**overrides):
    args = {
        "resource_group_name": "rg",
        "location": "eastus",
        "account_name": "cs-llmops-dev-eus-1a2b",
        "subscription_id": SUB,
        "subnet_id": SUBNET,
        "dns_zone_ids": [ZONE],
        "log_analytics_workspace_id": LAW,
        "consumer_principal_ids": {"inference": INFERENCE, "promptflow": PROMPTFLOW},
    }
    args.update(overrides)
    return synth(lambda: ContentSafety("content_safety", ContentSafetyArgs(**args)))


def test_account_is_content_safety_s0_keyless_private_with_identity_and_subdomain():
    [account] = _plan().of_type("azure-native:cognitiveservices:Account")
    props = account.props
    assert props["kind"] == "ContentSafety"
    assert props["sku"] == {"name": "S0"}
    assert props["identity"] == {"type": "SystemAssigned"}
    assert props["properties"]["customSubDomainName"] == "cs-llmops-dev-eus-1a2b"
    assert props["properties"]["disableLocalAuth"] is True
    assert props["properties"]["publicNetworkAccess"] == "Disabled"
    assert props["properties"]["networkAcls"]["defaultAction"] == "Deny"
    assert props["properties"]["networkAcls"]["ipRules"] == []


def test_public_access_is_a_frank_opt_out_that_keeps_the_acl_deny():
    [account] = _plan(allow_public_network_access=True).of_type("azure-native:cognitiveservices:Account")
    assert account.props["properties"]["publicNetworkAccess"] == "Enabled"
    assert account.props["properties"]["networkAcls"]["defaultAction"] == "Deny"
    assert account.props["properties"]["disableLocalAuth"] is True


def test_private_endpoint_group_account_in_the_cognitiveservices_zone():
    plan = _plan(private_endpoint_name="pep-llmops-dev-eus-cs")
    [account] = plan.of_type("azure-native:cognitiveservices:Account")
    [pep] = plan.of_type("azure-native:network:PrivateEndpoint")
    connection = pep.props["privateLinkServiceConnections"][0]
    assert connection["groupIds"] == ["account"]
    assert connection["privateLinkServiceId"] == account.outputs["id"]
    assert pep.props["privateEndpointName"] == "pep-llmops-dev-eus-cs"
    [zones] = plan.of_type("azure-native:network:PrivateDnsZoneGroup")
    assert [c["privateDnsZoneId"] for c in zones.props["privateDnsZoneConfigs"]] == [ZONE]


def test_diagnostics_send_all_logs_of_the_account():
    plan = _plan()
    [account] = plan.of_type("azure-native:cognitiveservices:Account")
    [diag] = plan.of_type("azure-native:monitor:DiagnosticSetting")
    assert diag.props["resourceUri"] == account.outputs["id"]
    assert diag.props["workspaceId"] == LAW
    assert diag.props["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]


def test_each_consumer_gets_cognitive_services_user_on_the_account_only():
    plan = _plan()
    [account] = plan.of_type("azure-native:cognitiveservices:Account")
    grants = {r.props["principalId"]: r.props for r in plan.of_type("azure-native:authorization:RoleAssignment")}
    assert set(grants) == {INFERENCE, PROMPTFLOW}
    for props in grants.values():
        assert props["scope"] == account.outputs["id"]
        assert "/providers/Microsoft.CognitiveServices/accounts/" in props["scope"]
        assert props["roleDefinitionId"].endswith(ROLES["Cognitive Services User"])
        assert props["principalType"] == "ServicePrincipal"


def test_no_consumers_no_role_assignments():
    assert _plan(consumer_principal_ids={}).of_type("azure-native:authorization:RoleAssignment") == []


def test_endpoint_output_is_the_custom_subdomain():
    def program():
        import pulumi

        cs = ContentSafety(
            "content_safety",
            ContentSafetyArgs(
                resource_group_name="rg",
                location="eastus",
                account_name="cs-x-1a2b",
                subscription_id=SUB,
                subnet_id=SUBNET,
                dns_zone_ids=[ZONE],
                log_analytics_workspace_id=LAW,
            ),
        )
        pulumi.export("endpoint", cs.endpoint)
        pulumi.export("principal", cs.principal_id)

    plan = synth(program)
    assert plan.outputs["endpoint"] == "https://cs-x-1a2b.cognitiveservices.azure.com/"
    assert len(plan.outputs["principal"]) == 36


def test_missing_dns_zone_is_rejected_with_the_zone_to_pass():
    with pytest.raises(ValueError, match=r"privatelink.cognitiveservices.azure.com"):
        ContentSafetyArgs(
            resource_group_name="rg",
            location="eastus",
            account_name="cs",
            subscription_id=SUB,
            subnet_id=SUBNET,
            dns_zone_ids=[],
            log_analytics_workspace_id=LAW,
        )
