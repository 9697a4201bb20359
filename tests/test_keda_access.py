"""KedaAccess: the KEDA operator's identity reads one Azure Monitor workspace, nothing else."""

from __future__ import annotations

import pytest
from helpers import SUB, synth

from llmops_infra.components.keda_access import KedaAccess, KedaAccessArgs
from llmops_infra.components.roles import ROLES

AMW = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Monitor/accounts/amw-test"
ISSUER = "https://eastus.oic.prod-aks.azure.com/t/c/"


@pytest.fixture(scope="module")
def plan():
    def program() -> None:
        KedaAccess(
            "keda",
            KedaAccessArgs(
                resource_group_name="rg",
                location="eastus",
                subscription_id=SUB,
                identity_name="id-llmops-test-keda",
                monitor_workspace_id=AMW,
                oidc_issuer_url=ISSUER,
            ),
        )

    return synth(program)


def test_one_dedicated_identity(plan):
    [identity] = plan.of_type("azure-native:managedidentity:UserAssignedIdentity")
    assert identity.props["resourceName"] == "id-llmops-test-keda"


def test_its_only_grant_is_monitoring_data_reader_on_the_workspace(plan):
    [identity] = plan.of_type("azure-native:managedidentity:UserAssignedIdentity")
    [grant] = plan.of_type("azure-native:authorization:RoleAssignment")
    assert grant.props["principalId"] == identity.outputs["principalId"]
    assert grant.props["roleDefinitionId"].endswith("/" + ROLES["Monitoring Data Reader"])
    assert ROLES["Monitoring Data Reader"] == "b0d8363b-8ddd-447d-831f-62ca05bff136"
    assert grant.props["scope"] == AMW
    assert grant.props["principalType"] == "ServicePrincipal"


def test_federated_to_the_keda_operator_service_account_only(plan):
    [fic] = plan.of_type("azure-native:managedidentity:FederatedIdentityCredential")
    assert fic.props["subject"] == "system:serviceaccount:kube-system:keda-operator"
    assert fic.props["issuer"] == ISSUER
    assert fic.props["audiences"] == ["api://AzureADTokenExchange"]
