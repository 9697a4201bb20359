"""The compute stages in the shipped environments: wiring, grants, exports, config errors."""

from __future__ import annotations

import pytest

from llmops_infra.components.roles import ROLES
from llmops_infra.stacks.errors import ConfigError
from llmops_infra.stacks.loader import load_environment
from llmops_infra.stacks.planning import plan_config


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
def test_inference_identity_reads_model_blobs_and_chatops_reads_the_cluster(plans, env):
    plan = plans(env)
    identities = _by_name(plan, "azure-native:managedidentity:UserAssignedIdentity")
    inference = identities["identity-inference"].outputs["principalId"]
    chatops = identities["identity-chatops"].outputs["principalId"]
    [account] = plan.of_type("azure-native:storage:StorageAccount")
    [cluster] = plan.of_type("azure-native:containerservice:ManagedCluster")
    grants = {(a.props["principalId"], a.props["roleDefinitionId"].rsplit("/", 1)[-1], a.props["scope"])
              for a in plan.of_type("azure-native:authorization:RoleAssignment")}
    assert (inference, ROLES["Storage Blob Data Reader"], account.outputs["id"]) in grants
    assert (chatops, ROLES["Azure Kubernetes Service RBAC Reader"], cluster.outputs["id"]) in grants


def test_pipeline_principal_administers_this_cluster_only(plans):
    plan = plans("prod")
    pipeline = _by_name(plan, "azure-native:managedidentity:UserAssignedIdentity")["pipeline-identity"]
    principals = {a.props["principalId"]: a for a in plan.of_type("azure-native:authorization:RoleAssignment")
                  if a.props["roleDefinitionId"].endswith(ROLES["Azure Kubernetes Service RBAC Cluster Admin"])}
    [cluster] = plan.of_type("azure-native:containerservice:ManagedCluster")
    assert len(principals) == 1
    [grant] = principals.values()
    assert grant.props["scope"] == cluster.outputs["id"]
    assert grant.props["principalId"] == pipeline.outputs["principalId"]


def test_dev_and_prod_differ_only_through_config(plans):
    dev, prod = plans("dev"), plans("prod")
    [dev_acr], [prod_acr] = (p.of_type("azure-native:containerregistry:Registry") for p in (dev, prod))
    # Both Premium: the ML workspace's managed network needs the registry's private endpoint.
    assert (dev_acr.props["sku"]["name"], prod_acr.props["sku"]["name"]) == ("Premium", "Premium")
    assert prod_acr.props["publicNetworkAccess"] == "Disabled"
    [dev_aks], [prod_aks] = (p.of_type("azure-native:containerservice:ManagedCluster") for p in (dev, prod))
    assert dev_aks.props["apiServerAccessProfile"] == {"authorizedIPRanges": ["203.0.113.0/24"]}
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


def test_zero_min_replicas_is_a_config_error(project_dir):
    config = load_environment("dev", project_dir)
    [model] = config.inference.models
    inference = config.inference.model_copy(update={"models": [model.model_copy(update={"min_replicas": 0})]})
    with pytest.raises(ConfigError, match="inference.models.llama-8b.min_replicas"):
        plan_config(config.model_copy(update={"inference": inference}))


def test_more_gpus_per_replica_than_a_node_has_is_a_config_error(project_dir):
    config = load_environment("dev", project_dir)
    [model] = config.inference.models
    inference = config.inference.model_copy(update={"models": [model.model_copy(update={"gpus_per_replica": 2})]})
    with pytest.raises(ConfigError, match="Standard_NC4as_T4_v3 node of pool 'gput4' has 1 GPU"):
        plan_config(config.model_copy(update={"inference": inference}))
