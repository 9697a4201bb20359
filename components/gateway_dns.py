"""Name resolution of the internal AI gateway inside the VNet: a private DNS zone `azure-api.net`.

In internal mode "None of the API Management endpoints are registered on the public DNS. The endpoints
remain inaccessible until you configure DNS for the VNet"; Microsoft recommends an Azure DNS private zone
linked to the VNet, with the default host names mapped to the service's private virtual IP: the gateway
`<name>.azure-api.net`, the developer portals `<name>.portal.azure-api.net` and
`<name>.developer.azure-api.net`, direct management `<name>.management.azure-api.net` and Git
`<name>.scm.azure-api.net` (learn.microsoft.com/azure/api-management/api-management-using-with-internal-vnet,
"DNS configuration", read 2026-12-01). The service answers only on those host names, not on its address.

The zone is named `azure-api.net` itself, as that page's hosts-file mapping implies: inside the linked VNet it
answers for every `*.azure-api.net` name, so other API Management instances' public names do not resolve
there (add their records, or use custom domains, if the VNet must call them).
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import privatedns

ZONE = "azure-api.net"
ENDPOINT_LABELS = ("portal", "developer", "management", "scm")
"""Default endpoints besides the gateway: developer portal (legacy and new), direct management, Git."""
TTL_SECONDS = 300


def record_names(service_name: str) -> list[str]:
    """The A records (relative to the zone) of one service's default host names."""
    return [service_name, *(f"{service_name}.{label}" for label in ENDPOINT_LABELS)]


def gateway_dns(
    name: str,
    *,
    service_name: str,
    private_ip: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    vnet_id: pulumi.Input[str],
    vnet_name: str,
    parent: pulumi.Resource,
) -> privatedns.PrivateZone:
    """The zone, its link to the VNet (no auto-registration) and one A record per default host name, all to
    the service's private virtual IP."""
    opts = pulumi.ResourceOptions(parent=parent)
    zone = privatedns.PrivateZone(
        f"{name}-dns-zone",
        private_zone_name=ZONE,
        resource_group_name=resource_group_name,
        location="global",
        opts=opts,
    )
    privatedns.VirtualNetworkLink(
        f"{name}-dns-link",
        virtual_network_link_name=f"link-{vnet_name}",
        private_zone_name=zone.name,
        resource_group_name=resource_group_name,
        location="global",
        virtual_network=privatedns.SubResourceArgs(id=vnet_id),
        registration_enabled=False,
        opts=opts,
    )
    for record in record_names(service_name):
        privatedns.PrivateRecordSet(
            f"{name}-dns-{record}",
            private_zone_name=zone.name,
            resource_group_name=resource_group_name,
            record_type="A",
            relative_record_set_name=record,
            ttl=TTL_SECONDS,
            a_records=[privatedns.ARecordArgs(ipv4_address=private_ip)],
            opts=opts,
        )
    return zone
