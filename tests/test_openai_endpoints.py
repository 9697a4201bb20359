"""OpenAIEndpoints: hardening, the RAI policy on every deployment, chaining, capacity cap, roles."""

from __future__ import annotations

import pytest
from helpers import SUB, synth

from llmops_infra.components.openai_endpoints import ModelDeployment, OpenAIEndpoints, OpenAIEndpointsArgs
from llmops_infra.components.roles import ROLES

RG = f"/subscriptions/{SUB}/resourceGroups/rg"
LAW = f"{RG}/providers/Microsoft.OperationalInsights/workspaces/log"
SUBNET = f"{RG}/providers/Microsoft.Network/virtualNetworks/v/subnets/pe"
ZONES = [
    f"{RG}/providers/Microsoft.Network/privateDnsZones/privatelink.openai.azure.com",
    f"{RG}/providers/Microsoft.Network/privateDnsZones/privatelink.cognitiveservices.azure.com",
]
ACTION_GROUP = f"{RG}/providers/Microsoft.Insights/actionGroups/ag"
INFERENCE = "0b7c3f0e-1111-4111-8111-000000000001"
DEPLOYMENTS = [
    ModelDeployment(name="gpt-4o", model="gpt-4o", version="2024-11-20", capacity=30),
    ModelDeployment(name="embeddings", model="text-embedding-3-large", version="1", capacity=20),
    ModelDeployment(
        name="mini", model="gpt-4o-mini", version="2024-07-18", sku="GlobalStandard", capacity=10, auto_upgrade=True
    ),
]
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"


def _args(**overrides) -> OpenAIEndpointsArgs:
    args = {
        "resource_group_name": "rg",
        "location": "eastus",
        "account_name": "oai-llmops-dev-eus-9f3c",
        "subscription_id": SUB,
        "subnet_id": SUBNET,
        "dns_zone_ids": ZONES,
        "log_analytics_workspace_id": LAW,
        "max_total_capacity": 60,
        "deployments": DEPLOYMENTS,
        "allowed_fqdns": ["contoso.blob.core.windows.net"],
        "inference_principal_ids": {"inference": INFERENCE},
        "action_group_id": ACTION_GROUP,
    }
    args.update(overrides)
    return OpenAIEndpointsArgs(**args)


def _plan(**overrides):
    args = _args(**overrides)
    return synth(lambda: OpenAIEndpoints("openai", args))


@pytest.fixture(scope="module")
def plan():
    return _plan()


def test_account_is_openai_keyless_private_with_outbound_allow_list(plan):
    [account] = plan.of_type("azure-native:cognitiveservices:Account")
    props = account.props["properties"]
    assert account.props["kind"] == "AIServices"  # a Foundry resource by default
    assert props["allowProjectManagement"] is True
    assert account.props["sku"] == {"name": "S0"}
    assert account.props["identity"] == {"type": "SystemAssigned"}
    assert props["customSubDomainName"] == "oai-llmops-dev-eus-9f3c"
    assert props["disableLocalAuth"] is True
    assert props["publicNetworkAccess"] == "Disabled"
    assert props["networkAcls"]["defaultAction"] == "Deny"
    assert props["restrictOutboundNetworkAccess"] is True
    assert props["allowedFqdnList"] == ["contoso.blob.core.windows.net"]


def test_outbound_stays_restricted_with_an_empty_allow_list():
    [account] = _plan(allowed_fqdns=[]).of_type("azure-native:cognitiveservices:Account")
    assert account.props["properties"]["restrictOutboundNetworkAccess"] is True
    assert account.props["properties"]["allowedFqdnList"] == []


def test_private_endpoint_and_diagnostics(plan):
    [account] = plan.of_type("azure-native:cognitiveservices:Account")
    [pep] = plan.of_type("azure-native:network:PrivateEndpoint")
    assert pep.props["privateLinkServiceConnections"][0]["groupIds"] == ["account"]
    assert pep.props["privateLinkServiceConnections"][0]["privateLinkServiceId"] == account.outputs["id"]
    [zones] = plan.of_type("azure-native:network:PrivateDnsZoneGroup")
    assert [c["privateDnsZoneId"] for c in zones.props["privateDnsZoneConfigs"]] == ZONES
    [diag] = plan.of_type("azure-native:monitor:DiagnosticSetting")
    assert diag.props["resourceUri"] == account.outputs["id"]
    assert diag.props["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]


def _filters(policy):
    return {(f["name"], f["source"]): f for f in policy.props["properties"]["contentFilters"]}


def test_rai_policy_blocks_harm_in_prompt_and_completion_plus_jailbreak_and_protected_material(plan):
    [policy] = plan.of_type("azure-native:cognitiveservices:RaiPolicy")
    assert policy.props["properties"]["mode"] == "Blocking"
    filters = _filters(policy)
    for category in ("Hate", "Sexual", "Violence", "Selfharm"):
        for source in ("Prompt", "Completion"):
            f = filters[(category, source)]
            assert (f["severityThreshold"], f["blocking"], f["enabled"]) == ("Medium", True, True)
    assert filters[("Jailbreak", "Prompt")]["blocking"] is True
    assert filters[("Protected Material Text", "Completion")]["blocking"] is True
    assert filters[("Protected Material Code", "Completion")]["enabled"] is True
    assert len(filters) == 11


def test_low_threshold_is_applied_to_every_harm_filter():
    [policy] = _plan(content_filter_threshold="Low").of_type("azure-native:cognitiveservices:RaiPolicy")
    levels = {f["severityThreshold"] for f in policy.props["properties"]["contentFilters"] if "severityThreshold" in f}
    assert levels == {"Low"}


def test_every_deployment_names_the_rai_policy_and_depends_on_it(plan):
    [policy] = plan.of_type("azure-native:cognitiveservices:RaiPolicy")
    deployments = plan.of_type(DEPLOYMENT)
    assert len(deployments) == 3
    for dep in deployments:
        assert dep.props["properties"]["raiPolicyName"] == policy.props["raiPolicyName"] == "llmops-content-filter"
        assert policy.urn in dep.dependencies


def test_deployments_are_chained_in_config_order(plan):
    by_name = {d.props["deploymentName"]: d for d in plan.of_type(DEPLOYMENT)}
    first, second, third = (by_name[d.name] for d in DEPLOYMENTS)
    assert not any(
        u.endswith(("Deployment::openai-deploy-embeddings", "Deployment::openai-deploy-mini"))
        for u in first.dependencies
    )
    assert first.urn in second.dependencies
    assert second.urn in third.dependencies
    assert first.urn not in third.dependencies  # a chain, not a fan-in


def test_deployment_model_sku_and_pinned_versions(plan):
    by_name = {d.props["deploymentName"]: d.props for d in plan.of_type(DEPLOYMENT)}
    gpt = by_name["gpt-4o"]
    assert gpt["properties"]["model"] == {"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"}
    assert gpt["sku"] == {"name": "Standard", "capacity": 30}
    assert gpt["properties"]["versionUpgradeOption"] == "NoAutoUpgrade"
    assert by_name["mini"]["properties"]["versionUpgradeOption"] == "OnceNewDefaultVersionAvailable"
    assert by_name["mini"]["sku"] == {"name": "GlobalStandard", "capacity": 10}


def test_summed_capacity_above_the_cap_is_rejected_with_the_fix():
    with pytest.raises(ValueError) as err:
        _args(max_total_capacity=50)
    message = str(err.value)
    assert "60K tokens per minute" in message
    assert "gpt-4o 30 + embeddings 20 + mini 10" in message
    assert "cost.max_openai_capacity" in message


def test_provisioned_throughput_needs_the_opt_in():
    ptu = [ModelDeployment(name="ptu", model="gpt-4o", version="2024-11-20", sku="ProvisionedManaged", capacity=50)]
    with pytest.raises(ValueError, match="allow_provisioned_throughput"):
        _args(deployments=ptu)
    assert _args(deployments=ptu, allow_provisioned_throughput=True).deployments == ptu


def test_unknown_threshold_and_duplicate_names_are_rejected():
    with pytest.raises(ValueError, match="content_filter_threshold"):
        _args(content_filter_threshold="Off")
    with pytest.raises(ValueError, match="appear twice"):
        _args(deployments=[DEPLOYMENTS[0], DEPLOYMENTS[0]])


def test_inference_identity_gets_openai_user_on_the_account_only(plan):
    [account] = plan.of_type("azure-native:cognitiveservices:Account")
    [grant] = plan.of_type("azure-native:authorization:RoleAssignment")
    assert grant.props["principalId"] == INFERENCE
    assert grant.props["scope"] == account.outputs["id"]
    assert grant.props["roleDefinitionId"].endswith(ROLES["Cognitive Services OpenAI User"])


def test_alerts_on_latency_errors_and_tokens_go_to_the_action_group(plan):
    [account] = plan.of_type("azure-native:cognitiveservices:Account")
    alerts = {a.name: a.props for a in plan.of_type("azure-native:monitor:MetricAlert")}
    assert set(alerts) == {
        "openai-alert-latency",
        "openai-alert-errors",
        "openai-alert-tokens-gpt-4o",
        "openai-alert-tokens-embeddings",
        "openai-alert-tokens-mini",
    }
    metrics = {name: props["criteria"]["allOf"][0]["metricName"] for name, props in alerts.items()}
    assert metrics == {
        "openai-alert-latency": "AzureOpenAITimeToResponse",
        "openai-alert-errors": "AzureOpenAIRequests",
        "openai-alert-tokens-gpt-4o": "TokenTransaction",
        "openai-alert-tokens-embeddings": "TokenTransaction",
        "openai-alert-tokens-mini": "TokenTransaction",
    }
    for props in alerts.values():
        assert props["scopes"] == [account.outputs["id"]]
        assert props["actions"] == [{"actionGroupId": ACTION_GROUP}]
        assert props["criteria"]["allOf"][0]["metricNamespace"] == "Microsoft.CognitiveServices/accounts"


def test_error_alert_counts_only_5xx_requests(plan):
    [alert] = [a for a in plan.of_type("azure-native:monitor:MetricAlert") if a.name == "openai-alert-errors"]
    criterion = alert.props["criteria"]["allOf"][0]
    assert criterion["dimensions"] == [
        {"name": "StatusCode", "operator": "Include", "values": ["500", "502", "503", "504"]}
    ]
    assert (criterion["timeAggregation"], criterion["threshold"]) == ("Total", 5)


def test_token_alerts_are_per_deployment_at_80_percent_of_its_capacity(plan):
    alerts = {a.name: a.props["criteria"]["allOf"][0] for a in plan.of_type("azure-native:monitor:MetricAlert")}
    gpt = alerts["openai-alert-tokens-gpt-4o"]
    assert gpt["dimensions"] == [{"name": "ModelDeploymentName", "operator": "Include", "values": ["gpt-4o"]}]
    # 80 % of 30K tokens per minute over the 15-minute window.
    assert gpt["threshold"] == 0.8 * 30 * 1000 * 15
    assert alerts["openai-alert-tokens-mini"]["threshold"] == 0.8 * 10 * 1000 * 15
    assert "dimensions" not in alerts["openai-alert-latency"]


def test_provisioned_deployments_get_no_token_alert():
    ptu = [ModelDeployment(name="ptu", model="gpt-4o", version="2024-11-20", sku="ProvisionedManaged", capacity=50)]
    plan = _plan(deployments=ptu, allow_provisioned_throughput=True)
    names = {a.name for a in plan.of_type("azure-native:monitor:MetricAlert")}
    assert names == {"openai-alert-latency", "openai-alert-errors"}


def test_outputs_endpoint_and_deployment_names():
    def program():
        import pulumi

        openai = OpenAIEndpoints("openai", _args(action_group_id=None))
        pulumi.export("endpoint", openai.endpoint)
        pulumi.export("names", openai.deployment_names)

    plan = synth(program)
    assert plan.outputs["endpoint"] == "https://oai-llmops-dev-eus-9f3c.cognitiveservices.azure.com/"
    assert plan.outputs["names"] == ["gpt-4o", "embeddings", "mini"]
    assert plan.of_type("azure-native:monitor:MetricAlert") == []
