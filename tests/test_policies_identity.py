"""IAM-01 … IAM-05: role assignments, custom roles, federated credentials."""

from llmops_infra.policies.testing import violations

RA = "azure-native:authorization:RoleAssignment"
RD = "azure-native:authorization:RoleDefinition"
FIC = "azure-native:managedidentity:FederatedIdentityCredential"
SUB = "/subscriptions/11111111-1111-4111-8111-111111111111"
RG = f"{SUB}/resourceGroups/rg-llmops-dev"
VAULT = f"{RG}/providers/Microsoft.KeyVault/vaults/kv1"
OWNER = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
SECRETS_USER = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6"


def assignment(role, scope, **extra):
    return {"roleDefinitionId": role, "scope": scope, "principalId": "p", "principalType": "ServicePrincipal", **extra}


def test_iam_01_no_owner_at_broad_scope():
    assert violations("IAM-01", RA, assignment(OWNER, VAULT)) == []
    assert "Owner is assigned" in violations("IAM-01", RA, assignment(OWNER, RG))[0]
    assert violations("IAM-01", RA, assignment(OWNER, SUB + "/"))
    assert violations("IAM-01", RA, assignment(SECRETS_USER, RG)) == []


def test_iam_02_data_roles_on_one_resource():
    assert violations("IAM-02", RA, assignment(SECRETS_USER, VAULT)) == []
    assert "Key Vault Secrets User" in violations("IAM-02", RA, assignment(SECRETS_USER, RG))[0]


def test_iam_03_no_wildcard_custom_roles():
    assert violations("IAM-03", RD, {"permissions": [{"actions": ["Microsoft.KeyVault/vaults/read"]}]}) == []
    assert violations("IAM-03", RD, {"permissions": [{"actions": ["*"]}]})
    assert violations("IAM-03", RD, {"permissions": [{"actions": [], "dataActions": ["*"]}]})


def test_iam_04_federation_is_exact():
    good = {
        "audiences": ["api://AzureADTokenExchange"],
        "issuer": "https://token.actions.githubusercontent.com",
        "subject": "repo:contoso/llmops:environment:dev",
    }
    assert violations("IAM-04", FIC, good) == []
    assert len(violations("IAM-04", FIC, {**good, "subject": "repo:contoso/*"})) == 1
    assert len(violations("IAM-04", FIC, {"audiences": ["api://other"], "issuer": "http://x", "subject": ""})) == 3


def test_iam_05_principal_type():
    assert violations("IAM-05", RA, assignment(SECRETS_USER, VAULT)) == []
    props = assignment(SECRETS_USER, VAULT)
    del props["principalType"]
    assert "principalType" in violations("IAM-05", RA, props)[0]
