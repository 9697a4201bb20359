"""A private endpoint and its DNS zone group: the one way PaaS components go private."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import network

from llmops_infra.components.dns_zones import GROUP_ZONES, PRIVATE_DNS_ZONES, zones_for_group

__all__ = [
    "GROUP_ZONES",
    "PRIVATE_DNS_ZONES",
    "PrivateEndpoint",
    "PrivateEndpointArgs",
    "private_endpoint",
    "zones_for_group",
]


@dataclass(frozen=True, kw_only=True)
class PrivateEndpointArgs:
    resource_group_name: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    """Subnet that holds the endpoint's network interface."""
    target_resource_id: pulumi.Input[str]
    """The resource made private (vault, account, registry, storage account, workspace)."""
    group_id: str
    """Private-link sub-resource: vault, account, registry, blob, amlworkspace."""
    dns_zone_ids: list[pulumi.Input[str]]
    """Private DNS zones the zone group registers the endpoint's records in."""
    endpoint_name: str | None = None
    """Azure name of the endpoint; default: the logical name."""


class PrivateEndpoint(pulumi.ComponentResource):
    """A private endpoint for one sub-resource, with a DNS zone group so names resolve privately.

    Children: the private endpoint, its DNS zone group.
    """

    endpoint_id: pulumi.Output[str]

    def __init__(self, name: str, args: PrivateEndpointArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:network:PrivateEndpoint", name, None, opts)
        if not args.dns_zone_ids:
            raise ValueError(
                f"private endpoint {name}: dns_zone_ids is empty: pass the zone for group {args.group_id!r}"
            )
        child = pulumi.ResourceOptions(parent=self)
        endpoint = network.PrivateEndpoint(
            f"{name}-pep",
            private_endpoint_name=args.endpoint_name or name,
            resource_group_name=args.resource_group_name,
            subnet=network.SubnetArgs(id=args.subnet_id),
            private_link_service_connections=[
                network.PrivateLinkServiceConnectionArgs(
                    name=f"{name}-{args.group_id}",
                    private_link_service_id=args.target_resource_id,
                    group_ids=[args.group_id],
                )
            ],
            opts=child,
        )
        network.PrivateDnsZoneGroup(
            f"{name}-dns",
            private_dns_zone_group_name="default",
            private_endpoint_name=endpoint.name,
            resource_group_name=args.resource_group_name,
            private_dns_zone_configs=[
                network.PrivateDnsZoneConfigArgs(name=f"zone-{index}", private_dns_zone_id=zone_id)
                for index, zone_id in enumerate(args.dns_zone_ids)
            ],
            opts=child,
        )
        self.endpoint_id = endpoint.id
        self.register_outputs({"endpoint_id": self.endpoint_id})


def private_endpoint(
    name: str,
    *,
    resource_group_name: pulumi.Input[str],
    subnet_id: pulumi.Input[str],
    target_resource_id: pulumi.Input[str],
    group_id: str,
    dns_zone_ids: list[pulumi.Input[str]],
    endpoint_name: str | None,
    parent: pulumi.Resource,
) -> PrivateEndpoint:
    """A `PrivateEndpoint` child of `parent` named `{name}-pe`: the one call a component makes to go private."""
    return PrivateEndpoint(
        f"{name}-pe",
        PrivateEndpointArgs(
            resource_group_name=resource_group_name,
            subnet_id=subnet_id,
            target_resource_id=target_resource_id,
            group_id=group_id,
            dns_zone_ids=dns_zone_ids,
            endpoint_name=endpoint_name,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
