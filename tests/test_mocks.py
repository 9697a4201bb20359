"""Mock outputs look like Azure's: ARM ids (children nested under their parents), names."""

from __future__ import annotations

from llmops_infra.offline.mocks import AzureMocks, _plural

SUB = "11111111-1111-4111-8111-111111111111"
RG = f"/subscriptions/{SUB}/resourceGroups/rg"
mocks = AzureMocks(SUB, "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "eastus")


def test_top_level_and_scoped_ids() -> None:
    assert mocks.arm_id("azure-native:resources:ResourceGroup", "rg", {}) == RG
    assert mocks.arm_id("azure-native:keyvault:Vault", "kv1", {"resourceGroupName": "rg"}) == (
        f"{RG}/providers/Microsoft.KeyVault/vaults/kv1"
    )
    assert mocks.arm_id("azure-native:authorization:RoleAssignment", "g", {"scope": f"{RG}/x"}) == (
        f"{RG}/x/providers/Microsoft.Authorization/roleAssignments/g"
    )


def test_child_ids_nest_under_their_parents() -> None:
    inputs = {"resourceGroupName": "rg", "workspaceName": "mlw", "endpointName": "ep", "deploymentName": "blue"}
    assert mocks.arm_id("azure-native:machinelearningservices:OnlineDeployment", "blue", inputs) == (
        f"{RG}/providers/Microsoft.MachineLearningServices/workspaces/mlw/onlineEndpoints/ep/onlineDeployments/blue"
    )
    blob = {"resourceGroupName": "rg", "accountName": "st1", "containerName": "models"}
    # ARM's type is Microsoft.Storage/storageAccounts/blobServices/containers: container-scoped roles name it.
    assert mocks.arm_id("azure-native:storage:BlobContainer", "models", blob) == (
        f"{RG}/providers/Microsoft.Storage/storageAccounts/st1/blobServices/default/containers/models"
    )


def test_arm_segments_are_plurals() -> None:
    assert _plural("registry") == "registries"
    assert _plural("vault") == "vaults"
    assert _plural("raiPolicy") == "raiPolicies"
    assert _plural("gateway") == "gateways"
    assert _plural("accounts") == "accounts"


def test_shipped_plan_child_names_are_their_own(plans) -> None:
    plan = plans("dev")
    pools = plan.of_type("azure-native:containerservice:AgentPool")
    assert {p.outputs["id"].rsplit("/", 1)[-1] for p in pools} == {p.props["agentPoolName"] for p in pools}
    for deployment in plan.of_type("azure-native:cognitiveservices:Deployment"):
        assert (
            f"/accounts/{deployment.props['accountName']}/deployments/{deployment.props['deploymentName']}"
            in (deployment.outputs["id"])
        )
