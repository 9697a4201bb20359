"""The gateway and egress in the shipped plans: wiring, secure defaults, the chatops identity's grants."""

from __future__ import annotations

import pytest

from llmops_infra.review.access import access_report, team_access
from llmops_infra.stacks.stage_gateway import vllm_gateway_ip

APIM = "azure-native:apimanagement:ApiManagementService"


def _one(plan, type_):
    found = list(plan.of_type(type_))
    assert len(found) == 1, [r.name for r in found]
    return found[0]


def test_prod_gateway_is_internal_premium_with_identity(plans):
    service = _one(plans("prod"), APIM)
    assert service.props["virtualNetworkType"] == "Internal"
    assert service.props["sku"] == {"name": "Premium", "capacity": 1}
    assert service.props["identity"]["type"] == "SystemAssigned"
    assert service.props["virtualNetworkConfiguration"]["subnetResourceId"].endswith(
        "/subnets/snet-llmops-prod-eus2-apim"
    )


def test_prod_egress_routes_nodes_through_the_firewall(plans):
    plan = plans("prod")
    cluster = _one(plan, "azure-native:containerservice:ManagedCluster")
    assert cluster.props["networkProfile"]["outboundType"] == "userDefinedRouting"
    route = _one(plan, "azure-native:network:Route")
    assert (route.props["addressPrefix"], route.props["nextHopType"]) == ("0.0.0.0/0", "VirtualAppliance")
    assert _one(plan, "azure-native:network:FirewallPolicy").props["threatIntelMode"] == "Deny"
    # the cluster waits for the route and the rules
    deps = set(cluster.dependencies)
    assert {route.urn, _one(plan, "azure-native:network:FirewallPolicyRuleCollectionGroup").urn} <= deps
    rules = _one(plan, "azure-native:network:FirewallPolicyRuleCollectionGroup").props["ruleCollections"]
    fqdns = {f for c in rules for r in c["rules"] for f in r.get("targetFqdns", [])}
    assert {"mcr.microsoft.com", "management.azure.com", "huggingface.co", "nvcr.io"} <= fqdns
    assert "*" not in fqdns


def test_dev_opts_out_of_the_firewall(plans):
    plan = plans("dev")
    assert not list(plan.of_type("azure-native:network:AzureFirewall"))
    cluster = _one(plan, "azure-native:containerservice:ManagedCluster")
    assert cluster.props["networkProfile"]["outboundType"] == "loadBalancer"


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_chatops_reads_monitoring_and_nothing_else(plans, env):
    grants = [g for g in access_report(plans(env)) if g.principal.endswith("-chatops")]
    assert {(g.role, g.scope_type) for g in grants} == {
        ("Monitoring Data Reader", "Microsoft.Insights/azureMonitorWorkspaces"),
        ("Reader", "Microsoft.OperationalInsights/workspaces"),
    }


def test_teams_see_their_models_and_limits(plans):
    teams = {t.team: t for t in team_access(plans("prod"))}
    assert teams["analytics"].models == ("llama-70b",)
    assert teams["support-bot"].tokens_per_minute == "60000"
    assert teams["search"].monthly_token_quota == "400000000/monthly"


def test_gateway_backends_use_identity_or_key_vault(plans):
    plan = plans("prod")
    for backend in plan.of_type("azure-native:apimanagement:Backend"):
        assert "credentials" not in backend.props, backend.name
    (named,) = plan.of_type("azure-native:apimanagement:NamedValue")
    assert named.props["secret"] is True and named.props["keyVault"]["secretIdentifier"].endswith(
        "/secrets/vllm-api-key"
    )


def test_vllm_gateway_address_stays_in_the_node_subnet():
    assert vllm_gateway_ip("10.20.0.0/20", 0) == "10.20.0.200"
    with pytest.raises(ValueError, match="no room"):
        vllm_gateway_ip("10.20.0.0/24", 55)
