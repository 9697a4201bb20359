"""Managed DevOps Pool: stateless agents injected into the runner subnet, serving one project."""

from __future__ import annotations

import pytest

SUB = "11111111-1111-4111-8111-111111111111"
SUBNET = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/snet-ci"


def _args(**overrides):
    from llmops_infra.components.devops_pool import DevOpsPoolArgs

    values = {
        "resource_group_name": "rg",
        "location": "eastus2",
        "subnet_id": SUBNET,
        "dev_center_name": "dc-test",
        "project_name": "dcp-test",
        "pool_name": "mdp-llmops-prod-eus2",
        "organization": "contoso",
        "ado_project": "llmops",
        "max_agents": 2,
    }
    values.update(overrides)
    return DevOpsPoolArgs(**values)


def test_the_pool_is_injected_into_the_vnet_with_stateless_agents():
    from llmops_infra.components.devops_pool import DevOpsPool
    from llmops_infra.offline.mocks import AzureMocks
    from llmops_infra.offline.synth import synthesize

    plan = synthesize(
        lambda: DevOpsPool("pool", _args()),
        environment="test",
        project="llmops",
        mocks=AzureMocks(SUB, "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "eastus2"),
    )
    (pool,) = plan.of_type("azure-native:devopsinfrastructure:Pool")
    (project,) = plan.of_type("azure-native:devcenter:Project")
    (center,) = plan.of_type("azure-native:devcenter:DevCenter")
    assert project.props["devCenterId"] == center.outputs["id"]
    assert pool.props["devCenterProjectResourceId"] == project.outputs["id"]
    assert pool.props["fabricProfile"]["networkProfile"] == {"subnetId": SUBNET}
    assert pool.props["fabricProfile"]["images"] == [{"wellKnownImageName": "ubuntu-22.04/latest", "buffer": "*"}]
    assert pool.props["agentProfile"] == {"kind": "Stateless"}
    assert pool.props["maximumConcurrency"] == 2
    (org,) = pool.props["organizationProfile"]["organizations"]
    assert org == {"url": "https://dev.azure.com/contoso", "projects": ["llmops"], "parallelism": 2}


def test_unknown_images_and_sizes_are_refused():
    with pytest.raises(ValueError, match="pool image"):
        _args(image="ubuntu-latest")
    with pytest.raises(ValueError, match="max_agents"):
        _args(max_agents=0)
