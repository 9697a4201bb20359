"""The compute stages in the shipped environments: wiring, grants, exports, config errors."""

from __future__ import annotations

import itertools
import shutil

import pytest
from pydantic import ValidationError

from llmops_infra.components.gpu_sizes import GPU_SIZES, WEIGHTS_HEADROOM
from llmops_infra.components.roles import ROLES
from llmops_infra.config.loader import load_environment
from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.errors import ConfigError
from llmops_infra.offline.planning import plan_config
from llmops_infra.offline.policy_check import check_config

REPO = __import__("pathlib").Path(__file__).resolve().parent.parent


def _by_name(plan, type_):
    return {r.name: r for r in plan.of_type(type_)}


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_exports_cluster_issuer_and_login_server(plans, env):
    plan = plans(env)
    [cluster] = plan.of_type("azure-native:containerservice:ManagedCluster")
    [registry] = plan.of_type("azure-native:containerregistry:Registry")
    assert plan.outputs["cluster_name"] == cluster.props["resourceName"]
    assert plan.outputs["oidc_issuer_url"] == cluster.outputs["oidcIssuerProfile"]["issuerURL"]
    assert plan.outputs["registry_login_server"] == registry.outputs["loginServer"]
    assert not [key for key in plan.outputs if "kube" in key.lower()]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_inference_identity_reads_model_blobs_and_chatops_has_no_cluster_role(plans, env):
    plan = plans(env)
    identities = _by_name(plan, "azure-native:managedidentity:UserAssignedIdentity")
    inference = identities["identity-inference"].outputs["principalId"]
    chatops = identities["identity-chatops"].outputs["principalId"]
    loader = identities["model_loader-identity"].outputs["principalId"]
    # the model account (the agents' storage account, without a container, is the agent setup's)
    [account] = [a for a in plan.of_type("azure-native:storage:StorageAccount") if a.name == "model_storage-st"]
    [container] = plan.of_type("azure-native:storage:BlobContainer")
    [cluster] = plan.of_type("azure-native:containerservice:ManagedCluster")
    grants = {
        (a.props["principalId"], a.props["roleDefinitionId"].rsplit("/", 1)[-1], a.props["scope"])
        for a in plan.of_type("azure-native:authorization:RoleAssignment")
    }
    # The container, not the account (which is also the ML workspace's default storage).
    assert container.outputs["id"] == f"{account.outputs['id']}/blobServices/default/containers/models"
    assert (inference, ROLES["Storage Blob Data Reader"], container.outputs["id"]) in grants
    assert (loader, ROLES["Storage Blob Data Contributor"], container.outputs["id"]) in grants
    assert not [g for g in grants if g[2] == account.outputs["id"]]
    # chatops reads monitoring only (stage_gateway): no role on the cluster any more
    assert not [g for g in grants if g[0] == chatops and g[2] == cluster.outputs["id"]]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_each_model_namespace_stages_weights_as_the_loader(plans, env):
    plan = plans(env)
    config = load_environment(env, REPO)
    credentials = {
        r.props["subject"]: r
        for r in plan.of_type("azure-native:managedidentity:FederatedIdentityCredential")
        if r.name.startswith("model_loader-")
    }
    assert set(credentials) == {f"system:serviceaccount:{m.name}:model-loader" for m in config.inference.models}
    identities = _by_name(plan, "azure-native:managedidentity:UserAssignedIdentity")
    assert plan.outputs["model_loader_client_id"] == identities["model_loader-identity"].outputs["clientId"]
    assert plan.outputs["models_container"] == "models"


def test_pipeline_principal_administers_this_cluster_only(plans):
    plan = plans("prod")
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_identity import deployer_principal

    principals = {
        a.props["principalId"]: a
        for a in plan.of_type("azure-native:authorization:RoleAssignment")
        if a.props["roleDefinitionId"].endswith(ROLES["Azure Kubernetes Service RBAC Cluster Admin"])
    }
    [cluster] = plan.of_type("azure-native:containerservice:ManagedCluster")
    assert len(principals) == 1
    [grant] = principals.values()
    assert grant.props["scope"] == cluster.outputs["id"]
    assert grant.props["principalId"] == deployer_principal("prod")  # bootstrap's deployer, looked up


def test_pipeline_principal_may_import_into_this_registry_only(plans):
    from test_identity import deployer_principal

    plan = plans("prod")
    importer = ROLES["Container Registry Data Importer and Data Reader"]
    grants = [
        a
        for a in plan.of_type("azure-native:authorization:RoleAssignment")
        if a.props["roleDefinitionId"].endswith(importer)
    ]
    [registry] = plan.of_type("azure-native:containerregistry:Registry")
    assert [(g.props["scope"], g.props["principalId"]) for g in grants] == [
        (registry.outputs["id"], deployer_principal("prod"))
    ]


def test_dev_and_prod_differ_only_through_config(plans):
    dev, prod = plans("dev"), plans("prod")
    [dev_acr], [prod_acr] = (p.of_type("azure-native:containerregistry:Registry") for p in (dev, prod))
    # Both Premium: the ML workspace's managed network needs the registry's private endpoint.
    assert (dev_acr.props["sku"]["name"], prod_acr.props["sku"]["name"]) == ("Premium", "Premium")
    assert prod_acr.props["publicNetworkAccess"] == "Disabled"
    [dev_aks], [prod_aks] = (p.of_type("azure-native:containerservice:ManagedCluster") for p in (dev, prod))
    [runner_ip] = dev.of_type("azure-native:network:PublicIPAddress")  # the CI runners' egress (dev is public)
    assert dev_aks.props["apiServerAccessProfile"] == {
        "authorizedIPRanges": ["203.0.113.0/24", f"{runner_ip.outputs['ipAddress']}/32"]
    }
    assert prod_aks.props["apiServerAccessProfile"]["enablePrivateCluster"] is True
    [dev_pool] = dev.of_type("azure-native:containerservice:AgentPool")
    assert dev_pool.props["scaleSetPriority"] == "Spot"
    assert dev_pool.props["minCount"] == 0


def test_every_kubernetes_resource_uses_the_cluster_provider(plans):
    plan = plans("dev")
    [provider] = plan.of_type("pulumi:providers:kubernetes")
    assert provider.props["kubeconfig"] == "[secret]"
    k8s_resources = [r for r in plan.resources if r.type.startswith("kubernetes:")]
    assert k8s_resources
    assert {r.provider for r in k8s_resources} == {provider.urn}


def _with_model(config, **changes):
    """The config as a plain dict with the first model changed, validated again from scratch."""
    data = config.model_dump(mode="json")
    data["inference"]["models"][0].update(changes)
    return EnvironmentConfig.model_validate(data)


def test_zero_min_replicas_is_allowed_and_scales_to_zero(project_dir):
    config = _with_model(load_environment("dev", project_dir), min_replicas=0)
    plan = plan_config(config)
    [scaled] = plan.of_type("kubernetes:keda.sh/v1alpha1:ScaledObject")
    assert scaled.props["spec"]["minReplicaCount"] == 0
    [pdb] = plan.of_type("kubernetes:policy/v1:PodDisruptionBudget")
    assert pdb.props["spec"]["maxUnavailable"] == 1 and "minAvailable" not in pdb.props["spec"]


def test_active_hours_reach_the_scaled_object_and_are_bounded(project_dir):
    config = load_environment("dev", project_dir)
    window = {"timezone": "Europe/Paris", "start": "0 8 * * 1-5", "end": "0 19 * * 1-5"}
    plan = plan_config(_with_model(config, min_replicas=0, active_hours=window))
    [scaled] = plan.of_type("kubernetes:keda.sh/v1alpha1:ScaledObject")
    assert scaled.props["spec"]["triggers"][1] == {"type": "cron", "metadata": {**window, "desiredReplicas": "1"}}
    with pytest.raises(ValidationError, match=r"active_hours.replicas \(5\) exceeds max_replicas \(2\)"):
        _with_model(config, active_hours={**window, "replicas": 5})
    with pytest.raises(ValidationError, match="start"):
        _with_model(config, active_hours={**window, "start": "at eight"})


def test_scale_to_zero_in_prod_still_fails_k8s_10(project_dir):
    config = _with_model(load_environment("prod", project_dir), min_replicas=0)
    result = check_config(config)
    assert [v.rule_id for v in result.mandatory] == ["K8S-10"]
    assert "runs 0 replica(s)" in result.mandatory[0].message


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"gpus_per_replica": 2}, "gpus_per_replica is 2 but a Standard_NC4as_T4_v3 node has 1 GPU"),
        ({"weights_gb": 16}, "weights_gb 16 needs 19.2 GB .* hold 16 GB"),
        ({"dtype": "bfloat16"}, "dtype bfloat16 is not supported by the T4 GPUs"),
    ],
)
def test_models_that_cannot_fit_their_pool_fail_validation(project_dir, changes, message):
    with pytest.raises(ValidationError, match=f"inference.models.qwen-3b on pool 'gput4': {message}"):
        _with_model(load_environment("dev", project_dir), **changes)


def test_validate_reports_a_model_too_big_for_its_gpu_with_file_and_key(project_dir, tmp_path):
    shutil.copytree(project_dir / "environments", tmp_path / "environments")
    dev = tmp_path / "environments" / "dev.yaml"
    dev.write_text(
        dev.read_text()
        + """inference:
  models:
    - name: llama-8b
      model: meta-llama/Llama-3.1-8B-Instruct
      revision: 0123456789abcdef0123456789abcdef01234567
      image_digest: sha256:450c2e350aa0008a552a20d2b007d5986ddf253dc34580fc714a7b2fe4c4b688
      gpu_pool: gput4
      weights_gb: 16
"""
    )
    with pytest.raises(ConfigError, match=r"inference.models.llama-8b on pool 'gput4': weights_gb 16") as caught:
        load_environment("dev", tmp_path)
    assert caught.value.file == "environments/dev.yaml"


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_shipped_models_fit_their_gpus(project_dir, env):
    config = load_environment(env, project_dir)
    pools = {p.name: p.vm_size for p in config.cluster.gpu_pools}
    for model in config.inference.models:
        assert model.weights_gb is not None, f"{env}: {model.name} states no weights_gb"
        size = GPU_SIZES[pools[model.gpu_pool]]
        assert model.weights_gb * WEIGHTS_HEADROOM <= size.gpu_memory_gb * model.gpus_per_replica
        assert not (size.accelerator == "T4" and model.dtype == "bfloat16")


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_device_plugin_mode_passes_the_mandatory_policies(project_dir, env):
    config = load_environment(env, project_dir)
    config = config.model_copy(update={"cluster": config.cluster.model_copy(update={"gpu_driver": "aks"})})
    plan = plan_config(config)
    agents = {d.props["metadata"]["name"] for d in plan.of_type("kubernetes:apps/v1:DaemonSet")}
    assert agents == {"nvidia-device-plugin", "nvidia-dcgm-exporter"}
    result = check_config(config, plan)
    assert result.mandatory == []
    assert [v for v in result.advisory if v.resource_type == "kubernetes:apps/v1:DaemonSet"] == []
    assert not [n for n in result.not_evaluated if "DaemonSet" in str(n)]


def test_gateway_namespace_exists_once_with_restricted_pod_security(plans):
    plan = plans("prod")
    gateways = [n for n in plan.of_type("kubernetes:core/v1:Namespace") if n.props["metadata"]["name"] == "gateway"]
    assert len(gateways) == 1
    labels = gateways[0].props["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["pod-security.kubernetes.io/audit"] == "restricted"
    policies = [
        p
        for p in plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if p.props["metadata"]["namespace"] == "gateway"
    ]
    assert policies == []


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_keda_identity_reads_the_monitor_workspace_only(plans, env):
    plan = plans(env)
    [cluster] = plan.of_type("azure-native:containerservice:ManagedCluster")
    assert cluster.props["workloadAutoScalerProfile"] == {"keda": {"enabled": True}}
    identity = _by_name(plan, "azure-native:managedidentity:UserAssignedIdentity")["keda-identity"]
    grants = [
        (a.props["roleDefinitionId"].rsplit("/", 1)[-1], a.props["scope"])
        for a in plan.of_type("azure-native:authorization:RoleAssignment")
        if a.props["principalId"] == identity.outputs["principalId"]
    ]
    [workspace] = plan.of_type("azure-native:monitor:AzureMonitorWorkspace")
    assert grants == [(ROLES["Monitoring Data Reader"], workspace.outputs["id"])]
    fic = _by_name(plan, "azure-native:managedidentity:FederatedIdentityCredential")["keda-fic"]
    assert fic.props["subject"] == "system:serviceaccount:kube-system:keda-operator"
    assert fic.props["issuer"] == cluster.outputs["oidcIssuerProfile"]["issuerURL"]
    endpoint = workspace.outputs["metrics"]["prometheusQueryEndpoint"]
    for auth in plan.of_type("kubernetes:keda.sh/v1alpha1:TriggerAuthentication"):
        assert auth.props["spec"]["podIdentity"]["identityId"] == identity.outputs["clientId"]
    scaled = plan.of_type("kubernetes:keda.sh/v1alpha1:ScaledObject")
    assert len(scaled) == len(load_environment_models(plan))
    assert {s.props["spec"]["triggers"][0]["metadata"]["serverAddress"] for s in scaled} == {endpoint}
    assert plan.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler") == []


def load_environment_models(plan) -> list[str]:
    return [d.props["metadata"]["name"] for d in plan.of_type("kubernetes:apps/v1:Deployment")]


def test_each_model_service_account_is_federated_to_the_inference_identity_in_the_platform(plans):
    """The Azure half of workload identity lives in the platform stack, one write at a time."""
    plan = plans("prod")
    platform = {r.urn for r in plan.stacks()["platform"]}
    credentials = [
        r
        for r in plan.of_type("azure-native:managedidentity:FederatedIdentityCredential")
        if r.props["subject"].endswith(":vllm")
    ]
    assert credentials and all(c.urn in platform for c in credentials)
    for credential in credentials:
        namespace = credential.props["subject"].split(":")[2]
        assert credential.name == f"{namespace}-fic"
        assert credential.props["audiences"] == ["api://AzureADTokenExchange"]
        assert credential.props["resourceName"].startswith("id-")
    # chained: each after the previous one on the same identity
    for before, after in itertools.pairwise(credentials):
        assert before.urn in after.dependencies
