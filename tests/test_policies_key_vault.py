"""KV-01 … KV-06: each rule with a compliant and a violating fixture."""

from llmops_infra.policies.testing import Fixture, stack_violations, violations

VAULT = "azure-native:keyvault:Vault"
PE = "azure-native:network:PrivateEndpoint"
SECURE = {
    "properties": {
        "enablePurgeProtection": True,
        "enableSoftDelete": True,
        "softDeleteRetentionInDays": 90,
        "enableRbacAuthorization": True,
        "publicNetworkAccess": "Disabled",
        "networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices"},
    }
}


def vault(**changes):
    return {"properties": {**SECURE["properties"], **changes}}


def test_kv_01_purge_protection():
    assert violations("KV-01", VAULT, SECURE) == []
    assert "Purge protection is off" in violations("KV-01", VAULT, vault(enablePurgeProtection=False))[0]
    # Absent means Azure's default (off): a violation.
    assert violations("KV-01", VAULT, {"properties": {}})


def test_kv_02_soft_delete_retention_depends_on_scope():
    assert violations("KV-02", VAULT, SECURE, {"scope": "prod"}) == []
    short = vault(softDeleteRetentionInDays=7)
    assert violations("KV-02", VAULT, short, {"scope": "dev"}) == []
    assert "at least 90" in violations("KV-02", VAULT, short, {"scope": "prod"})[0]
    assert "Soft delete is off" in violations("KV-02", VAULT, vault(enableSoftDelete=False), {"scope": "dev"})[0]


def test_kv_03_rbac():
    assert violations("KV-03", VAULT, SECURE) == []
    found = violations("KV-03", VAULT, vault(enableRbacAuthorization=False, accessPolicies=[{"objectId": "x"}]))
    assert len(found) == 2


def test_kv_04_public_access_case_insensitive():
    assert violations("KV-04", VAULT, vault(publicNetworkAccess="disabled")) == []
    assert violations("KV-04", VAULT, vault(publicNetworkAccess="Enabled"))
    assert violations("KV-04", VAULT, {"properties": {}})


def test_kv_05_acl_deny():
    assert violations("KV-05", VAULT, SECURE) == []
    assert violations("KV-05", VAULT, vault(networkAcls={"defaultAction": "Allow"}))


def test_kv_06_private_endpoint_by_dependency_or_id():
    pe = {"privateLinkServiceConnections": [{"groupIds": ["vault"], "privateLinkServiceId": "unknown-yet"}]}
    assert stack_violations("KV-06", [Fixture(VAULT, "kv", SECURE), Fixture(PE, "pe", pe, ["kv"])]) == []
    vault_id = "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/kv1"
    by_id = {"privateLinkServiceConnections": [{"groupIds": ["vault"], "privateLinkServiceId": vault_id}]}
    assert stack_violations("KV-06", [Fixture(VAULT, "kv", {**SECURE, "id": vault_id}), Fixture(PE, "pe", by_id)]) == []
    wrong_group = {"privateLinkServiceConnections": [{"groupIds": ["blob"]}]}
    found = stack_violations("KV-06", [Fixture(VAULT, "kv", SECURE), Fixture(PE, "pe", wrong_group, ["kv"])])
    assert found and "no private endpoint" in found[0]


def test_kv_03_separate_access_policy_resources():
    separate = {
        "vaultName": "kv-llmops-dev",
        "resourceGroupName": "rg",
        "policy": {"objectId": "x", "tenantId": "t", "permissions": {"secrets": ["get"]}},
    }
    assert violations("KV-03", "azure-native:keyvault:AccessPolicy", separate) == [
        "An access policy is granted on vault kv-llmops-dev: grant Azure RBAC roles instead."
    ]
    assert violations("KV-03", VAULT, SECURE) == []  # the vault alone stays compliant
