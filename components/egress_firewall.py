"""Controlled egress: the cluster nodes' default route goes to a firewall that allows only named FQDNs.

`EgressFirewall` is an Azure Firewall in the estate (mode firewall); `hub_default_route` points the node
route table at a hub's firewall instead (mode hub). Either way AKS runs with `outboundType:
userDefinedRouting` and must be created after the route (and the rules) exist.

Facts (read 2026-12-01):
- AKS's required egress: UDP 1194 and TCP 9000 to the control plane (not for private clusters), UDP 123 NTP,
  and HTTPS to *.hcp.<region>.azmk8s.io (not for private clusters), mcr.microsoft.com,
  *.data.mcr.microsoft.com, mcr-0001.mcr-msedge.net, management.azure.com, login.microsoftonline.com,
  packages.microsoft.com, acs-mirror.azureedge.net (MicrosoftDocs/azure-aks-docs
  articles/aks/outbound-rules-control-egress.md; learn.microsoft.com/azure/aks/outbound-rules-control-egress).
  Azure Firewall's FQDN tag `AzureKubernetesService` stands for the same list (learn.microsoft.com/azure/aks/
  limit-egress-traffic); the explicit names are kept too, so the rules read without the tag's definition.
- Threat intelligence modes Alert, Deny, Off (learn.microsoft.com/rest/api/firewall, AzureFirewallThreatIntelMode);
  the Basic tier only alerts, Standard and Premium deny.
- Resource-specific log tables AZFWApplicationRule, AZFWNetworkRule, AZFWThreatIntel, AZFWDnsQuery ...
  (learn.microsoft.com/azure/azure-monitor/reference/supported-logs/microsoft-network-azurefirewalls-logs):
  the diagnostic setting sends allLogs with destination type Dedicated.
- Metrics FirewallHealth (Percent, Average) and SNATPortUtilization (Percent, Average/Maximum)
  (supported-metrics microsoft-network-azurefirewalls-metrics).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import network

from llmops_infra.components.alerts import metric_alert
from llmops_infra.components.diagnostics import diagnostic_setting
from llmops_infra.components.public_ip import static_public_ip

AKS_REQUIRED_FQDNS: tuple[str, ...] = (
    "mcr.microsoft.com",
    "*.data.mcr.microsoft.com",
    "mcr-0001.mcr-msedge.net",
    "management.azure.com",
    "login.microsoftonline.com",
    "packages.microsoft.com",
    "acs-mirror.azureedge.net",
)
"""HTTPS FQDNs every AKS cluster needs (Azure global; see the module docstring for the source)."""
AKS_FQDN_TAG = "AzureKubernetesService"
FIREWALL_NAMESPACE = "Microsoft.Network/azureFirewalls"


@dataclass(frozen=True, kw_only=True)
class EgressFirewallArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    firewall_name: str
    policy_name: str
    public_ip_name: str
    firewall_subnet_id: pulumi.Input[str]
    route_table_name: pulumi.Input[str]
    """The node subnet's route table (`Network.route_table_name`): gets the default route to the firewall."""
    source_cidrs: list[str]
    """Who may use the allowed destinations: the node subnet."""
    log_analytics_workspace_id: pulumi.Input[str]
    action_group_id: pulumi.Input[str]
    private_cluster: bool = True
    """A public API server also needs *.hcp.<region>.azmk8s.io and the tunnel ports. Default: private, neither."""
    allowed_fqdns: dict[str, list[str]] = field(default_factory=dict)
    """Rule name -> more HTTPS FQDNs the nodes may reach (model hub, image registries). Default: none."""
    sku_tier: str = "Standard"
    """Standard or Premium: both can deny by threat intelligence. Default: Standard."""
    zones: list[str] = field(default_factory=lambda: ["1", "2", "3"])
    """Availability zones of the firewall and its address. Default: zones 1, 2 and 3."""

    def __post_init__(self) -> None:
        if self.sku_tier not in ("Standard", "Premium"):
            raise ValueError(
                f"firewall tier {self.sku_tier}: use Standard or Premium (Basic cannot deny by threat intelligence)"
            )
        if not self.source_cidrs:
            raise ValueError("the firewall's rules need the node subnet as their source: pass source_cidrs")
        for rule, fqdns in self.allowed_fqdns.items():
            wild = [f for f in fqdns if f.strip() in ("*", "*.*")]
            if wild:
                raise ValueError(f"firewall rule {rule}: {wild} would allow every destination: name the hosts")


class EgressFirewall(pulumi.ComponentResource):
    """An Azure Firewall that denies by default: HTTPS only to the named FQDNs, NTP, and nothing else.

    Threat intelligence denies known-malicious addresses; DNS proxy on (FQDNs in network rules resolve
    as the nodes do); every log to Log Analytics in resource-specific tables; alerts on health and SNAT
    exhaustion. Children: the public IP, the policy, its rule collection group, the firewall, the default
    route in the node route table, the diagnostic setting, two alerts.
    """

    firewall_id: pulumi.Output[str]
    private_ip: pulumi.Output[str]
    default_route: network.Route
    """The node subnet's way out: the cluster depends on it (and on the rules) to be created."""
    rules: network.FirewallPolicyRuleCollectionGroup

    def __init__(self, name: str, args: EgressFirewallArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:network:EgressFirewall", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        address = static_public_ip(
            f"{name}-ip",
            name=args.public_ip_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            zones=args.zones,
            opts=child,
        )
        policy = network.FirewallPolicy(
            f"{name}-policy",
            firewall_policy_name=args.policy_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku=network.FirewallPolicySkuArgs(tier=args.sku_tier),
            threat_intel_mode="Deny",
            dns_settings=network.DnsSettingsArgs(enable_proxy=True),
            opts=child,
        )
        self.rules = network.FirewallPolicyRuleCollectionGroup(
            f"{name}-rules",
            rule_collection_group_name="egress",
            firewall_policy_name=policy.name,
            resource_group_name=args.resource_group_name,
            priority=200,
            rule_collections=[_network_rules(args), _application_rules(args)],
            opts=child,
        )
        firewall = network.AzureFirewall(
            f"{name}-fw",
            azure_firewall_name=args.firewall_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku=network.AzureFirewallSkuArgs(name="AZFW_VNet", tier=args.sku_tier),
            firewall_policy=network.SubResourceArgs(id=policy.id),
            ip_configurations=[
                network.AzureFirewallIPConfigurationArgs(
                    name="egress",
                    subnet=network.SubResourceArgs(id=args.firewall_subnet_id),
                    public_ip_address=network.SubResourceArgs(id=address.id),
                )
            ],
            zones=list(args.zones) or None,
            # the policy's rules must exist before traffic is routed here
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.rules]),
        )
        self.firewall_id = firewall.id
        self.private_ip = firewall.ip_configurations.apply(_first_private_ip)
        self.default_route = default_route(
            f"{name}-default-route",
            resource_group_name=args.resource_group_name,
            route_table_name=args.route_table_name,
            next_hop_ip=self.private_ip,
            parent=self,
        )
        diagnostic_setting(name, resource_id=firewall.id, workspace_id=args.log_analytics_workspace_id, parent=self)
        for metric, operator, threshold, aggregation, severity, why in (
            ("FirewallHealth", "LessThan", 90.0, "Average", 1, "firewall health under 90 %: node egress degraded"),
            (
                "SNATPortUtilization",
                "GreaterThan",
                80.0,
                "Maximum",
                2,
                "SNAT ports over 80 % used: outbound flows will fail",
            ),
        ):
            metric_alert(
                f"{name}-{metric.lower()}",
                resource_group_name=args.resource_group_name,
                scopes=[firewall.id],
                metric_name=metric,
                metric_namespace=FIREWALL_NAMESPACE,
                operator=operator,  # type: ignore[arg-type]  # literal values from the tuple above
                threshold=threshold,
                aggregation=aggregation,  # type: ignore[arg-type]  # literal values from the tuple above
                severity=severity,
                description=why,
                action_group_id=args.action_group_id,
                parent=self,
            )
        self.register_outputs({"firewall_id": self.firewall_id, "private_ip": self.private_ip})


def _first_private_ip(configs: Sequence[network.outputs.AzureFirewallIPConfigurationResponse] | None) -> str:
    if not configs or not configs[0].private_ip_address:
        return ""
    return configs[0].private_ip_address


def default_route(
    name: str,
    *,
    resource_group_name: pulumi.Input[str],
    route_table_name: pulumi.Input[str],
    next_hop_ip: pulumi.Input[str],
    parent: pulumi.Resource,
) -> network.Route:
    """0.0.0.0/0 to a firewall (ours or the hub's): the route AKS userDefinedRouting requires."""
    return network.Route(
        name,
        route_name="default-to-firewall",
        route_table_name=route_table_name,
        resource_group_name=resource_group_name,
        address_prefix="0.0.0.0/0",
        next_hop_type="VirtualAppliance",
        next_hop_ip_address=next_hop_ip,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _https(name: str, sources: list[str], fqdns: list[str]) -> network.ApplicationRuleArgs:
    return network.ApplicationRuleArgs(
        rule_type="ApplicationRule",
        name=name,
        source_addresses=sources,
        protocols=[network.FirewallPolicyRuleApplicationProtocolArgs(protocol_type="Https", port=443)],
        target_fqdns=fqdns,
    )


def _application_rules(args: EgressFirewallArgs) -> network.FirewallPolicyFilterRuleCollectionArgs:
    sources = list(args.source_cidrs)
    aks = list(AKS_REQUIRED_FQDNS)
    if not args.private_cluster:
        aks.append(f"*.hcp.{args.location}.azmk8s.io")
    rules = [
        _https("aks-required", sources, aks),
        network.ApplicationRuleArgs(
            rule_type="ApplicationRule",
            name="aks-fqdn-tag",
            source_addresses=sources,
            protocols=[network.FirewallPolicyRuleApplicationProtocolArgs(protocol_type="Https", port=443)],
            fqdn_tags=[AKS_FQDN_TAG],
        ),
    ]
    rules += [_https(rule, sources, list(fqdns)) for rule, fqdns in sorted(args.allowed_fqdns.items()) if fqdns]
    return network.FirewallPolicyFilterRuleCollectionArgs(
        rule_collection_type="FirewallPolicyFilterRuleCollection",
        name="allow-https",
        priority=200,
        action=network.FirewallPolicyFilterRuleCollectionActionArgs(type="Allow"),
        rules=rules,
    )


def _network_rules(args: EgressFirewallArgs) -> network.FirewallPolicyFilterRuleCollectionArgs:
    sources = list(args.source_cidrs)
    rules = [
        network.NetworkRuleArgs(
            rule_type="NetworkRule",
            name="ntp",
            ip_protocols=["UDP"],
            source_addresses=sources,
            destination_fqdns=["ntp.ubuntu.com"],
            destination_ports=["123"],
        )
    ]
    if not args.private_cluster:
        region = f"AzureCloud.{args.location}"
        rules += [
            network.NetworkRuleArgs(
                rule_type="NetworkRule",
                name="aks-tunnel-udp",
                ip_protocols=["UDP"],
                source_addresses=sources,
                destination_addresses=[region],
                destination_ports=["1194"],
            ),
            network.NetworkRuleArgs(
                rule_type="NetworkRule",
                name="aks-tunnel-tcp",
                ip_protocols=["TCP"],
                source_addresses=sources,
                destination_addresses=[region],
                destination_ports=["9000"],
            ),
        ]
    return network.FirewallPolicyFilterRuleCollectionArgs(
        rule_collection_type="FirewallPolicyFilterRuleCollection",
        name="allow-network",
        priority=100,
        action=network.FirewallPolicyFilterRuleCollectionActionArgs(type="Allow"),
        rules=rules,
    )
