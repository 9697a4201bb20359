"""MlEndpoints (platform stack): private workspace, endpoints without traffic of their own, roles, alerts.
What the endpoints serve is tests/test_ml_deployments.py's."""

from __future__ import annotations

from dataclasses import replace

import pytest
from helpers import SUB, synth

from llmops_infra.components.ml_endpoints import FlowEndpoint, FlowSlot, MlEndpoints, MlEndpointsArgs
from llmops_infra.components.roles import ROLES

RG = f"/subscriptions/{SUB}/resourceGroups/rg"
KV = f"{RG}/providers/Microsoft.KeyVault/vaults/kv"
ST = f"{RG}/providers/Microsoft.Storage/storageAccounts/st"
CR = f"{RG}/providers/Microsoft.ContainerRegistry/registries/cr"
APPI = f"{RG}/providers/Microsoft.Insights/components/appi"
LAW = f"{RG}/providers/Microsoft.OperationalInsights/workspaces/log"
SUBNET = f"{RG}/providers/Microsoft.Network/virtualNetworks/v/subnets/pe"
ZONES = [
    f"{RG}/providers/Microsoft.Network/privateDnsZones/privatelink.api.azureml.ms",
    f"{RG}/providers/Microsoft.Network/privateDnsZones/privatelink.notebooks.azure.net",
]
OPENAI = f"{RG}/providers/Microsoft.CognitiveServices/accounts/oai"
SAFETY = f"{RG}/providers/Microsoft.CognitiveServices/accounts/cs"
ACTION_GROUP = f"{RG}/providers/Microsoft.Insights/actionGroups/ag"
WS_ID = f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/mlw-llmops-dev-eus"
SLOTS = [
    FlowSlot(name="blue", flow_version="1.4.0", instance_type="Standard_DS3_v2", instance_count=2, traffic_percent=90),
    FlowSlot(name="green", flow_version="1.5.0", instance_type="Standard_F4s_v2", instance_count=1, traffic_percent=10),
]
ONLINE_DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"
ONLINE_ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"
TEMPLATE_DEPLOYMENT = "azure-native:resources:Deployment"


def _args(**overrides) -> MlEndpointsArgs:
    args = {
        "resource_group_name": "rg",
        "location": "eastus",
        "workspace_name": "mlw-llmops-dev-eus",
        "subscription_id": SUB,
        "key_vault_id": KV,
        "storage_account_id": ST,
        "container_registry_id": CR,
        "app_insights_id": APPI,
        "log_analytics_workspace_id": LAW,
        "subnet_id": SUBNET,
        "dns_zone_ids": ZONES,
        "allowed_instance_types": ["Standard_DS3_v2", "Standard_F4s_v2"],
        "max_instances": 4,
        "endpoints": [FlowEndpoint(key="chat-flow", endpoint_name="mle-llmops-dev-chat-flow-1a2b", slots=SLOTS)],
        "openai_account_id": OPENAI,
        "content_safety_account_id": SAFETY,
        "action_group_id": ACTION_GROUP,
    }
    args.update(overrides)
    return MlEndpointsArgs(**args)


def _plan(**overrides):
    args = _args(**overrides)

    def program():
        import pulumi

        ml = MlEndpoints("ml", args)
        pulumi.export("scoring_uris", ml.scoring_uris)

    return synth(program)


@pytest.fixture(scope="module")
def plan():
    return _plan()


def test_workspace_is_private_with_approved_outbound_only_and_linked_resources(plan):
    [ws] = plan.of_type("azure-native:machinelearningservices:Workspace")
    props = ws.props
    assert props["identity"] == {"type": "SystemAssigned"}
    assert props["publicNetworkAccess"] == "Disabled"
    assert props["managedNetwork"]["isolationMode"] == "AllowOnlyApprovedOutbound"
    assert (props["keyVault"], props["storageAccount"], props["containerRegistry"], props["applicationInsights"]) == (
        KV,
        ST,
        CR,
        APPI,
    )
    assert props["v1LegacyMode"] is False
    assert props["systemDatastoresAuthMode"] == "Identity"


def test_managed_network_reaches_only_the_ai_accounts_through_private_endpoints(plan):
    [ws] = plan.of_type("azure-native:machinelearningservices:Workspace")
    rules = ws.props["managedNetwork"]["outboundRules"]
    assert {
        k: (r["type"], r["destination"]["serviceResourceId"], r["destination"]["subresourceTarget"])
        for k, r in rules.items()
    } == {
        "pe-openai": ("PrivateEndpoint", OPENAI, "account"),
        "pe-content-safety": ("PrivateEndpoint", SAFETY, "account"),
    }


def test_workspace_private_endpoint_and_diagnostics(plan):
    [ws] = plan.of_type("azure-native:machinelearningservices:Workspace")
    [pep] = plan.of_type("azure-native:network:PrivateEndpoint")
    assert pep.props["privateLinkServiceConnections"][0]["groupIds"] == ["amlworkspace"]
    assert pep.props["privateLinkServiceConnections"][0]["privateLinkServiceId"] == ws.outputs["id"]
    [zones] = plan.of_type("azure-native:network:PrivateDnsZoneGroup")
    assert [c["privateDnsZoneId"] for c in zones.props["privateDnsZoneConfigs"]] == ZONES
    diags = {d.props["resourceUri"] for d in plan.of_type("azure-native:monitor:DiagnosticSetting")}
    [endpoint] = plan.of_type("azure-native:machinelearningservices:OnlineEndpoint")
    assert diags == {ws.outputs["id"], endpoint.outputs["id"]}


def test_endpoint_uses_entra_tokens_is_private_and_has_no_traffic_of_its_own(plan):
    assert plan.of_type(ONLINE_DEPLOYMENT) == [] and plan.of_type(TEMPLATE_DEPLOYMENT) == []
    [endpoint] = plan.of_type(ONLINE_ENDPOINT)
    props = endpoint.props["properties"]
    assert endpoint.props["endpointName"] == "mle-llmops-dev-chat-flow-1a2b"
    assert props["authMode"] == "AADToken"
    assert props["publicNetworkAccess"] == "Disabled"
    assert "traffic" not in props
    assert endpoint.ignore_changes == ["properties.traffic"]
    assert endpoint.props["identity"] == {"type": "SystemAssigned"}


def test_public_access_opt_out_opens_workspace_and_endpoint():
    plan = _plan(allow_public_network_access=True)
    [ws] = plan.of_type("azure-native:machinelearningservices:Workspace")
    [endpoint] = plan.of_type("azure-native:machinelearningservices:OnlineEndpoint")
    assert ws.props["publicNetworkAccess"] == "Enabled"
    assert endpoint.props["properties"]["publicNetworkAccess"] == "Enabled"


def test_endpoint_identity_may_call_openai_and_content_safety_only(plan):
    [endpoint] = plan.of_type("azure-native:machinelearningservices:OnlineEndpoint")
    principal = endpoint.outputs["identity"]["principalId"]
    grants = {
        (g.props["scope"], g.props["roleDefinitionId"].rsplit("/", 1)[1])
        for g in plan.of_type("azure-native:authorization:RoleAssignment")
    }
    assert grants == {(OPENAI, ROLES["Cognitive Services OpenAI User"]), (SAFETY, ROLES["Cognitive Services User"])}
    assert {g.props["principalId"] for g in plan.of_type("azure-native:authorization:RoleAssignment")} == {principal}


def test_without_ai_accounts_no_grants_and_no_outbound_rules():
    plan = _plan(openai_account_id=None, content_safety_account_id=None)
    assert plan.of_type("azure-native:authorization:RoleAssignment") == []
    [ws] = plan.of_type("azure-native:machinelearningservices:Workspace")
    assert "outboundRules" not in ws.props["managedNetwork"]


def test_latency_and_5xx_alerts_per_endpoint(plan):
    [endpoint] = plan.of_type("azure-native:machinelearningservices:OnlineEndpoint")
    alerts = {a.name: a.props for a in plan.of_type("azure-native:monitor:MetricAlert")}
    assert set(alerts) == {"ml-chat-flow-alert-latency", "ml-chat-flow-alert-errors"}
    latency = alerts["ml-chat-flow-alert-latency"]["criteria"]["allOf"][0]
    errors = alerts["ml-chat-flow-alert-errors"]["criteria"]["allOf"][0]
    assert latency["metricName"] == "RequestLatency_P99"
    assert (errors["metricName"], errors["timeAggregation"]) == ("RequestsPerMinute", "Average")
    assert errors["dimensions"] == [{"name": "statusCodeClass", "operator": "Include", "values": ["5xx"]}]
    for props in alerts.values():
        assert props["scopes"] == [endpoint.outputs["id"]]
        assert props["actions"] == [{"actionGroupId": ACTION_GROUP}]


def test_scoring_uri_output(plan):
    assert plan.outputs["scoring_uris"] == {
        "chat-flow": "https://mle-llmops-dev-chat-flow-1a2b.eastus.inference.ml.azure.com/score"
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"traffic_percent": 50}, "sums to 60"),
        ({"instance_type": "Standard_NC24ads_A100_v4"}, "not in allowed_instance_types"),
        ({"instance_count": 5}, "outside 1-4"),
        ({"request_timeout_seconds": 181}, "outside 1-180"),
    ],
)
def test_bad_slots_are_rejected_when_args_are_built(change, message):
    slots = [replace(SLOTS[0], **change), SLOTS[1]]
    with pytest.raises(ValueError, match=message):
        _args(endpoints=[FlowEndpoint(key="chat-flow", endpoint_name="mle-x", slots=slots)])
