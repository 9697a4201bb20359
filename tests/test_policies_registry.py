"""ACR-01, ACR-02."""

from llmops_infra.policies.testing import violations

ACR = "azure-native:containerregistry:Registry"
SECURE = {
    "sku": {"name": "Premium"},
    "adminUserEnabled": False,
    "anonymousPullEnabled": False,
    "publicNetworkAccess": "Disabled",
    "policies": {"retentionPolicy": {"status": "enabled", "days": 30}},
}


def test_acr_01_admin_and_anonymous_pull():
    assert violations("ACR-01", ACR, SECURE) == []
    assert len(violations("ACR-01", ACR, {**SECURE, "adminUserEnabled": True, "anonymousPullEnabled": True})) == 2


def test_acr_02_premium_private_retention():
    assert violations("ACR-02", ACR, SECURE) == []
    found = violations("ACR-02", ACR, {"sku": {"name": "Standard"}})
    assert len(found) == 3 and "Standard" in found[0]
