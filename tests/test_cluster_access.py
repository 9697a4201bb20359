"""ClusterAccess: the workload stack's Kubernetes provider, from the cluster's user credentials."""

from __future__ import annotations

import pulumi

from llmops_infra.components.cluster_access import ClusterAccess, ClusterAccessArgs
from llmops_infra.offline.mocks import AzureMocks
from llmops_infra.offline.synth import synthesize

SUB = "11111111-1111-4111-8111-111111111111"
TENANT = "22222222-2222-4222-8222-222222222222"


class RecordingMocks(AzureMocks):
    """Remembers which invokes the program made (to prove admin credentials are never read)."""

    def __init__(self) -> None:
        super().__init__(SUB, TENANT, "eastus")
        self.calls: list[str] = []

    def call(self, args):
        self.calls.append(args.token)
        return super().call(args)


def _plan(mocks, **overrides):
    def program() -> None:
        ClusterAccess("cluster", ClusterAccessArgs(resource_group_name="rg", cluster_name="aks-1", **overrides))

    return synthesize(program, environment="test", project="llmops-workload", mocks=mocks)


def test_provider_uses_user_credentials_as_a_secret():
    mocks = RecordingMocks()
    plan = _plan(mocks)
    [provider] = plan.of_type("pulumi:providers:kubernetes")
    assert provider.props["kubeconfig"] == "[secret]"
    assert provider.props["enableServerSideApply"] == "true"
    assert provider.props["deleteUnreachable"] == "false"
    assert "azure-native:containerservice:listManagedClusterUserCredentials" in mocks.calls
    assert not [c for c in mocks.calls if "AdminCredentials" in c]
    assert plan.outputs == {}


def test_a_given_kubeconfig_is_used_as_a_secret_and_azure_is_not_asked():
    mocks = RecordingMocks()
    plan = _plan(mocks, kubeconfig=pulumi.Output.from_input("apiVersion: v1"))
    [provider] = plan.of_type("pulumi:providers:kubernetes")
    assert provider.props["kubeconfig"] == "[secret]"
    assert mocks.calls == []
