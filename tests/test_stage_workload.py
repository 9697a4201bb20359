"""stacks/stage_workload: the workload stack from the platform's outputs, on a given cluster.

Under mocks. The `k8s` tier (tests/test_k8s_deploy.py) deploys the same program against a real
API server, with the same platform outputs (tests/k8s_programs.py: PLATFORM_OUTPUTS).
"""

from __future__ import annotations

from typing import Any

import pytest
from k8s_programs import PLATFORM_OUTPUTS

from llmops_infra.config.loader import load_environment
from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.offline.mocks import AzureMocks
from llmops_infra.offline.synth import synthesize
from llmops_infra.plan import Plan
from llmops_infra.stacks.estate import WORKLOAD_PROJECT, build_estate, program_for
from llmops_infra.stacks.platform_outputs import PlatformOutputs

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
    program = program_for(config, "workload", platform, kubeconfig=kubeconfig)
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
    account = _manifest(plan, "ServiceAccount")
    assert (
        account["metadata"]["annotations"]["azure.workload.identity/client-id"]
        == PLATFORM_OUTPUTS["inference_client_id"]
    )
    image = _manifest(plan, "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.startswith(PLATFORM_OUTPUTS["registry_login_server"] + "/")
    assert (
        _manifest(plan, "TriggerAuthentication")["spec"]["podIdentity"]["identityId"]
        == (PLATFORM_OUTPUTS["keda_client_id"])
    )
    parameters = _manifest(plan, "SecretProviderClass")["spec"]["parameters"]
    assert parameters["keyvaultName"] == PLATFORM_OUTPUTS["key_vault_name"]
    assert parameters["clientID"] == PLATFORM_OUTPUTS["inference_client_id"]
    trigger = _manifest(plan, "ScaledObject")["spec"]["triggers"][0]["metadata"]
    assert trigger["serverAddress"] == PLATFORM_OUTPUTS["prometheus_query_endpoint"]


def test_a_kubeconfig_is_for_the_workload_stack_only(project_dir):
    config = load_environment("dev", project_dir)
    with pytest.raises(ValueError, match="a kubeconfig is for the workload stack"):
        build_estate(config, "platform", kubeconfig=KUBECONFIG)


def test_platform_outputs_missing_a_name_are_refused_by_name():
    with pytest.raises(KeyError, match="key_vault_name"):
        PlatformOutputs.from_values({k: v for k, v in PLATFORM_OUTPUTS.items() if k != "key_vault_name"})
