"""The CI stage: runners in every shipped environment's VNet, labelled for its deploy jobs, reachable API server."""

from __future__ import annotations


def test_each_environment_has_its_labelled_runners_in_its_runner_subnet(plans):
    for env in ("dev", "staging", "prod"):
        plan = plans(env)
        (job,) = plan.of_type("azure-native:app:Job")
        (rule,) = job.props["configuration"]["eventTriggerConfig"]["scale"]["rules"]
        assert rule["metadata"]["labels"] == f"llmops-{env}"
        (environment,) = [e for e in plan.of_type("azure-native:app:ManagedEnvironment") if e.name.startswith("ci_")]
        (vnet,) = plan.of_type("azure-native:network:VirtualNetwork")
        runner_subnet = next(s for s in vnet.props["subnets"] if s.get("delegations") and s["name"].endswith("-ci"))
        assert environment.props["vnetConfiguration"]["infrastructureSubnetId"].endswith(
            f"/subnets/{runner_subnet['name']}"
        )


def test_a_public_api_server_authorizes_the_runners_egress_address(plans):
    dev = plans("dev")
    (address,) = dev.of_type("azure-native:network:PublicIPAddress")
    (cluster,) = dev.of_type("azure-native:containerservice:ManagedCluster")
    ranges = cluster.props["apiServerAccessProfile"]["authorizedIPRanges"]
    assert ranges == ["203.0.113.0/24", f"{address.outputs['ipAddress']}/32"]
    prod = plans("prod")
    (private,) = prod.of_type("azure-native:containerservice:ManagedCluster")
    assert private.props["apiServerAccessProfile"]["enablePrivateCluster"] is True
    assert "authorizedIPRanges" not in private.props["apiServerAccessProfile"]


def test_private_clusters_name_their_administrators(plans):
    for env in ("staging", "prod"):
        (cluster,) = plans(env).of_type("azure-native:containerservice:ManagedCluster")
        assert cluster.props["aadProfile"]["adminGroupObjectIDs"] == ["5f4a2e36-0d1c-4b8e-9a67-1c2d3e4f5a6b"]
