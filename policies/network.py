"""Network rules (NET-01 … NET-03): NSG exposure, NSG coverage, private DNS wiring.

Both forms are judged: rules inline in an NSG (`securityRules[]`) and separate `SecurityRule`
resources; subnets inline in a VNet (`subnets[]`) and separate `Subnet` resources.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity

from llmops_infra.policies.framework import Params, Report, get, items, mapping, resource_rule, same, stack_rule
from llmops_infra.policies.graph import PRIVATE_ENDPOINT, Graph

NSG = "azure-native:network:NetworkSecurityGroup"
SECURITY_RULE = "azure-native:network:SecurityRule"
VNET = "azure-native:network:VirtualNetwork"
SUBNET = "azure-native:network:Subnet"
DNS_ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"
PRIVATE_ZONE = "azure-native:privatedns:PrivateZone"
VNET_LINK = "azure-native:privatedns:VirtualNetworkLink"

OPEN_SOURCES = {"*", "internet", "0.0.0.0/0", "any", "::/0"}
SENSITIVE_PORTS = (22, 3389, 80)
NSG_FREE_SUBNETS = {
    "gatewaysubnet",
    "azurefirewallsubnet",
    "azurefirewallmanagementsubnet",
    "azurebastionsubnet",
    "routeserversubnet",
}


def _ports_cover(spec: str, port: int) -> bool:
    spec = spec.strip()
    if spec in ("*", ""):
        return True
    if "-" in spec:
        low, _, high = spec.partition("-")
        return low.strip().isdigit() and high.strip().isdigit() and int(low) <= port <= int(high)
    return spec.isdigit() and int(spec) == port


def exposure(rule: Any) -> str | None:
    """Why an inbound rule exposes the internet (None when it does not)."""
    rule = mapping(get(rule, "properties")) or rule  # ARM-shaped rules keep settings in properties
    if not (same(get(rule, "direction"), "Inbound") and same(get(rule, "access"), "Allow")):
        return None
    sources = [get(rule, "sourceAddressPrefix"), *items(get(rule, "sourceAddressPrefixes"))]
    if not any(isinstance(s, str) and s.lower() in OPEN_SOURCES for s in sources):
        return None
    protocol = str(get(rule, "protocol", "*"))
    if same(protocol, "Udp"):
        return "UDP from the internet"
    ports = [get(rule, "destinationPortRange"), *items(get(rule, "destinationPortRanges"))]
    ports = [str(p) for p in ports if p is not None] or ["*"]
    if same(protocol, "*") and any(s.strip() == "*" for s in ports):
        return "every port and protocol (UDP included) from the internet"
    for port in SENSITIVE_PORTS:
        if any(_ports_cover(p, port) for p in ports):
            return f"port {port} from the internet"
    return None


@resource_rule(
    "NET-01",
    "no-internet-admin-ports",
    scope="A",
    severity=Severity.CRITICAL,
    types=[NSG, SECURITY_RULE],
    description="No inbound allow from the internet to 22, 3389, 80 or any UDP.",
    remediation="Remove the rule or restrict its source to known ranges; use Bastion or "
    "private access for administration.",
)
def net_exposure(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    rules = items(get(args.props, "securityRules")) if args.resource_type == NSG else [args.props]
    for rule in rules:
        why = exposure(rule)
        if why:
            report(f"Security rule {get(rule, 'name') or args.name} allows {why}.")


def _subnet_lacks_nsg(subnet: Any) -> bool:
    name = str(get(subnet, "name") or "")  # ARM-shaped subnets keep the name outside `properties`
    subnet = mapping(get(subnet, "properties")) or subnet
    # The NSG's id is often unknown at preview: its presence is what counts.
    return name.lower() not in NSG_FREE_SUBNETS and not get(subnet, "networkSecurityGroup")


@resource_rule(
    "NET-02",
    "subnet-nsg",
    scope="A",
    severity=Severity.HIGH,
    types=[VNET, SUBNET],
    description="Every subnet has a network security group (gateway and firewall subnets exempt).",
    remediation="Attach an NSG to the subnet (networkSecurityGroup.id).",
)
def net_subnet_nsg(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if args.resource_type == VNET:
        for subnet in items(get(args.props, "subnets")):
            if _subnet_lacks_nsg(subnet):
                report(f"Subnet {get(subnet, 'name')} has no NSG: nothing filters its traffic.")
    else:
        name = get(args.props, "subnetName") or get(args.props, "name") or args.name
        if str(name).lower() not in NSG_FREE_SUBNETS and not get(args.props, "networkSecurityGroup"):
            report(f"Subnet {name} has no NSG: nothing filters its traffic.")


@stack_rule(
    "NET-03",
    "private-dns-wiring",
    scope="P",
    severity=Severity.MEDIUM,
    description="Each private endpoint has a DNS zone group; each private DNS zone is linked to a VNet.",
    remediation="Create a PrivateDnsZoneGroup for the endpoint and a VirtualNetworkLink for the zone.",
)
def net_private_dns(resources: Sequence[PolicyResource], report: Report, params: Params) -> None:
    graph = Graph(resources)
    groups = graph.of_type(DNS_ZONE_GROUP)
    for endpoint in graph.of_type(PRIVATE_ENDPOINT):
        ep_name = get(endpoint.props, "privateEndpointName")
        named = [g for g in groups if ep_name and get(g.props, "privateEndpointName") == ep_name]
        if not (
            named or items(get(endpoint.props, "privateDnsZoneGroups")) or graph.referring(endpoint, DNS_ZONE_GROUP)
        ):
            report(
                f"Private endpoint {endpoint.name} has no DNS zone group: its name resolves to the public address.",
                endpoint.urn,
            )
    links = graph.of_type(VNET_LINK)
    for zone in graph.of_type(PRIVATE_ZONE):
        zone_name = get(zone.props, "privateZoneName")
        named = [link for link in links if zone_name and get(link.props, "privateZoneName") == zone_name]
        if not (named or graph.referring(zone, VNET_LINK)):
            report(
                f"Private DNS zone {zone_name or zone.name} is not linked to a VNet: nothing resolves through it.",
                zone.urn,
            )


# Resource type -> private-link group ids any one of which serves it (Key Vault: KV-06).
PRIVATE_LINK_GROUPS = {
    "azure-native:storage:StorageAccount": ("blob", "file", "dfs", "queue", "table", "web"),
    "azure-native:containerregistry:Registry": ("registry",),
    "azure-native:cognitiveservices:Account": ("account",),
    "azure-native:machinelearningservices:Workspace": ("amlworkspace",),
}


@stack_rule(
    "NET-04",
    "paas-private-endpoints",
    scope="P",
    severity=Severity.MEDIUM,
    description="Storage accounts, registries, Cognitive Services accounts and ML workspaces are "
    "served by a private endpoint (completes ST-03, ACR-02, AI-02 and ML-01).",
    remediation="Create a private endpoint for the resource (group blob, registry, account or "
    "amlworkspace) in the private-endpoints subnet, with its DNS zone group.",
)
def net_paas_private_endpoints(resources: Sequence[PolicyResource], report: Report, params: Params) -> None:
    graph = Graph(resources)
    for type_, groups in PRIVATE_LINK_GROUPS.items():
        for target in graph.of_type(type_):
            if not any(graph.private_endpoints_for(target, group) for group in groups):
                report(
                    f"{type_.split(':')[-1]} {target.name} has no private endpoint: it is reached over "
                    "public endpoints.",
                    target.urn,
                )
