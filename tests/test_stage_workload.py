"""stacks/stage_workload: the workload stack from the platform's outputs, on a given cluster; rollout
headroom per pool, and Key Vault roles per secret.

Under mocks. The `k8s` tier (tests/test_k8s_deploy.py) deploys the same program against a real
API server, with the same platform outputs (tests/k8s_programs.py: PLATFORM_OUTPUTS).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from k8s_programs import PLATFORM_OUTPUTS

from llmops_infra.components.node_pools import GpuPoolSpec
from llmops_infra.components.roles import ROLES
from llmops_infra.config.loader import load_environment
from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.offline.mocks import AzureMocks
from llmops_infra.offline.synth import synthesize
from llmops_infra.plan import Plan
from llmops_infra.stacks.estate import WORKLOAD_PROJECT, build_estate, program_for
from llmops_infra.stacks.platform_outputs import PlatformOutputs
from llmops_infra.stacks.stage_compute import pool_spec
from llmops_infra.stacks.stage_workload import rollout_surge, secret_grants

KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\n"


class RecordingMocks(AzureMocks):
    """Remembers the invokes the program made (Azure is asked for nothing with a kubeconfig)."""

    def __init__(self, config: EnvironmentConfig) -> None:
        super().__init__(config.azure.subscription_id, config.azure.tenant_id, config.azure.location)
        self.calls: list[str] = []

    def call(self, args: Any) -> Any:
        self.calls.append(args.token)
        return super().call(args)


def _workload(config: EnvironmentConfig, mocks: AzureMocks, kubeconfig: str | None) -> Plan:
    platform = PlatformOutputs.from_values(PLATFORM_OUTPUTS)
    program = program_for(config, "workload", platform, kubeconfig=kubeconfig, kubernetes_only=True)
    return synthesize(program, environment=config.name, project=WORKLOAD_PROJECT, mocks=mocks)


def _manifest(plan: Plan, kind: str) -> dict[str, Any]:
    [found] = [
        r.props for r in plan.custom_resources() if r.type.startswith("kubernetes:") and r.props.get("kind") == kind
    ]
    return found


def test_a_given_kubeconfig_reaches_the_cluster_and_azure_is_asked_nothing(project_dir):
    config = load_environment("dev", project_dir)
    mocks = RecordingMocks(config)
    plan = _workload(config, mocks, KUBECONFIG)
    assert mocks.calls == []
    [provider] = plan.of_type("pulumi:providers:kubernetes")
    assert provider.props["kubeconfig"] == "[secret]"
    made = {r.type for r in plan.custom_resources() if r.type != "pulumi:providers:kubernetes"}
    assert made and all(t.startswith("kubernetes:") for t in made), made


def test_without_a_kubeconfig_the_clusters_user_credentials_are_read(project_dir):
    config = load_environment("dev", project_dir)
    mocks = RecordingMocks(config)
    _workload(config, mocks, None)
    assert mocks.calls == ["azure-native:containerservice:listManagedClusterUserCredentials"]


def test_the_platform_outputs_reach_the_objects(project_dir):
    config = load_environment("dev", project_dir)
    plan = _workload(config, RecordingMocks(config), KUBECONFIG)
    accounts = {
        r.props["metadata"]["name"]: r.props["metadata"]["annotations"]["azure.workload.identity/client-id"]
        for r in plan.custom_resources()
        if r.props.get("kind") == "ServiceAccount" and r.props["metadata"].get("namespace") == "qwen-3b"
    }
    assert accounts == {
        "vllm": PLATFORM_OUTPUTS["inference_client_id"],
        "model-loader": PLATFORM_OUTPUTS["model_loader_client_id"],
    }
    image = _manifest(plan, "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.startswith(PLATFORM_OUTPUTS["registry_login_server"] + "/")
    assert (
        _manifest(plan, "TriggerAuthentication")["spec"]["podIdentity"]["identityId"]
        == (PLATFORM_OUTPUTS["keda_client_id"])
    )
    classes = {
        r.props["metadata"]["name"]: r.props["spec"]["parameters"]
        for r in plan.custom_resources()
        if r.props.get("kind") == "SecretProviderClass"
    }
    # The serving pods read the API key as the inference identity; the staging job the hub token as the loader.
    assert classes["qwen-3b-api-key"]["keyvaultName"] == PLATFORM_OUTPUTS["key_vault_name"]
    assert classes["qwen-3b-api-key"]["clientID"] == PLATFORM_OUTPUTS["inference_client_id"]
    assert classes["qwen-3b-weights-hub"]["clientID"] == PLATFORM_OUTPUTS["model_loader_client_id"]
    init = _manifest(plan, "Deployment")["spec"]["template"]["spec"]["initContainers"][0]
    env = {e["name"]: e["value"] for e in init["env"]}
    assert (env["STORAGE_ACCOUNT"], env["CONTAINER"]) == (
        PLATFORM_OUTPUTS["model_storage_account_name"],
        PLATFORM_OUTPUTS["models_container"],
    )
    trigger = _manifest(plan, "ScaledObject")["spec"]["triggers"][0]["metadata"]
    assert trigger["serverAddress"] == PLATFORM_OUTPUTS["prometheus_query_endpoint"]


def test_kubernetes_only_leaves_out_the_azure_grants_and_nothing_else(project_dir):
    config = load_environment("dev", project_dir)
    platform = PlatformOutputs.from_values(PLATFORM_OUTPUTS)

    def types(kubernetes_only: bool) -> list[str]:
        program = program_for(config, "workload", platform, kubeconfig=KUBECONFIG, kubernetes_only=kubernetes_only)
        plan = synthesize(program, environment=config.name, project=WORKLOAD_PROJECT, mocks=RecordingMocks(config))
        return sorted(r.type for r in plan.custom_resources())

    full, kubernetes = types(False), types(True)
    azure = [t for t in full if not t.startswith(("kubernetes:", "pulumi:"))]
    # The API key's and the hub token's readers, and the ML deployments with the versions they serve.
    assert sorted(azure) == sorted(
        ["azure-native:authorization:RoleAssignment"] * 2
        + [
            "azure-native:machinelearningservices:EnvironmentVersion",
            "azure-native:machinelearningservices:ModelVersion",
            "azure-native:machinelearningservices:OnlineDeployment",
            "azure-native:resources:Deployment",
        ]
    )
    assert sorted(t for t in full if t not in azure) == kubernetes
    with pytest.raises(ValueError, match="for the workload stack"):
        build_estate(config, "platform", kubernetes_only=True)


def test_a_kubeconfig_is_for_the_workload_stack_only(project_dir):
    config = load_environment("dev", project_dir)
    with pytest.raises(ValueError, match="a kubeconfig is for the workload stack"):
        build_estate(config, "platform", kubeconfig=KUBECONFIG)


def test_platform_outputs_missing_a_name_are_refused_by_name():
    with pytest.raises(KeyError, match="key_vault_name"):
        PlatformOutputs.from_values({k: v for k, v in PLATFORM_OUTPUTS.items() if k != "key_vault_name"})


REVISION = "0123456789abcdef0123456789abcdef01234567"


def _config(project_dir, env: str, pools: list[dict] | None = None, models: list[dict] | None = None):
    data = load_environment(env, project_dir).model_dump(mode="json")
    if pools is not None:
        data["cluster"]["gpu_pools"] = pools
        data["cost"]["allowed_gpu_sizes"] = sorted({p["vm_size"] for p in pools})
        data["cost"]["max_gpu_nodes"] = 100
    if models is not None:
        template = data["inference"]["models"][0]
        data["inference"]["models"] = [{**template, **m} for m in models]
        data["teams"] = []  # teams name the shipped models
    return EnvironmentConfig.model_validate(data)


def _surge(config: EnvironmentConfig) -> dict[str, bool]:
    return rollout_surge(config, {p.name: pool_spec(p) for p in config.cluster.gpu_pools})


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_shipped_pools_are_full_at_max_replicas_so_rollouts_replace_in_place(project_dir, env):
    """Max replicas fill the pool's max nodes: a surge pod would wait for a GPU forever."""
    config = load_environment(env, project_dir)
    assert set(_surge(config).values()) == {False}


def test_headroom_for_one_more_replica_of_every_model_allows_a_surge(project_dir):
    pool = {"name": "gpua100", "vm_size": "Standard_NC96ads_A100_v4", "min_nodes": 0, "max_nodes": 2}
    one = {"name": "a", "gpu_pool": "gpua100", "gpus_per_replica": 1, "min_replicas": 1, "max_replicas": 3}
    two = {"name": "b", "gpu_pool": "gpua100", "gpus_per_replica": 2, "min_replicas": 1, "max_replicas": 1}
    # 8 GPUs; at full scale 3x1 + 1x2 = 5; one more of each: 5 + 1 + 2 = 8.
    assert _surge(_config(project_dir, "prod", [pool], [one, two])) == {"a": True, "b": True}
    # One more replica allowed for a leaves no GPU for the surge of both.
    assert _surge(_config(project_dir, "prod", [pool], [{**one, "max_replicas": 4}, two])) == {"a": False, "b": False}


def test_replicas_that_do_not_pack_into_a_node_get_no_surge(project_dir):
    """Three GPUs per replica on four-GPU nodes: GPU counts overstate what fits (a replica never spans nodes)."""
    pool = {"name": "gpua100", "vm_size": "Standard_NC96ads_A100_v4", "min_nodes": 0, "max_nodes": 4}
    model = {"name": "a", "gpu_pool": "gpua100", "gpus_per_replica": 3, "min_replicas": 1, "max_replicas": 1}
    assert _surge(_config(project_dir, "prod", [pool], [model])) == {"a": False}


def test_unknown_vm_size_gets_no_surge(project_dir):
    config = load_environment("dev", project_dir)
    pools = {"gput4": GpuPoolSpec(name="gput4", vm_size="Standard_NC999_future", max_nodes=50)}
    assert rollout_surge(config, pools) == {"qwen-3b": False}


@pulumi.runtime.test
def test_each_identity_reads_only_its_secrets(project_dir):
    config = _config(
        project_dir,
        "dev",
        models=[
            {"name": "a", "hub_token_secret": "hf-hub-token"},
            {"name": "b", "hub_token_secret": "hf-hub-token", "revision": REVISION},
            {"name": "c", "hub_token_secret": None},
        ],
    )
    platform = PlatformOutputs.from_values({name: f"<{name}>" for name in PlatformOutputs.names()})
    grants = secret_grants(config, platform)
    assert [(g.key, g.secret_name) for g in grants] == [
        ("inference-api-key", "vllm-api-key"),
        ("loader-hf-hub-token", "hf-hub-token"),  # one grant however many models share the token
    ]

    def check(principals: list[str]) -> None:
        assert principals == ["<inference_principal_id>", "<model_loader_principal_id>"]

    return pulumi.Output.all(*(g.principal_id for g in grants)).apply(check)


def test_shipped_secret_roles_name_one_secret_each(plans):
    plan = plans("staging")
    [vault] = plan.of_type("azure-native:keyvault:Vault")
    scopes = {
        a.name: a.props["scope"]
        for a in plan.of_type("azure-native:authorization:RoleAssignment")
        if a.name.startswith("inference-secrets-")
    }
    assert scopes == {
        "inference-secrets-inference-api-key": f"{vault.outputs['id']}/secrets/vllm-api-key",
        "inference-secrets-loader-hf-hub-token": f"{vault.outputs['id']}/secrets/hf-hub-token",
    }
    # Created in the workload stack (after the bootstrap seeded the secrets), before the pods that mount them.
    workload = [r for r in plan.stacks()["workload"] if r.type == "azure-native:authorization:RoleAssignment"]
    assert {r.name for r in workload} == set(scopes)
    [deployment] = plan.of_type("kubernetes:apps/v1:Deployment")
    [job] = plan.of_type("kubernetes:batch/v1:Job")
    # A dependency on the component is one on each of its role assignments.
    for assignment in workload:
        assert assignment.urn in deployment.dependencies and assignment.urn in job.dependencies
    for assignment in workload:
        assert assignment.props["roleDefinitionId"].endswith(ROLES["Key Vault Secrets User"])
