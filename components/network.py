"""The estate's network: a VNet, its subnets, an NSG on each, and the private DNS zones.

Private endpoints of every PaaS component land in the `private_endpoints` subnet and
register their records in the zones created here (or in a hub's zones, when given).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import network, privatedns

from llmops_infra.components.delegated_subnets import DELEGATED_KEYS, container_apps_subnet
from llmops_infra.components.diagnostics import diagnostic_setting
from llmops_infra.components.private_endpoint import PRIVATE_DNS_ZONES
from llmops_infra.components.public_ip import static_public_ip

SUBNET_KEYS = ("aks_nodes", "private_endpoints", "ml_compute")

# Ports an attacker on the internet tries first; never reachable from outside, and not
# even from inside the VNet: nodes are debugged with `kubectl debug`, not SSH.
MANAGEMENT_PORTS = ["22", "3389"]

FIREWALL_SUBNET = "AzureFirewallSubnet"
"""The name Azure Firewall requires of its subnet."""

APIM_INBOUND = (
    network.SecurityRuleArgs(
        name="allow-apim-management-inbound",
        description="API Management control plane to the management endpoint (required, internal mode).",
        priority=100,
        direction="Inbound",
        access="Allow",
        protocol="Tcp",
        source_address_prefix="ApiManagement",
        source_port_range="*",
        destination_address_prefix="VirtualNetwork",
        destination_port_range="3443",
    ),
    network.SecurityRuleArgs(
        name="allow-azure-load-balancer-inbound",
        description="Azure infrastructure load balancer health probes (required beyond one unit).",
        priority=110,
        direction="Inbound",
        access="Allow",
        protocol="Tcp",
        source_address_prefix="AzureLoadBalancer",
        source_port_range="*",
        destination_address_prefix="VirtualNetwork",
        destination_port_range="6390",
    ),
)
"""Inbound rules API Management needs in a VNet (classic tiers, internal mode): ApiManagement -> 3443 and
AzureLoadBalancer -> 6390, TCP (learn.microsoft.com/azure/api-management/virtual-network-reference, read
2026-12-01). Both come from service tags, never from Internet; outbound stays Azure's default."""


@dataclass(frozen=True, kw_only=True)
class SubnetSpec:
    """One subnet: its Azure name and address range."""

    name: str
    cidr: str
    nsg_name: str


RUNNER_DELEGATIONS = {
    "github": "Microsoft.App/environments",
    "azure-devops": "Microsoft.DevOpsInfrastructure/pools",
}
"""Container Apps environments (workload profiles: /27 or larger) and Managed DevOps Pools each take a
subnet delegated to them (learn.microsoft.com/azure/container-apps/networking;
learn.microsoft.com/azure/devops/managed-devops-pools/configure-networking)."""


@dataclass(frozen=True, kw_only=True)
class RunnerSubnetSpec:
    """The CI runners' subnet: delegated, with a NAT gateway (subnets have no implicit outbound access)."""

    name: str
    cidr: str
    nsg_name: str
    kind: str
    """github or azure-devops: which service the subnet is delegated to."""
    nat_gateway_name: str
    public_ip_name: str

    def __post_init__(self) -> None:
        if self.kind not in RUNNER_DELEGATIONS:
            raise ValueError(f"runner subnet kind {self.kind!r}: use one of {sorted(RUNNER_DELEGATIONS)}")
        prefix = int(self.cidr.rsplit("/", 1)[1])
        if self.kind == "github" and prefix > 27:
            raise ValueError(f"the runner subnet {self.cidr} is smaller than /27, the least Container Apps accept")


@dataclass(frozen=True, kw_only=True)
class NetworkArgs:
    resource_group_name: pulumi.Input[str]
    location: pulumi.Input[str]
    vnet_name: str
    address_space: str
    subnets: Mapping[str, SubnetSpec]
    """By key: aks_nodes, private_endpoints, ml_compute."""
    log_analytics_workspace_id: pulumi.Input[str]
    """Where the NSGs send their event and rule-counter logs."""
    existing_private_dns_zones: Mapping[str, str] = field(default_factory=dict)
    """Zone name -> resource id of zones owned by a hub. Default: every zone is created here
    and linked to the VNet; a hub's zones are used as they are (the hub links them)."""
    runner_subnet: RunnerSubnetSpec | None = None
    """The CI runners' subnet. Default: none."""
    app_subnet: SubnetSpec | None = None
    """The app tier's subnet (key `apps`), delegated to Microsoft.App/environments. Default: none."""
    agent_subnet: SubnetSpec | None = None
    """The Foundry Agent Service's subnet (key `agents`), delegated likewise and used by nothing else. Default: none."""
    regional_private_dns_zones: Mapping[str, str] = field(default_factory=dict)
    """Private-link group -> zone for zones named after the region (`dns_zones.regional_zones`), created
    and linked like the others. Default: none."""
    gateway_subnet: SubnetSpec | None = None
    """The AI gateway's subnet (API Management in internal VNet mode), whose NSG also admits the API
    Management control plane and the Azure load balancer (`APIM_INBOUND`). Default: none."""
    firewall_subnet_cidr: str | None = None
    """Range of AzureFirewallSubnet (/26 or larger; no NSG, as Azure requires). Default: none."""
    node_route_table_name: str | None = None
    """A route table on the node subnet, created empty here: the egress component adds the default route
    to the firewall (a route in the table would otherwise need the firewall before the VNet, which
    needs the table). Default: none, nodes use Azure's system routes."""

    def __post_init__(self) -> None:
        missing = [key for key in SUBNET_KEYS if key not in self.subnets]
        if missing:
            raise ValueError(f"network: subnets {missing} are missing: define {list(SUBNET_KEYS)}")
        if self.firewall_subnet_cidr is not None and int(self.firewall_subnet_cidr.rsplit("/", 1)[1]) > 26:
            raise ValueError(
                f"network: the firewall subnet {self.firewall_subnet_cidr} is smaller than /26, the least Azure Firewall accepts"
            )
        known = set(PRIVATE_DNS_ZONES.values()) | set(self.regional_private_dns_zones.values())
        unknown = sorted(set(self.existing_private_dns_zones) - known)
        if unknown:
            raise ValueError(
                f"network: existing_private_dns_zones {unknown} are not zones the estate uses: "
                f"use names from {sorted(known)}"
            )


class ZoneIds(dict[str, pulumi.Output[str]]):
    """Zone name -> zone id; also answers by private-link group id (`ids["vault"]`)."""

    def __init__(self, groups: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.groups = {**PRIVATE_DNS_ZONES, **(groups or {})}

    def __missing__(self, key: str) -> pulumi.Output[str]:
        zone = self.groups.get(key)
        if zone is None or zone not in self:
            raise KeyError(f"no private DNS zone {key!r}: use one of {sorted(self)}")
        return self[zone]


class Network(pulumi.ComponentResource):
    """A VNet whose subnets each carry an NSG that denies inbound traffic from the internet.

    Subnets are declared inline in the VNet so that the VNet and its subnets change together
    (separate subnet resources race the VNet's own updates). Every subnet turns off Azure's
    implicit outbound access; private endpoints honour the NSG (network policies on).
    Children: the VNet, one NSG and one diagnostic setting per subnet, the private DNS zones
    and their VNet links.
    """

    vnet_id: pulumi.Output[str]
    subnet_ids: dict[str, pulumi.Output[str]]
    dns_zone_ids: dict[str, pulumi.Output[str]]
    runner_egress_ip: pulumi.Output[str] | None
    """The runners' public outbound address (their NAT gateway's), when there are runners."""
    route_table_name: pulumi.Output[str] | None
    """The node subnet's route table, when `node_route_table_name` is given."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:network:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        nsgs: dict[str, network.NetworkSecurityGroup] = {}
        for key in SUBNET_KEYS:
            nsgs[key] = self._nsg(f"{name}-nsg-{key}", args.subnets[key].nsg_name, args, child)

        route_table = None
        self.route_table_name = None
        if args.node_route_table_name is not None:
            route_table = network.RouteTable(
                f"{name}-node-routes",
                route_table_name=args.node_route_table_name,
                resource_group_name=args.resource_group_name,
                location=args.location,
                # only the routes of this table (the default route to the firewall), not routes learned by BGP
                disable_bgp_route_propagation=True,
                opts=pulumi.ResourceOptions(parent=self, ignore_changes=["routes"]),
            )
            self.route_table_name = route_table.name
        subnets = [
            network.SubnetArgs(
                name=args.subnets[key].name,
                address_prefix=args.subnets[key].cidr,
                network_security_group=network.NetworkSecurityGroupArgs(id=nsgs[key].id),
                default_outbound_access=False,
                private_endpoint_network_policies="Enabled",
                route_table=network.RouteTableArgs(id=route_table.id)
                if key == "aks_nodes" and route_table is not None
                else None,
            )
            for key in SUBNET_KEYS
        ]
        extra_names: dict[str, str] = {}
        if args.gateway_subnet is not None:
            spec = args.gateway_subnet
            nsg = self._nsg(f"{name}-nsg-gateway", spec.nsg_name, args, child, extra_rules=APIM_INBOUND)
            subnets.append(
                network.SubnetArgs(
                    name=spec.name,
                    address_prefix=spec.cidr,
                    network_security_group=network.NetworkSecurityGroupArgs(id=nsg.id),
                    default_outbound_access=False,
                    private_endpoint_network_policies="Enabled",
                )
            )
            extra_names["gateway"] = spec.name
        if args.firewall_subnet_cidr is not None:
            subnets.append(network.SubnetArgs(name=FIREWALL_SUBNET, address_prefix=args.firewall_subnet_cidr))
            extra_names["firewall"] = FIREWALL_SUBNET
        self.runner_egress_ip = None
        if args.runner_subnet is not None:
            subnets.append(self._runner_subnet(name, args, args.runner_subnet, child))
        for key, delegated in zip(DELEGATED_KEYS, (args.app_subnet, args.agent_subnet), strict=True):
            if delegated is not None:
                nsg = self._nsg(f"{name}-nsg-{key}", delegated.nsg_name, args, child)
                subnets.append(container_apps_subnet(delegated.name, delegated.cidr, nsg.id, delegation=key))
                extra_names[key] = delegated.name
        vnet = network.VirtualNetwork(
            f"{name}-vnet",
            virtual_network_name=args.vnet_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            address_space=network.AddressSpaceArgs(address_prefixes=[args.address_space]),
            subnets=subnets,
            opts=child,
        )
        self.vnet_id = vnet.id
        names = {key: args.subnets[key].name for key in SUBNET_KEYS}
        if args.runner_subnet is not None:
            names["ci_runners"] = args.runner_subnet.name
        names.update(extra_names)
        self.subnet_ids = {key: pulumi.Output.concat(vnet.id, f"/subnets/{name}") for key, name in names.items()}

        self.dns_zone_ids = ZoneIds(args.regional_private_dns_zones)
        for group, zone_name in {**PRIVATE_DNS_ZONES, **args.regional_private_dns_zones}.items():
            if zone_name in self.dns_zone_ids:
                continue
            existing = args.existing_private_dns_zones.get(zone_name)
            if existing is not None:
                self.dns_zone_ids[zone_name] = pulumi.Output.from_input(existing)
                continue
            zone = privatedns.PrivateZone(
                f"{name}-dns-{group}",
                private_zone_name=zone_name,
                resource_group_name=args.resource_group_name,
                location="global",
                opts=child,
            )
            privatedns.VirtualNetworkLink(
                f"{name}-dns-{group}-link",
                virtual_network_link_name=f"link-{args.vnet_name}",
                private_zone_name=zone.name,
                resource_group_name=args.resource_group_name,
                location="global",
                virtual_network=privatedns.SubResourceArgs(id=vnet.id),
                # Records come from private endpoints' zone groups, never from VM auto-registration.
                registration_enabled=False,
                opts=child,
            )
            self.dns_zone_ids[zone_name] = zone.id

        self.register_outputs(
            {
                "vnet_id": self.vnet_id,
                "subnet_ids": self.subnet_ids,
                "dns_zone_ids": dict(self.dns_zone_ids),
            }
        )

    def _nsg(
        self,
        resource_name: str,
        nsg_name: str,
        args: NetworkArgs,
        child: pulumi.ResourceOptions,
        extra_rules: tuple[network.SecurityRuleArgs, ...] = (),
    ) -> network.NetworkSecurityGroup:
        """An NSG that denies inbound internet and management ports (after `extra_rules`), with its diagnostic setting."""
        nsg = network.NetworkSecurityGroup(
            resource_name,
            network_security_group_name=nsg_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            security_rules=[*extra_rules, *_inbound_denials()],
            opts=child,
        )
        # NSGs emit logs only (events, rule counters), no platform metrics.
        diagnostic_setting(
            resource_name,
            resource_id=nsg.id,
            workspace_id=args.log_analytics_workspace_id,
            parent=self,
            metrics=False,
        )
        return nsg

    def _runner_subnet(
        self, name: str, args: NetworkArgs, spec: RunnerSubnetSpec, child: pulumi.ResourceOptions
    ) -> network.SubnetArgs:
        """The runners' NSG, outbound NAT (a static public IP the API server can authorize) and subnet."""
        nsg = self._nsg(f"{name}-nsg-ci_runners", spec.nsg_name, args, child)
        address = static_public_ip(
            f"{name}-runner-egress-ip",
            name=spec.public_ip_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            opts=child,
        )
        nat = network.NatGateway(
            f"{name}-runner-nat",
            nat_gateway_name=spec.nat_gateway_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku=network.NatGatewaySkuArgs(name="Standard"),
            public_ip_addresses=[network.SubResourceArgs(id=address.id)],
            idle_timeout_in_minutes=10,
            opts=child,
        )
        self.runner_egress_ip = address.ip_address.apply(lambda ip: ip or "")
        return network.SubnetArgs(
            name=spec.name,
            address_prefix=spec.cidr,
            network_security_group=network.NetworkSecurityGroupArgs(id=nsg.id),
            default_outbound_access=False,
            nat_gateway=network.SubResourceArgs(id=nat.id),
            delegations=[network.DelegationArgs(name="ci-runners", service_name=RUNNER_DELEGATIONS[spec.kind])],
            # the state account and the release-signing vault admit this subnet (bootstrap adds their network
            # rules; a Key Vault virtual network rule needs the subnet's Microsoft.KeyVault service endpoint)
            service_endpoints=[
                network.ServiceEndpointPropertiesFormatArgs(service="Microsoft.Storage"),
                network.ServiceEndpointPropertiesFormatArgs(service="Microsoft.KeyVault"),
            ],
            private_endpoint_network_policies="Enabled",
        )


def _inbound_denials() -> list[network.SecurityRuleArgs]:
    """Explicit denials above Azure's default rules (which allow VNet and load-balancer traffic)."""
    return [
        _deny_inbound(
            "deny-management-ports-inbound",
            4000,
            source="*",
            ports=MANAGEMENT_PORTS,
            description="SSH and RDP are never reachable, from any source.",
        ),
        _deny_inbound(
            "deny-internet-inbound",
            4096,
            source="Internet",
            ports=["*"],
            description="Nothing in the estate is reachable from the internet; ingress is private.",
        ),
    ]


def _deny_inbound(
    name: str, priority: int, *, source: str, ports: list[str], description: str
) -> network.SecurityRuleArgs:
    # One port is written as a range, several as ranges: the wire form Azure returns on read.
    single = ports[0] if len(ports) == 1 else None
    return network.SecurityRuleArgs(
        name=name,
        description=description,
        priority=priority,
        direction="Inbound",
        access="Deny",
        protocol="*",
        source_address_prefix=source,
        source_port_range="*",
        destination_address_prefix="*",
        destination_port_range=single,
        destination_port_ranges=None if single else list(ports),
    )
