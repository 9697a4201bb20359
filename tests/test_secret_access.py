"""SecretAccess and ModelLoaderAccess: data roles on one secret, one container, and nothing wider."""

from __future__ import annotations

import pytest

from llmops_infra.components.model_loader_access import ModelLoaderAccess, ModelLoaderAccessArgs
from llmops_infra.components.roles import ROLES
from llmops_infra.components.secret_access import SecretAccess, SecretAccessArgs, SecretGrant
from llmops_infra.offline.mocks import AzureMocks
from llmops_infra.offline.synth import synthesize
from llmops_infra.policies.testing import violations

SUB = "11111111-1111-4111-8111-111111111111"
TENANT = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
RG = f"/subscriptions/{SUB}/resourceGroups/rg"
VAULT = f"{RG}/providers/Microsoft.KeyVault/vaults/kv1"
CONTAINER = f"{RG}/providers/Microsoft.Storage/storageAccounts/st1/blobServices/default/containers/models"
ISSUER = "https://eastus.oic.prod-aks.azure.com/t/c/"


def _synth(program):
    return synthesize(program, environment="test", project="llmops", mocks=AzureMocks(SUB, TENANT, "eastus"))


def test_each_grant_is_scoped_to_its_one_secret():
    def program() -> None:
        SecretAccess(
            "secrets",
            SecretAccessArgs(
                vault_id=VAULT,
                subscription_id=SUB,
                grants=[
                    SecretGrant(key="api", principal_id="p-serving", secret_name="vllm-api-key", description="key"),
                    SecretGrant(key="hub", principal_id="p-loader", secret_name="hf-hub-token", description="token"),
                ],
            ),
        )

    plan = _synth(program)
    assignments = {a.name: a.props for a in plan.of_type("azure-native:authorization:RoleAssignment")}
    assert {name: (a["principalId"], a["scope"]) for name, a in assignments.items()} == {
        "secrets-api": ("p-serving", f"{VAULT}/secrets/vllm-api-key"),
        "secrets-hub": ("p-loader", f"{VAULT}/secrets/hf-hub-token"),
    }
    for props in assignments.values():
        assert props["roleDefinitionId"].endswith(ROLES["Key Vault Secrets User"])
        assert props["principalType"] == "ServicePrincipal"
        assert violations("IAM-06", "azure-native:authorization:RoleAssignment", props) == []


def test_bad_grants_are_refused():
    with pytest.raises(ValueError, match="'hf_token' is not a Key Vault secret name"):
        SecretGrant(key="hub", principal_id="p", secret_name="hf_token", description="")
    grant = SecretGrant(key="same", principal_id="p", secret_name="a", description="")
    with pytest.raises(ValueError, match="grant keys repeat"):
        _synth(lambda: SecretAccess("s", SecretAccessArgs(vault_id=VAULT, subscription_id=SUB, grants=[grant, grant])))


def test_the_loader_writes_the_models_container_only_and_is_federated_per_namespace():
    def program() -> None:
        ModelLoaderAccess(
            "model_loader",
            ModelLoaderAccessArgs(
                resource_group_name="rg",
                location="eastus",
                subscription_id=SUB,
                identity_name="id-llmops-test-loader",
                container_id=CONTAINER,
                oidc_issuer_url=ISSUER,
                namespaces=["qwen-3b", "llama-70b"],
            ),
        )

    plan = _synth(program)
    [identity] = plan.of_type("azure-native:managedidentity:UserAssignedIdentity")
    [grant] = plan.of_type("azure-native:authorization:RoleAssignment")
    assert grant.props["scope"] == CONTAINER
    assert grant.props["roleDefinitionId"].endswith(ROLES["Storage Blob Data Contributor"])
    assert grant.props["principalId"] == identity.outputs["principalId"]
    credentials = {c.name: c for c in plan.of_type("azure-native:managedidentity:FederatedIdentityCredential")}
    assert {c.props["subject"] for c in credentials.values()} == {
        "system:serviceaccount:qwen-3b:model-loader",
        "system:serviceaccount:llama-70b:model-loader",
    }
    # Azure rejects concurrent credential writes on one identity: the second waits for the first.
    first, second = credentials["model_loader-qwen-3b-fic"], credentials["model_loader-llama-70b-fic"]
    assert first.urn in second.dependencies
