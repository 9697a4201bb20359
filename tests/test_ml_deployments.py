"""MlDeployments (workload stack): model and environment versions registered before the deployments
that reference them, request settings, prompt-flow variables, and the traffic split after every slot."""

from __future__ import annotations

from dataclasses import replace

import pytest

from llmops_infra.components.ml_deployments import MlDeployments, MlDeploymentsArgs
from llmops_infra.components.ml_endpoints import FlowEndpoint, FlowSlot, MlEndpoints, MlEndpointsArgs
from llmops_infra.offline.mocks import AzureMocks
from llmops_infra.offline.synth import synthesize

SUB = "11111111-1111-4111-8111-111111111111"
TENANT = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
RG = f"/subscriptions/{SUB}/resourceGroups/rg"
WS_ID = f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/mlw-llmops-dev-eus"
DIGEST = "sha256:" + "12ab" * 16
SLOTS = [
    FlowSlot(name="blue", flow_version="1.4.0", instance_type="Standard_DS3_v2", instance_count=2, traffic_percent=90),
    FlowSlot(
        name="green",
        flow_version="1.5.0",
        instance_type="Standard_F4s_v2",
        instance_count=1,
        traffic_percent=10,
        request_timeout_seconds=120,
        workers=2,
        worker_threads=3,
    ),
]
ONLINE_DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"
ONLINE_ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"
MODEL_VERSION = "azure-native:machinelearningservices:ModelVersion"
ENVIRONMENT_VERSION = "azure-native:machinelearningservices:EnvironmentVersion"
TEMPLATE_DEPLOYMENT = "azure-native:resources:Deployment"


def _endpoints_args(endpoints: list[FlowEndpoint]) -> MlEndpointsArgs:
    return MlEndpointsArgs(
        resource_group_name="rg",
        location="eastus",
        workspace_name="mlw-llmops-dev-eus",
        subscription_id=SUB,
        key_vault_id=f"{RG}/kv",
        storage_account_id=f"{RG}/st",
        container_registry_id=f"{RG}/cr",
        app_insights_id=f"{RG}/appi",
        log_analytics_workspace_id=f"{RG}/log",
        subnet_id=f"{RG}/pe",
        dns_zone_ids=[f"{RG}/z1", f"{RG}/z2"],
        allowed_instance_types=["Standard_DS3_v2", "Standard_F4s_v2"],
        max_instances=4,
        endpoints=endpoints,
    )


def _plan(endpoints: list[FlowEndpoint] | None = None, *, with_endpoints: bool = True):
    endpoints = endpoints or [FlowEndpoint(key="chat-flow", endpoint_name="mle-llmops-dev-chat-flow-1a2b", slots=SLOTS)]

    def program():
        if with_endpoints:  # the platform stack's half, for the template-vs-endpoint comparison
            MlEndpoints("ml", _endpoints_args(endpoints))
        MlDeployments(
            "ml",
            MlDeploymentsArgs(
                resource_group_name="rg",
                location="eastus",
                subscription_id=SUB,
                workspace_name="mlw-llmops-dev-eus",
                registry_login_server="crllmops.azurecr.io",
                flow_image_repository="azureml/promptflow/promptflow-runtime",
                flow_image_digest=DIGEST,
                flow_source="azureml://datastores/workspaceblobstore/paths/flows",
                endpoints=endpoints,
            ),
        )

    return synthesize(program, environment="test", project="llmops", mocks=AzureMocks(SUB, TENANT, "eastus"))


@pytest.fixture(scope="module")
def plan():
    return _plan()


def _endpoint_in(template: dict) -> dict:
    [resource] = template["resources"]
    return resource


def test_each_served_flow_version_is_registered_as_a_model_version(plan):
    models = {m.props["version"]: m.props for m in plan.of_type(MODEL_VERSION)}
    assert set(models) == {"1.4.0", "1.5.0"}
    blue = models["1.4.0"]
    assert (blue["name"], blue["workspaceName"]) == ("chat-flow-flow", "mlw-llmops-dev-eus")
    assert blue["properties"]["modelUri"] == "azureml://datastores/workspaceblobstore/paths/flows/chat-flow/1.4.0"
    assert blue["properties"]["modelType"] == "custom_model"
    assert blue["properties"]["properties"] == {"azureml.promptflow.source_flow_id": "chat-flow"}


def test_one_environment_version_per_image_digest_from_the_estate_registry(plan):
    [env] = plan.of_type(ENVIRONMENT_VERSION)
    props = env.props["properties"]
    assert (env.props["name"], env.props["version"]) == ("flow-runtime", "12ab12ab12ab")
    assert props["image"] == f"crllmops.azurecr.io/azureml/promptflow/promptflow-runtime@{DIGEST}"
    assert props["inferenceConfig"] == {
        "livenessRoute": {"path": "/health", "port": 8080},
        "readinessRoute": {"path": "/health", "port": 8080},
        "scoringRoute": {"path": "/score", "port": 8080},
    }


def test_deployments_reference_registered_versions_and_depend_on_them(plan):
    models = {m.props["version"]: m for m in plan.of_type(MODEL_VERSION)}
    [env] = plan.of_type(ENVIRONMENT_VERSION)
    by_name = {d.props["deploymentName"]: d for d in plan.of_type(ONLINE_DEPLOYMENT)}
    blue, green = by_name["blue"], by_name["green"]
    assert blue.props["properties"]["model"] == f"{WS_ID}/models/chat-flow-flow/versions/1.4.0"
    assert blue.props["properties"]["model"] == models["1.4.0"].outputs["id"]
    assert blue.props["properties"]["environmentId"] == env.outputs["id"]
    assert f"{WS_ID}/environments/flow-runtime/versions/12ab12ab12ab" == env.outputs["id"]
    assert {models["1.4.0"].urn, env.urn} <= set(blue.dependencies)
    assert {models["1.5.0"].urn, env.urn, blue.urn} <= set(green.dependencies)  # green also waits for blue


def test_deployments_are_managed_and_carry_request_settings_and_flow_variables(plan):
    by_name = {d.props["deploymentName"]: d.props for d in plan.of_type(ONLINE_DEPLOYMENT)}
    blue, green = by_name["blue"]["properties"], by_name["green"]["properties"]
    assert blue["endpointComputeType"] == "Managed" and blue["scaleSettings"] == {"scaleType": "Default"}
    assert blue["egressPublicNetworkAccess"] == "Disabled" and blue["appInsightsEnabled"] is True
    assert by_name["blue"]["sku"] == {"name": "Default", "capacity": 2}
    assert blue["requestSettings"]["requestTimeout"] == "PT90S"
    assert blue["requestSettings"]["maxConcurrentRequestsPerInstance"] == 4
    assert green["requestSettings"]["requestTimeout"] == "PT120S"
    assert green["requestSettings"]["maxConcurrentRequestsPerInstance"] == 6  # 2 workers x 3 threads
    assert blue["environmentVariables"] == {
        "PROMPTFLOW_RUN_MODE": "serving",
        "PRT_CONFIG_OVERRIDE": (
            f"deployment.subscription_id={SUB},deployment.resource_group=rg,deployment.workspace_name="
            "mlw-llmops-dev-eus,deployment.endpoint_name=mle-llmops-dev-chat-flow-1a2b,deployment.deployment_name=blue"
        ),
        "PROMPTFLOW_WORKER_NUM": "4",
        "PROMPTFLOW_WORKER_THREADS": "1",
    }
    assert green["environmentVariables"]["PRT_CONFIG_OVERRIDE"].endswith("deployment.deployment_name=green")


def test_traffic_is_set_by_an_incremental_template_after_every_slot(plan):
    [traffic] = plan.of_type(TEMPLATE_DEPLOYMENT)
    assert traffic.props["properties"]["mode"] == "Incremental"
    assert traffic.props["deploymentName"] == "mle-llmops-dev-chat-flow-1a2b-traffic"
    slots = plan.of_type(ONLINE_DEPLOYMENT)
    assert len(slots) == 2 and {s.urn for s in slots} <= set(traffic.dependencies)
    resource = _endpoint_in(traffic.props["properties"]["template"])
    assert resource["type"] == "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
    assert resource["name"] == "mlw-llmops-dev-eus/mle-llmops-dev-chat-flow-1a2b"
    assert resource["properties"]["traffic"] == {"blue": 90, "green": 10}


def test_template_declares_the_endpoint_exactly_as_the_platform_resource_does(plan):
    [endpoint] = plan.of_type(ONLINE_ENDPOINT)
    [traffic] = plan.of_type(TEMPLATE_DEPLOYMENT)
    resource = _endpoint_in(traffic.props["properties"]["template"])
    props = dict(resource["properties"])
    del props["traffic"]
    assert props == endpoint.props["properties"]
    assert (resource["location"], resource["kind"], resource["identity"], resource["tags"]) == (
        endpoint.props["location"],
        endpoint.props["kind"],
        endpoint.props["identity"],
        endpoint.props.get("tags", {}),
    )
    assert resource["apiVersion"] == "2025-12-01"


def test_slots_at_zero_percent_are_created_but_left_out_of_the_traffic_map():
    dark_green = [replace(SLOTS[0], traffic_percent=100), replace(SLOTS[1], traffic_percent=0)]
    plan = _plan([FlowEndpoint(key="chat-flow", endpoint_name="mle-x", slots=dark_green)], with_endpoints=False)
    [traffic] = plan.of_type(TEMPLATE_DEPLOYMENT)
    assert _endpoint_in(traffic.props["properties"]["template"])["properties"]["traffic"] == {"blue": 100}
    slots = plan.of_type(ONLINE_DEPLOYMENT)
    assert {d.props["deploymentName"] for d in slots} == {"blue", "green"}
    assert {d.urn for d in slots} <= set(traffic.dependencies)


def test_dark_first_rollout_sets_an_empty_traffic_map_after_the_slot():
    dark = [replace(SLOTS[0], traffic_percent=0)]
    plan = _plan([FlowEndpoint(key="chat-flow", endpoint_name="mle-x", slots=dark)], with_endpoints=False)
    [traffic] = plan.of_type(TEMPLATE_DEPLOYMENT)
    assert _endpoint_in(traffic.props["properties"]["template"])["properties"]["traffic"] == {}
    [slot] = plan.of_type(ONLINE_DEPLOYMENT)
    assert slot.urn in traffic.dependencies


def test_a_version_two_slots_serve_is_registered_once_and_each_endpoint_gets_its_own_template():
    same = [SLOTS[0], replace(SLOTS[1], flow_version="1.4.0")]
    second = FlowEndpoint(key="rag-flow", endpoint_name="mle-rag", slots=[replace(SLOTS[0], traffic_percent=100)])
    plan = _plan([FlowEndpoint(key="chat-flow", endpoint_name="mle-chat", slots=same), second], with_endpoints=False)
    assert sorted((m.props["name"], m.props["version"]) for m in plan.of_type(MODEL_VERSION)) == [
        ("chat-flow-flow", "1.4.0"),
        ("rag-flow-flow", "1.4.0"),
    ]
    assert len(plan.of_type(ENVIRONMENT_VERSION)) == 1
    by_endpoint = {
        _endpoint_in(d.props["properties"]["template"])["name"]: d for d in plan.of_type(TEMPLATE_DEPLOYMENT)
    }
    assert set(by_endpoint) == {"mlw-llmops-dev-eus/mle-chat", "mlw-llmops-dev-eus/mle-rag"}
    rag_slot = next(d for d in plan.of_type(ONLINE_DEPLOYMENT) if d.props["endpointName"] == "mle-rag")
    assert rag_slot.urn in by_endpoint["mlw-llmops-dev-eus/mle-rag"].dependencies
    assert rag_slot.urn not in by_endpoint["mlw-llmops-dev-eus/mle-chat"].dependencies


def test_an_image_not_pinned_by_digest_is_refused():
    with pytest.raises(ValueError, match="pin the image by digest"):
        MlDeploymentsArgs(
            resource_group_name="rg",
            location="eastus",
            subscription_id=SUB,
            workspace_name="w",
            registry_login_server="cr.azurecr.io",
            flow_image_repository="r",
            flow_image_digest="latest",
            flow_source="azureml://x",
        )
