"""A private endpoint and its DNS zone group: the one way PaaS components go private."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import network

# Private-link group id -> the private DNS zone it needs (Azure public cloud).
PRIVATE_DNS_ZONES: dict[str, str] = {
    "vault": "privatelink.vaultcore.azure.net",
    "account": "privatelink.cognitiveservices.azure.com",
    "openai": "privatelink.openai.azure.com",
    "registry": "privatelink.azurecr.io",
    "blob": "privatelink.blob.core.windows.net",
    "amlworkspace": "privatelink.api.azureml.ms",
    "amlworkspace-notebooks": "privatelink.notebooks.azure.net",
    "grafana": "privatelink.grafana.azure.com",
}


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
            raise ValueError(f"private endpoint {name}: dns_zone_ids is empty: pass the zone for group {args.group_id!r}")
        child = pulumi.ResourceOptions(parent=self)
        endpoint = network.PrivateEndpoint(
            f"{name}-pep",
            private_endpoint_name=args.endpoint_name or name,
            resource_group_name=args.resource_group_name,
            subnet=network.SubnetArgs(id=args.subnet_id),
            private_link_service_connections=[network.PrivateLinkServiceConnectionArgs(
                name=f"{name}-{args.group_id}",
                private_link_service_id=args.target_resource_id,
                group_ids=[args.group_id],
            )],
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
