"""AI stages in the shipped environments: accounts, filtered chained deployments, endpoints, wiring."""

from __future__ import annotations

import pytest

from llmops_infra.components.roles import ROLES
from llmops_infra.config.loader import load_environment
from llmops_infra.errors import ConfigError
from llmops_infra.offline.planning import plan_config

ACCOUNT = "azure-native:cognitiveservices:Account"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
ENVS = ["dev", "prod"]


def _accounts(plan):
    return {a.props["kind"]: a for a in plan.of_type(ACCOUNT)}


@pytest.mark.parametrize("env", ENVS)
def test_content_safety_and_openai_accounts_exist_hardened(plans, env):
    accounts = _accounts(plans(env))
    assert set(accounts) == {"ContentSafety", "AIServices"}
    for account in accounts.values():
        props = account.props["properties"]
        assert props["disableLocalAuth"] is True
        assert props["publicNetworkAccess"] == "Disabled"
        assert account.props["tags"]["environment"] == env


@pytest.mark.parametrize("env", ENVS)
def test_every_deployment_is_filtered_and_chained_in_config_order(plans, project_dir, env):
    plan = plans(env)
    config = load_environment(env, project_dir)
    [policy] = plan.of_type("azure-native:cognitiveservices:RaiPolicy")
    by_name = {d.props["deploymentName"]: d for d in plan.of_type(DEPLOYMENT)}
    order = [d.name for d in config.openai.deployments]
    assert list(by_name) and sorted(by_name) == sorted(order)
    for index, name in enumerate(order):
        dep = by_name[name]
        assert dep.props["properties"]["raiPolicyName"] == policy.props["raiPolicyName"]
        assert policy.urn in dep.dependencies
        if index:
            assert by_name[order[index - 1]].urn in dep.dependencies
    assert plan.outputs["openai_deployment_names"] == order


def _traffic_templates(plan) -> dict[str, tuple]:
    """Endpoint Azure name -> (template deployment, the endpoint resource in its template)."""
    templates = {}
    for deployment in plan.of_type("azure-native:resources:Deployment"):
        [resource] = deployment.props["properties"]["template"]["resources"]
        templates[resource["name"].split("/")[1]] = (deployment, resource)
    return templates


@pytest.mark.parametrize("env", ENVS)
def test_ml_endpoints_carry_the_configured_traffic_split(plans, project_dir, env):
    plan = plans(env)
    config = load_environment(env, project_dir)
    endpoints = plan.of_type("azure-native:machinelearningservices:OnlineEndpoint")
    assert len(endpoints) == len(config.ml.endpoints)
    expected = {
        ep.name: {d.name: d.traffic_percent for d in ep.deployments if d.traffic_percent} for ep in config.ml.endpoints
    }
    templates = _traffic_templates(plan)
    actual = {
        e.name.removeprefix("ml-").removesuffix("-endpoint"): templates[e.props["endpointName"]][1]["properties"][
            "traffic"
        ]
        for e in endpoints
    }
    assert actual == expected
    assert all("traffic" not in e.props["properties"] for e in endpoints)
    [ws] = plan.of_type("azure-native:machinelearningservices:Workspace")
    assert ws.props["managedNetwork"]["isolationMode"] == "AllowOnlyApprovedOutbound"
    assert set(plan.outputs["ml_scoring_uris"]) == set(expected)


@pytest.mark.parametrize("env", ENVS)
def test_ml_workspace_links_the_estate_resources(plans, env):
    plan = plans(env)
    [ws] = plan.of_type("azure-native:machinelearningservices:Workspace")
    ids = {r.type: r.outputs.get("id") for r in plan.custom_resources()}
    assert ws.props["keyVault"] == ids["azure-native:keyvault:Vault"]
    assert ws.props["storageAccount"] == ids["azure-native:storage:StorageAccount"]
    assert ws.props["containerRegistry"] == ids["azure-native:containerregistry:Registry"]
    assert ws.props["applicationInsights"] == ids["azure-native:applicationinsights:Component"]


def test_only_the_flow_endpoints_get_the_two_ai_roles(plans):
    """No workload identity calls the models (the vLLM pods serve their own model; flows run on the ML
    endpoints under their own identities), and neither do team apps behind the gateway: they call their models
    through it and hold nothing on the AI accounts. Each endpoint's system identity gets exactly the two roles,
    scoped to the one account each."""
    plan = plans("prod")
    accounts = {kind: a.outputs["id"] for kind, a in _accounts(plan).items()}
    identities = plan.of_type("azure-native:managedidentity:UserAssignedIdentity")
    apps = {i.outputs["principalId"] for i in identities if i.name.startswith("app-")}
    workload_principals = {i.outputs["principalId"] for i in identities} - apps
    ai_scopes = set(accounts.values())
    grants: dict[str, set[tuple[str, str]]] = {}
    for g in plan.of_type("azure-native:authorization:RoleAssignment"):
        if g.props["scope"] in ai_scopes:
            grants.setdefault(g.props["principalId"], set()).add(
                (g.props["scope"], g.props["roleDefinitionId"].rsplit("/", 1)[1])
            )
    expected = {
        (accounts["AIServices"], ROLES["Cognitive Services OpenAI User"]),
        (accounts["ContentSafety"], ROLES["Cognitive Services User"]),
    }
    assert not workload_principals & set(grants)
    assert apps and not apps & set(grants)
    [endpoint] = plan.of_type("azure-native:machinelearningservices:OnlineEndpoint")
    assert grants[endpoint.outputs["identity"]["principalId"]] == expected
    # the AI gateway calls the OpenAI deployments with its identity (OpenAI User on the account) and screens
    # prompts to the vLLM models with Content Safety (Cognitive Services User on that account): the same two roles
    [gateway] = plan.of_type("azure-native:apimanagement:ApiManagementService")
    assert grants[gateway.outputs["identity"]["principalId"]] == expected
    assert len(grants) == 2  # the endpoint and the gateway, nobody else


def test_prod_alerts_cover_openai_and_every_endpoint(plans):
    plan = plans("prod")
    action_group = plan.outputs["action_group_id"]
    alerts = [
        a for a in plan.of_type("azure-native:monitor:MetricAlert") if a.name.startswith(("openai-alert-", "ml-"))
    ]
    metrics = {a.props["criteria"]["allOf"][0]["metricName"] for a in alerts}
    assert {
        "AzureOpenAITimeToResponse",
        "AzureOpenAIRequests",
        "TokenTransaction",
        "RequestLatency_P99",
        "RequestsPerMinute",
    } <= metrics
    assert all(a.props["actions"] == [{"actionGroupId": action_group}] for a in alerts)


def test_capacity_above_the_cap_is_a_config_error_naming_the_key(project_dir):
    config = load_environment("dev", project_dir)
    tight = config.model_copy(update={"cost": config.cost.model_copy(update={"max_openai_capacity": 10})})
    with pytest.raises(ConfigError) as err:
        plan_config(tight)
    assert "openai.deployments" in str(err.value)
    assert "cost.max_openai_capacity" in str(err.value)
    assert err.value.exit_code == 2


def test_config_accepts_a_dark_first_rollout_but_not_a_partial_split():
    from pydantic import ValidationError

    from llmops_infra.config.models import MlEndpoint

    dark = MlEndpoint(name="chat-flow", deployments=[{"name": "blue", "flow_version": "1", "traffic_percent": 0}])
    assert dark.deployments[0].traffic_percent == 0
    with pytest.raises(ValidationError, match="sums to 40"):
        MlEndpoint(name="chat-flow", deployments=[{"name": "blue", "flow_version": "1", "traffic_percent": 40}])


def test_ml_endpoints_with_a_registry_below_premium_fail_at_config_time(tmp_path, project_dir):
    import shutil

    from typer.testing import CliRunner

    from llmops_infra.cli.app import app

    shutil.copytree(project_dir / "environments", tmp_path / "environments")
    dev = tmp_path / "environments" / "dev.yaml"
    dev.write_text(dev.read_text() + "registry:\n  sku: Standard\n")
    with pytest.raises(ConfigError) as err:
        load_environment("dev", tmp_path)
    assert "registry.sku is Standard" in str(err.value)
    assert "Set registry.sku: Premium" in str(err.value)
    result = CliRunner().invoke(app, ["validate", "dev", "--project-dir", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "registry.sku" in result.output
    assert "Traceback" not in result.output


def test_a_registry_below_premium_is_fine_without_ml_endpoints(tmp_path, project_dir):
    import shutil

    shutil.copytree(project_dir / "environments", tmp_path / "environments")
    dev = tmp_path / "environments" / "dev.yaml"
    text = dev.read_text().replace("models: [embeddings, chat-flow]", "models: [embeddings]")  # the search team's
    dev.write_text(text + "registry:\n  sku: Standard\nml:\n  endpoints: []\n")
    config = load_environment("dev", tmp_path)
    assert (config.registry.sku, config.ml.endpoints) == ("Standard", [])


@pytest.mark.parametrize("env", ENVS)
def test_every_shipped_environment_with_ml_endpoints_has_a_premium_registry(plans, env):
    plan = plans(env)
    assert plan.of_type("azure-native:machinelearningservices:OnlineEndpoint")
    [registry] = plan.of_type("azure-native:containerregistry:Registry")
    assert registry.props["sku"]["name"] == "Premium"
    assert registry.props["publicNetworkAccess"] == "Disabled"


@pytest.mark.parametrize("env", ENVS)
def test_traffic_templates_carry_the_endpoint_tags(plans, env):
    plan = plans(env)
    endpoints = {
        e.props["endpointName"]: e for e in plan.of_type("azure-native:machinelearningservices:OnlineEndpoint")
    }
    templates = _traffic_templates(plan)
    assert set(templates) == set(endpoints)
    for name, (deployment, resource) in templates.items():
        # A PUT without tags would strip the ones the stack transformation gave the endpoint.
        assert resource["tags"] == endpoints[name].props["tags"]
        assert resource["tags"]["environment"] == env
        assert deployment.props["tags"]["environment"] == env
