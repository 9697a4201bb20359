"""ST-01 … ST-03."""

from llmops_infra.policies.testing import violations

SA = "azure-native:storage:StorageAccount"
SECURE = {
    "allowBlobPublicAccess": False,
    "minimumTlsVersion": "TLS1_2",
    "enableHttpsTrafficOnly": True,
    "allowSharedKeyAccess": False,
    "defaultToOAuthAuthentication": True,
    "networkRuleSet": {"defaultAction": "Deny"},
    "publicNetworkAccess": "Disabled",
}


def test_st_01_transport():
    assert violations("ST-01", SA, SECURE) == []
    assert len(violations("ST-01", SA, {"minimumTlsVersion": "TLS1_0", "enableHttpsTrafficOnly": False})) == 3


def test_st_02_entra_only():
    assert violations("ST-02", SA, SECURE) == []
    assert len(violations("ST-02", SA, {})) == 2


def test_st_03_private_network():
    assert violations("ST-03", SA, SECURE) == []
    assert (
        len(
            violations(
                "ST-03", SA, {**SECURE, "networkRuleSet": {"defaultAction": "Allow"}, "publicNetworkAccess": "Enabled"}
            )
        )
        == 2
    )
