"""ML-01 … ML-03."""

from llmops_infra.policies.testing import violations

WS = "azure-native:machinelearningservices:Workspace"
EP = "azure-native:machinelearningservices:OnlineEndpoint"
DEP = "azure-native:machinelearningservices:OnlineDeployment"
PARAMS = {"allowed_ml_instance_types": ["Standard_DS3_v2"], "max_ml_instances": 4}


def test_ml_01_private_workspace():
    good = {"publicNetworkAccess": "Disabled", "managedNetwork": {"isolationMode": "AllowOnlyApprovedOutbound"}}
    assert violations("ML-01", WS, good) == []
    assert len(violations("ML-01", WS, {"managedNetwork": {"isolationMode": "AllowInternetOutbound"}})) == 2


def test_ml_02_token_auth_private_endpoint():
    assert violations("ML-02", EP, {"properties": {"authMode": "AADToken", "publicNetworkAccess": "disabled"}}) == []
    found = violations("ML-02", EP, {"properties": {"authMode": "Key"}})
    assert len(found) == 2 and "Key" in found[0]


def test_ml_03_isolated_observed_allowed_capped():
    good = {
        "properties": {
            "endpointComputeType": "Managed",
            "egressPublicNetworkAccess": "Disabled",
            "appInsightsEnabled": True,
            "instanceType": "Standard_DS3_v2",
        },
        "sku": {"capacity": 2},
    }
    assert violations("ML-03", DEP, good, PARAMS) == []
    bad = {
        "properties": {
            "endpointComputeType": "Managed",
            "egressPublicNetworkAccess": "Enabled",
            "instanceType": "Standard_NC96ads_A100_v4",
        },
        "sku": {"capacity": 9},
    }
    found = violations("ML-03", DEP, bad, PARAMS)
    assert len(found) == 4 and "cap is 4" in found[3]
