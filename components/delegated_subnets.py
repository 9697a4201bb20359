"""Subnets delegated to Microsoft.App/environments: the app tier's Container Apps environment and the agents.

Both are declared inline in the estate's VNet (`network.Network`); this module holds their shape so that the
network module stays within its size. The Foundry Agent Service injects its agent runtime into a subnet of its
own, delegated to Microsoft.App/environments, used by no other resource and by one Foundry resource only; /27
at least, /24 recommended (learn.microsoft.com/azure/foundry/agents/how-to/virtual-networks, "Known
limitations"; foundry-samples infrastructure-setup-bicep/15-private-network-standard-agent-setup, vnet.bicep;
both read 2026-12-02).
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import network

CONTAINER_APPS = "Microsoft.App/environments"
DELEGATED_KEYS = ("apps", "agents")
"""Network keys of the subnets delegated to Container Apps environments (the app tier, the agents)."""


def container_apps_subnet(name: str, cidr: str, nsg_id: pulumi.Input[str], *, delegation: str) -> network.SubnetArgs:
    """Subnet `name` (`cidr`) delegated to Microsoft.App/environments (delegation `delegation`), behind `nsg_id`."""
    return network.SubnetArgs(
        name=name,
        address_prefix=cidr,
        network_security_group=network.NetworkSecurityGroupArgs(id=nsg_id),
        delegations=[network.DelegationArgs(name=delegation, service_name=CONTAINER_APPS)],
    )
