"""Azure DevOps agents inside the VNet: a Managed DevOps Pool with VNet injection.

A dev center and project (the pool's required parent), and a pool of stateless agents (a fresh
VM per job) from a well-known Azure Pipelines image, in the subnet delegated to
Microsoft.DevOpsInfrastructure/pools (learn.microsoft.com/azure/devops/managed-devops-pools/
configure-networking). The pool registers itself as an agent pool of the same name in the
organization and serves the given project. Agents hold no Azure rights of their own: deploy
jobs sign in through the environment's workload-identity service connection.

Outside the stack (an administrator, once per subscription and VNet): register the
Microsoft.DevOpsInfrastructure resource provider, and grant the DevOpsInfrastructure service
principal Reader and Network Contributor on the virtual network (same page).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import devcenter, devopsinfrastructure

WELL_KNOWN_IMAGES = ("ubuntu-22.04/latest", "ubuntu-22.04")
"""Image names Microsoft's Managed DevOps Pools docs use (configure-images)."""


@dataclass(frozen=True, kw_only=True)
class DevOpsPoolArgs:
    resource_group_name: pulumi.Input[str]
    location: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    dev_center_name: str
    project_name: str
    pool_name: str
    organization: str
    """Azure DevOps organization name (https://dev.azure.com/<organization>)."""
    ado_project: str
    vm_size: str = "Standard_D2ads_v5"
    """VM size of each agent. Default: Standard_D2ads_v5 (2 vCPUs, 8 GiB, local temp disk)."""
    image: str = "ubuntu-22.04/latest"
    """A well-known Azure Pipelines image (WELL_KNOWN_IMAGES). Default: ubuntu-22.04/latest."""
    max_agents: int = 4
    """Agents running at once (1-20). Default: 4; more jobs wait in the queue."""

    def __post_init__(self) -> None:
        if self.image not in WELL_KNOWN_IMAGES:
            raise ValueError(f"pool image {self.image!r}: use one of {list(WELL_KNOWN_IMAGES)}")
        if not 1 <= self.max_agents <= 20:
            raise ValueError(f"max_agents {self.max_agents}: between 1 and 20")


class DevOpsPool(pulumi.ComponentResource):
    """A Managed DevOps Pool whose agents run in the estate's VNet.

    Children: the dev center, its project, the pool.
    """

    pool_id: pulumi.Output[str]

    def __init__(self, name: str, args: DevOpsPoolArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:ci:DevOpsPool", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        center = devcenter.DevCenter(
            f"{name}-devcenter",
            dev_center_name=args.dev_center_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            opts=child,
        )
        project = devcenter.Project(
            f"{name}-project",
            project_name=args.project_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            dev_center_id=center.id,
            opts=child,
        )
        pool = devopsinfrastructure.Pool(
            f"{name}-pool",
            pool_name=args.pool_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            dev_center_project_resource_id=project.id,
            maximum_concurrency=args.max_agents,
            agent_profile=devopsinfrastructure.StatelessAgentProfileArgs(kind="Stateless"),
            fabric_profile=devopsinfrastructure.VmssFabricProfileArgs(
                kind="Vmss",
                sku=devopsinfrastructure.DevOpsAzureSkuArgs(name=args.vm_size),
                images=[devopsinfrastructure.PoolImageArgs(well_known_image_name=args.image, buffer="*")],
                network_profile=devopsinfrastructure.NetworkProfileArgs(subnet_id=args.subnet_id),
            ),
            organization_profile=devopsinfrastructure.AzureDevOpsOrganizationProfileArgs(
                kind="AzureDevOps",
                organizations=[
                    devopsinfrastructure.OrganizationArgs(
                        url=f"https://dev.azure.com/{args.organization}",
                        projects=[args.ado_project],
                        parallelism=args.max_agents,
                    )
                ],
            ),
            opts=child,
        )
        self.pool_id = pool.id
        self.register_outputs({"pool_id": self.pool_id})
