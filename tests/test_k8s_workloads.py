"""stacks/k8s_workloads: the Kubernetes part of the estate, fed by platform outputs (under mocks).

The `k8s` tier (tests/test_k8s_deploy.py) deploys this against a real API server; here: the seam
builds exactly the Kubernetes objects the estate program builds, and bad platform outputs are
clear errors.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pytest
from k8s_programs import PLATFORM_OUTPUTS
from llmops_infra.config.loader import load_environment
from llmops_infra.errors import ConfigError
from llmops_infra.offline.mocks import AzureMocks
from llmops_infra.offline.synth import synthesize
from llmops_infra.stacks import k8s_workloads
from llmops_infra.stacks.k8s_workloads import PlatformOutputs


def _platform_of(plan, config) -> dict:
    """The values the estate's own components give the workloads, read from its plan."""
    identities = {r.name: r for r in plan.of_type("azure-native:managedidentity:UserAssignedIdentity")}
    [registry] = plan.of_type("azure-native:containerregistry:Registry")
    [vault] = plan.of_type("azure-native:keyvault:Vault")
    [workspace] = plan.of_type("azure-native:monitor:AzureMonitorWorkspace")
    return {
        "tenant_id": config.azure.tenant_id,
        "registry_login_server": registry.outputs["loginServer"],
        "prometheus_query_endpoint": workspace.outputs["metrics"]["prometheusQueryEndpoint"],
        "key_vault_name": vault.outputs["name"],
        "client_ids": {
            name.removeprefix("identity-"): r.outputs["clientId"]
            for name, r in identities.items()
            if name.startswith("identity-")
        },
        "keda_client_id": identities["keda-identity"].outputs["clientId"],
    }


def _workload_plan(config, platform: dict):
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig=pulumi.Output.secret("apiVersion: v1"))
        k8s_workloads.deploy(config, provider, PlatformOutputs.from_mapping(platform))

    mocks = AzureMocks(config.azure.subscription_id, config.azure.tenant_id, config.azure.location)
    return synthesize(program, environment=config.name, project="llmops", mocks=mocks)


def _kubernetes_objects(plan) -> dict[tuple[str, str], dict]:
    return {(r.type, r.name): r.props for r in plan.custom_resources() if r.type.startswith("kubernetes:")}


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_seam_builds_the_estates_kubernetes_objects_exactly(plans, project_dir, env):
    estate = plans(env)
    config = load_environment(env, project_dir)
    workloads = _workload_plan(config, _platform_of(estate, config))
    assert _kubernetes_objects(workloads) == _kubernetes_objects(estate)
    made = {r.type for r in workloads.custom_resources() if not r.type.startswith("pulumi:providers:")}
    assert all(t.startswith("kubernetes:") for t in made), made


def test_platform_outputs_reach_the_objects(project_dir):
    config = load_environment("dev", project_dir)
    objects = _kubernetes_objects(_workload_plan(config, PLATFORM_OUTPUTS))
    [deployment] = [p for (t, _), p in objects.items() if t == "kubernetes:apps/v1:Deployment"]
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.startswith(PLATFORM_OUTPUTS["registry_login_server"] + "/vllm/vllm-openai@sha256:")
    [auth] = [p for (t, _), p in objects.items() if t == "kubernetes:keda.sh/v1alpha1:TriggerAuthentication"]
    assert auth["spec"]["podIdentity"]["identityId"] == PLATFORM_OUTPUTS["keda_client_id"]
    [spc] = [p for (t, _), p in objects.items() if t == "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass"]
    assert spc["spec"]["parameters"]["keyvaultName"] == PLATFORM_OUTPUTS["key_vault_name"]
    assert spc["spec"]["parameters"]["clientID"] == PLATFORM_OUTPUTS["client_ids"]["inference"]


def test_missing_and_unknown_platform_outputs_are_named():
    partial = {k: v for k, v in PLATFORM_OUTPUTS.items() if k != "registry_login_server"}
    with pytest.raises(ConfigError, match="missing registry_login_server"):
        PlatformOutputs.from_mapping(partial)
    with pytest.raises(ConfigError, match=r"unknown key.*registry_url"):
        PlatformOutputs.from_mapping({**PLATFORM_OUTPUTS, "registry_url": "x"})


@pytest.mark.parametrize(
    ("drop", "message"),
    [
        ({"client_ids": {}}, "no 'inference' identity"),
        ({"keda_client_id": None}, "no KEDA identity"),
        ({"key_vault_name": None}, "exports no key_vault_name"),
    ],
)
def test_models_without_their_platform_inputs_are_config_errors(project_dir, drop, message):
    config = load_environment("dev", project_dir)
    with pytest.raises(ConfigError, match=message):
        _workload_plan(config, {**PLATFORM_OUTPUTS, **drop})
