"""IAM-01 … IAM-06: role assignments, custom roles, federated credentials, data roles at the narrowest scope."""

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


SUBSCRIPTION_SCOPE = "/subscriptions/11111111-1111-4111-8111-111111111111"
GROUP_ID = f"{SUBSCRIPTION_SCOPE}/resourceGroups/rg"
KV_ID = f"{GROUP_ID}/providers/Microsoft.KeyVault/vaults/kv1"
ST_ID = f"{GROUP_ID}/providers/Microsoft.Storage/storageAccounts/st1"
SECRETS_USER_GUID = "4633458b-17de-408a-b874-0445c86b69e6"
BLOB_READER_GUID = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
SECRETS_OFFICER_GUID = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"


def _grant(role: str, scope: str, principal_type: str = "ServicePrincipal") -> dict:
    return {
        "principalId": "p",
        "principalType": principal_type,
        "roleDefinitionId": f"{SUBSCRIPTION_SCOPE}/providers/Microsoft.Authorization/roleDefinitions/{role}",
        "scope": scope,
    }


def test_iam_06_violating_vault_and_account_wide_data_roles_of_a_workload():
    [vault] = violations("IAM-06", RA, _grant(SECRETS_USER_GUID, KV_ID))
    assert "covers the whole vault" in vault
    [account] = violations("IAM-06", RA, _grant(BLOB_READER_GUID, ST_ID))
    assert "covers the whole storage account" in account
    assert violations("IAM-06", RA, _grant(BLOB_READER_GUID, f"{ST_ID}/blobServices/default"))
    assert violations("IAM-06", RA, _grant(SECRETS_USER_GUID, GROUP_ID))  # wider still


def test_iam_06_compliant_secret_and_container_scopes():
    assert violations("IAM-06", RA, _grant(SECRETS_USER_GUID, f"{KV_ID}/secrets/vllm-api-key")) == []
    container = f"{ST_ID}/blobServices/default/containers/models"
    assert violations("IAM-06", RA, _grant(BLOB_READER_GUID, container)) == []
    # The deployer creates secrets (Secrets Officer on the vault); people and groups are IAM-02's.
    assert violations("IAM-06", RA, _grant(SECRETS_OFFICER_GUID, KV_ID)) == []
    assert violations("IAM-06", RA, _grant(SECRETS_USER_GUID, KV_ID, principal_type="Group")) == []


def test_iam_06_an_account_wide_blob_role_narrowed_to_containers_by_abac():
    from llmops_infra.components.agent_setup import contributor_condition

    narrowed = {
        **_grant(BLOB_READER_GUID, ST_ID),
        "condition": contributor_condition("0" * 8 + "-0000-0000-0000-" + "0" * 12),
    }
    assert violations("IAM-06", RA, narrowed) == []
    # a condition that tests something else leaves the whole account open
    other = {**_grant(BLOB_READER_GUID, ST_ID), "condition": "@Request[x] StringEquals 'y'"}
    assert violations("IAM-06", RA, other)
