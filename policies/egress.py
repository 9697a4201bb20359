"""Egress rules (FW-01, FW-02): cluster nodes leave through a firewall, and the firewall denies by default.

Network resources keep their settings at the top level (outboundType under networkProfile of the
ManagedCluster; threatIntelMode on the FirewallPolicy; ruleCollections on the rule collection group).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pulumi_policy import PolicyResource, Severity

from llmops_infra.policies.aks import CLUSTER
from llmops_infra.policies.framework import Params, Report, get, items, present, same, stack_rule
from llmops_infra.policies.graph import Graph

FIREWALL = "azure-native:network:AzureFirewall"
FIREWALL_POLICY = "azure-native:network:FirewallPolicy"
RULE_GROUP = "azure-native:network:FirewallPolicyRuleCollectionGroup"
ROUTE = "azure-native:network:Route"
ROUTE_TABLE = "azure-native:network:RouteTable"
VNET = "azure-native:network:VirtualNetwork"
SUBNET = "azure-native:network:Subnet"
DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"
EVERYWHERE = ("*", "0.0.0.0/0", "any", "internet")


def _default_routes(graph: Graph) -> list[Any]:
    """Routes 0.0.0.0/0 to a virtual appliance: separate Route resources and a table's inline routes."""
    routes = [r.props for r in graph.of_type(ROUTE)]
    routes += [route for table in graph.of_type(ROUTE_TABLE) for route in items(get(table.props, "routes"))]
    return [
        r for r in routes if get(r, "addressPrefix") == "0.0.0.0/0" and same(get(r, "nextHopType"), "VirtualAppliance")
    ]


def _subnets_with_routes(graph: Graph) -> int:
    inline = [s for v in graph.of_type(VNET) for s in items(get(v.props, "subnets"))]
    separate = [s.props for s in graph.of_type(SUBNET)]
    return sum(1 for s in inline + separate if present(s, "routeTable.id"))


@stack_rule(
    "FW-01",
    "aks-egress-through-firewall",
    scope="P",
    severity=Severity.HIGH,
    description="AKS egress goes through a firewall: outboundType userDefinedRouting, a route table on the node "
    "subnet whose default route leads to the firewall.",
    remediation="Set egress.mode firewall (or hub with hub_firewall_ip): the estate sets outboundType "
    "userDefinedRouting, a route table on the node subnet and 0.0.0.0/0 to the firewall.",
)
def fw_egress(resources: Sequence[PolicyResource], report: Report, params: Params) -> None:
    graph = Graph(resources)
    routes, routed_subnets = _default_routes(graph), _subnets_with_routes(graph)
    for cluster in graph.of_type(CLUSTER):
        outbound = get(cluster.props, "networkProfile.outboundType") or "loadBalancer"
        if not same(outbound, "userDefinedRouting"):
            report(
                f"Cluster {cluster.name} goes out through {outbound}: pods and nodes can reach any address on the "
                "internet, and nothing records where they went.",
                cluster.urn,
            )
            continue
        if not routes:
            report(
                f"Cluster {cluster.name} uses userDefinedRouting but no route sends 0.0.0.0/0 to a firewall.",
                cluster.urn,
            )
        if not routed_subnets:
            report(f"Cluster {cluster.name} uses userDefinedRouting but no subnet carries a route table.", cluster.urn)


def _logged(graph: Graph, firewall: PolicyResource) -> bool:
    for setting in graph.referring(firewall, DIAGNOSTIC_SETTING):
        if present(setting.props, "workspaceId") and any(
            get(log, "enabled") is True for log in items(get(setting.props, "logs"))
        ):
            return True
    return False


def _open_rules(group: PolicyResource) -> list[str]:
    found = []
    for collection in items(get(group.props, "ruleCollections")):
        if not same(get(collection, "action.type"), "Allow"):
            continue
        for rule in items(get(collection, "rules")):
            name = str(get(rule, "name") or "?")
            targets = [*items(get(rule, "targetFqdns")), *items(get(rule, "targetUrls"))]
            if any(str(t).strip() in ("*", "*.*") for t in targets):
                found.append(f"{name} (target *)")
            destinations = [*items(get(rule, "destinationAddresses")), *items(get(rule, "destinationFqdns"))]
            ports = [str(p) for p in items(get(rule, "destinationPorts"))]
            if any(str(d).lower() in EVERYWHERE for d in destinations) and "*" in ports:
                found.append(f"{name} (any destination, any port)")
    return found


@stack_rule(
    "FW-02",
    "firewall-deny-by-default",
    scope="P",
    severity=Severity.HIGH,
    description="The firewall denies by default: threat intelligence in Deny mode, logs to Log Analytics, no `*` "
    "target in application rules and no allow-all network rule.",
    remediation="Set threatIntelMode: Deny on the firewall policy, add a diagnostic setting (allLogs, workspace) on "
    "the firewall, and name the FQDNs and ports each rule allows.",
)
def fw_deny(resources: Sequence[PolicyResource], report: Report, params: Params) -> None:
    graph = Graph(resources)
    for policy in graph.of_type(FIREWALL_POLICY):
        mode = get(policy.props, "threatIntelMode") or "Alert"
        if not same(mode, "Deny"):
            report(
                f"Firewall policy {policy.name} threat intelligence is {mode}: known-malicious traffic passes.",
                policy.urn,
            )
    for group in graph.of_type(RULE_GROUP):
        for rule in _open_rules(group):
            report(
                f"Rule collection group {group.name} allows everything in {rule}: the firewall no longer denies "
                "by default.",
                group.urn,
            )
    for firewall in graph.of_type(FIREWALL):
        if not present(firewall.props, "firewallPolicy.id") and not same(
            get(firewall.props, "threatIntelMode"), "Deny"
        ):
            report(
                f"Firewall {firewall.name} has neither a firewall policy nor threat intelligence in Deny mode.",
                firewall.urn,
            )
        if not _logged(graph, firewall):
            report(
                f"Firewall {firewall.name} sends no logs to Log Analytics: allowed and denied flows leave no trace.",
                firewall.urn,
            )
