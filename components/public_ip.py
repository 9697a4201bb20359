"""A static Standard public IPv4 address: the shape every outbound address of the estate takes.

Used by the egress firewall (its frontend address) and by the CI runners' NAT gateway (the address the
cluster's API server authorizes). Standard SKU is the only one with zones and the one NAT gateways and Azure
Firewall accept; Basic public IPs retired on 2025-09-30 (learn.microsoft.com/azure/virtual-network/ip-services/
public-ip-basic-upgrade-guidance, read 2026-12-02).
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
from pulumi_azure_native import network


def static_public_ip(
    resource_name: str,
    *,
    name: str,
    resource_group_name: pulumi.Input[str],
    location: pulumi.Input[str],
    zones: Sequence[str] = (),
    opts: pulumi.ResourceOptions,
) -> network.PublicIPAddress:
    """A Standard, Regional, static IPv4 address named `name`, in `zones` when given."""
    return network.PublicIPAddress(
        resource_name,
        public_ip_address_name=name,
        resource_group_name=resource_group_name,
        location=location,
        sku=network.PublicIPAddressSkuArgs(name="Standard", tier="Regional"),
        public_ip_allocation_method="Static",
        public_ip_address_version="IPv4",
        zones=list(zones) or None,
        opts=opts,
    )
