"""The gateway and egress in the shipped plans: wiring, secure defaults, the chatops identity's grants."""

from __future__ import annotations

import pytest

from llmops_infra.config.loader import load_environment
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


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_each_team_app_is_a_gateway_api_in_its_team_product(plans, env):
    plan = plans(env)
    app = _one(plan, "azure-native:app:ContainerApp")
    api = next(a for a in plan.of_type("azure-native:apimanagement:Api") if a.props["apiId"] == "app-chat-api")
    assert (api.props["path"], api.props["protocols"], api.props["subscriptionRequired"]) == (
        "apps/chat-api",
        ["https"],
        True,
    )
    assert app.urn in api.dependencies  # the request path: gateway API -> app
    backend = next(
        b for b in plan.of_type("azure-native:apimanagement:Backend") if b.props["backendId"] == "app-chat-api"
    )
    environment = next(e for e in plan.of_type("azure-native:app:ManagedEnvironment") if e.name == "apps-environment")
    domain = environment.outputs["defaultDomain"]
    assert backend.props["url"] == f"https://{app.props['containerAppName']}.{domain}"
    assert app.urn in backend.dependencies and "credentials" not in backend.props
    policy = next(
        p
        for p in plan.of_type("azure-native:apimanagement:ApiPolicy")
        if str(p.props["apiId"]).endswith("app-chat-api")
    ).props["value"]
    assert '<validate-azure-ad-token tenant-id="' in policy and "<audience>api://llmops-gateway</audience>" in policy
    assert '<set-backend-service backend-id="app-chat-api" />' in policy
    assert '<authentication-managed-identity resource="api://llmops-gateway" />' in policy
    (link,) = [
        lk
        for lk in plan.of_type("azure-native:apimanagement:ProductApiLink")
        if lk.props["apiLinkId"] == "app-chat-api"
    ]
    assert link.props["productId"] == "support-bot"
    assert {
        o.props["method"] for o in plan.of_type("azure-native:apimanagement:ApiOperation") if "app-chat-api" in o.name
    } == {"GET", "POST"}


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_team_app_ingress_admits_only_the_gateway_subnet(plans, project_dir, env):
    config = load_environment(env, project_dir)
    app = _one(plans(env), "azure-native:app:ContainerApp")
    (rule,) = app.props["configuration"]["ingress"]["ipSecurityRestrictions"]
    assert (rule["name"], rule["action"], rule["ipAddressRange"]) == (
        "gateway-only",
        "Allow",
        config.network.subnets.gateway,
    )
    assert rule["ipAddressRange"] != config.network.address_space


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_team_app_calls_its_models_through_the_gateway_with_its_own_key(plans, env):
    """The app subscribes to its team's product; its key is in Key Vault, read by the app's identity only; the
    identity has no right on the Foundry resource (no direct model calls)."""
    plan = plans(env)
    app = _one(plan, "azure-native:app:ContainerApp")
    identity = next(
        i for i in plan.of_type("azure-native:managedidentity:UserAssignedIdentity") if "app-chat-api" in i.name
    )
    principal = identity.outputs["principalId"]
    subscription = _one(plan, "azure-native:apimanagement:Subscription")
    assert subscription.props["scope"].endswith("/products/support-bot")
    assert (subscription.props["state"], subscription.props["allowTracing"]) == ("active", False)
    secret = _one(plan, "azure-native:keyvault:Secret")
    assert secret.props["properties"] == "[secret]" and subscription.urn in secret.dependencies
    grants = [
        g for g in plan.of_type("azure-native:authorization:RoleAssignment") if g.props["principalId"] == principal
    ]
    scopes = {g.props["scope"] for g in grants}
    assert secret.outputs["id"] in scopes
    assert not [s for s in scopes if "Microsoft.CognitiveServices" in s]
    (ref,) = app.props["configuration"]["secrets"]
    assert ref == {
        "name": "gateway-key",
        "keyVaultUrl": f"https://{secret.props['vaultName']}.vault.azure.net/secrets/gateway-key-app-chat-api",
        "identity": identity.outputs["id"],
    }
    env_vars = {e["name"]: e for e in app.props["template"]["containers"][0]["env"]}
    assert env_vars["LLMOPS_GATEWAY_KEY"] == {"name": "LLMOPS_GATEWAY_KEY", "secretRef": "gateway-key"}
    assert env_vars["LLMOPS_GATEWAY_URL"]["value"].endswith(".azure-api.net")
    assert "AZURE_OPENAI_ENDPOINT" not in env_vars
    # the app is created after its grants (it reads the key at start) and the model APIs it calls
    model_apis = {
        a.urn for a in plan.of_type("azure-native:apimanagement:Api") if a.props["apiId"] in ("chat", "embeddings")
    }
    assert model_apis <= set(app.dependencies)
    # `access ENV` lists the app among its team's subscribers
    support = next(t for t in team_access(plan) if t.team == "support-bot")
    assert support.subscribers == ("app-chat-api",) and support.to_dict()["subscribers"] == ["app-chat-api"]
