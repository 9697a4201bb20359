"""FW-01, FW-02: each rule fails on a violating fixture and passes on a compliant one."""

from llmops_infra.policies.testing import Fixture, stack_violations

CLUSTER = "azure-native:containerservice:ManagedCluster"
VNET = "azure-native:network:VirtualNetwork"
ROUTE = "azure-native:network:Route"
POLICY = "azure-native:network:FirewallPolicy"
RULES = "azure-native:network:FirewallPolicyRuleCollectionGroup"
FIREWALL = "azure-native:network:AzureFirewall"
DIAG = "azure-native:monitor:DiagnosticSetting"
FW_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/azureFirewalls/afw"


def _estate(outbound: str, *, route: bool = True, table: bool = True) -> list[Fixture]:
    subnet = {"name": "snet-aks", "routeTable": {"id": "/x/routeTables/rt"}} if table else {"name": "snet-aks"}
    fixtures = [
        Fixture(CLUSTER, "aks", {"networkProfile": {"outboundType": outbound}}),
        Fixture(VNET, "vnet", {"subnets": [subnet]}),
    ]
    if route:
        fixtures.append(
            Fixture(
                ROUTE,
                "default",
                {"addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.0.0.4"},
            )
        )
    return fixtures


def test_fw_01_prod_egress_goes_through_a_firewall():
    assert stack_violations("FW-01", _estate("userDefinedRouting")) == []
    found = stack_violations("FW-01", _estate("loadBalancer"))
    assert len(found) == 1 and "loadBalancer" in found[0]
    assert "no route sends" in stack_violations("FW-01", _estate("userDefinedRouting", route=False))[0]
    assert "route table" in stack_violations("FW-01", _estate("userDefinedRouting", table=False))[0]
    assert len(stack_violations("FW-01", [Fixture(CLUSTER, "aks", {})])) == 1  # absent: the load balancer


def _firewall(*, mode: str = "Deny", logged: bool = True, rules: list | None = None) -> list[Fixture]:
    https = {"name": "aks", "ruleType": "ApplicationRule", "targetFqdns": ["mcr.microsoft.com"]}
    fixtures = [
        Fixture(POLICY, "policy", {"threatIntelMode": mode}),
        Fixture(RULES, "rules", {"ruleCollections": [{"action": {"type": "Allow"}, "rules": rules or [https]}]}),
        Fixture(FIREWALL, "fw", {"id": FW_ID, "firewallPolicy": {"id": "/x/firewallPolicies/p"}}),
    ]
    if logged:
        fixtures.append(
            Fixture(
                DIAG,
                "fw-diag",
                {
                    "resourceUri": FW_ID,
                    "workspaceId": "/x/workspaces/log",
                    "logs": [{"categoryGroup": "allLogs", "enabled": True}],
                },
                depends_on=["fw"],
            )
        )
    return fixtures


def test_fw_02_firewall_denies_by_default_and_logs():
    assert stack_violations("FW-02", _firewall()) == []
    assert "Alert" in stack_violations("FW-02", _firewall(mode="Alert"))[0]
    assert "no logs" in stack_violations("FW-02", _firewall(logged=False))[0]
    star = [{"name": "all", "ruleType": "ApplicationRule", "targetFqdns": ["*"]}]
    assert "target *" in stack_violations("FW-02", _firewall(rules=star))[0]
    any_any = [{"name": "open", "ruleType": "NetworkRule", "destinationAddresses": ["*"], "destinationPorts": ["*"]}]
    assert "any destination" in stack_violations("FW-02", _firewall(rules=any_any))[0]
