"""Network: subnets with NSGs that deny the internet, private DNS zones linked to the VNet."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import SUB, one, synth

from llmops_infra.components.private_endpoint import PRIVATE_DNS_ZONES

HUB_ZONE = f"/subscriptions/{SUB}/resourceGroups/rg-hub/providers/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net"


def _id(resource) -> str:
    return resource.outputs["id"]


def _args(**overrides):
    from llmops_infra.components.network import NetworkArgs, SubnetSpec

    values = {
        "resource_group_name": "rg-test",
        "location": "eastus",
        "vnet_name": "vnet-test",
        "address_space": "10.0.0.0/16",
        "subnets": {
            "aks_nodes": SubnetSpec(name="snet-aks", cidr="10.0.0.0/20", nsg_name="nsg-aks"),
            "private_endpoints": SubnetSpec(name="snet-pe", cidr="10.0.16.0/24", nsg_name="nsg-pe"),
            "ml_compute": SubnetSpec(name="snet-ml", cidr="10.0.17.0/24", nsg_name="nsg-ml"),
        },
        "log_analytics_workspace_id": "/subscriptions/x/resourceGroups/rg-test/providers/Microsoft.OperationalInsights/workspaces/log",
    }
    values.update(overrides)
    return NetworkArgs(**values)


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_subnet_has_its_own_nsg(plans, env):
    plan = plans(env)
    vnet = one(plan, "azure-native:network:VirtualNetwork", "network-vnet")
    nsg_ids = {_id(n) for n in plan.of_type("azure-native:network:NetworkSecurityGroup")}
    # aks nodes, private endpoints, ml compute, ci runners, the gateway, apps, agents (+ AzureFirewallSubnet in prod, no
    # NSG: Azure refuses one there; NET-02 exempts it)
    subnets = [s for s in vnet.props["subnets"] if s["name"] != "AzureFirewallSubnet"]
    assert len(vnet.props["subnets"]) == (8 if env == "prod" else 7)
    assert len(subnets) == 7
    attached = [s["networkSecurityGroup"]["id"] for s in subnets]
    assert set(attached) == nsg_ids and len(set(attached)) == 7
    # The apps and agents subnets belong to Container Apps environments, which manage their own egress (docs/apps.md).
    others = [s for s in subnets if not s["name"].endswith(("-apps", "-agents"))]
    assert all(s["defaultOutboundAccess"] is False for s in others)
    assert all(s["privateEndpointNetworkPolicies"] == "Enabled" for s in others)


def test_subnet_ranges_come_from_config(plans):
    vnet = one(plans("dev"), "azure-native:network:VirtualNetwork", "network-vnet")
    assert vnet.props["addressSpace"]["addressPrefixes"] == ["10.20.0.0/16"]
    prefixes = {s["name"]: s["addressPrefix"] for s in vnet.props["subnets"]}
    assert prefixes == {
        "snet-llmops-dev-eus-aks-nodes": "10.20.0.0/20",
        "snet-llmops-dev-eus-private-endpoints": "10.20.16.0/24",
        "snet-llmops-dev-eus-ml-compute": "10.20.17.0/24",
        "snet-llmops-dev-eus-ci": "10.20.18.0/26",
        "snet-llmops-dev-eus-apim": "10.20.19.0/27",
        "snet-llmops-dev-eus-apps": "10.20.24.0/24",
        "snet-llmops-dev-eus-agents": "10.20.25.0/24",
    }


def test_nsgs_deny_internet_and_management_ports_inbound(plans):
    for nsg in plans("prod").of_type("azure-native:network:NetworkSecurityGroup"):
        rules = {r["name"]: r for r in nsg.props["securityRules"]}
        internet = rules["deny-internet-inbound"]
        assert (internet["access"], internet["direction"], internet["sourceAddressPrefix"]) == (
            "Deny",
            "Inbound",
            "Internet",
        )
        assert internet["destinationPortRange"] == "*"
        management = rules["deny-management-ports-inbound"]
        assert management["access"] == "Deny" and management["destinationPortRanges"] == ["22", "3389"]
        allowed = [r for r in nsg.props["securityRules"] if r["access"] == "Allow"]
        # only the gateway's NSG admits anything: API Management's control plane and the Azure load balancer
        # (service tags, never Internet), before the denials
        assert not allowed or {(r["sourceAddressPrefix"], r["destinationPortRange"]) for r in allowed} == {
            ("ApiManagement", "3443"),
            ("AzureLoadBalancer", "6390"),
        }


def test_nsg_logs_go_to_the_workspace(plans):
    plan = plans("dev")
    workspace = _id(one(plan, "azure-native:operationalinsights:Workspace", "monitoring-log"))
    nsg_ids = {_id(n) for n in plan.of_type("azure-native:network:NetworkSecurityGroup")}
    diags = [d for d in plan.of_type("azure-native:monitor:DiagnosticSetting") if d.props["resourceUri"] in nsg_ids]
    assert len(diags) == 7  # one per NSG: aks nodes, private endpoints, ml compute, ci runners, gateway, apps, agents
    for diag in diags:
        assert diag.props["workspaceId"] == workspace
        assert diag.props["logs"] == [{"categoryGroup": "allLogs", "enabled": True}]


def test_each_private_dns_zone_is_created_global_and_linked_to_the_vnet(plans):
    plan = plans("dev")
    vnet_id = _id(one(plan, "azure-native:network:VirtualNetwork", "network-vnet"))
    # The network's zones (the apps environment's own zone, named after its domain, is the app tier's).
    zones = [z for z in plan.of_type("azure-native:privatedns:PrivateZone") if z.name.startswith("network-")]
    # The estate's zones, and the Azure Monitor workspace's regional one (dev runs in eastus).
    expected = sorted({*PRIVATE_DNS_ZONES.values(), "privatelink.eastus.prometheus.monitor.azure.com"})
    assert sorted(z.props["privateZoneName"] for z in zones) == expected
    assert {z.props["location"] for z in zones} == {"global"}
    links = [
        link for link in plan.of_type("azure-native:privatedns:VirtualNetworkLink") if link.name.startswith("network-")
    ]
    assert sorted(link.props["privateZoneName"] for link in links) == expected
    for link in links:
        assert link.props["virtualNetwork"] == {"id": vnet_id}
        assert link.props["registrationEnabled"] is False and link.props["location"] == "global"


def test_hub_owned_zones_are_used_not_created():
    from llmops_infra.components.network import Network

    seen = {}

    def program():
        net = Network("network", _args(existing_private_dns_zones={"privatelink.vaultcore.azure.net": HUB_ZONE}))
        net.dns_zone_ids["vault"].apply(lambda v: seen.setdefault("vault", v))
        net.subnet_ids["private_endpoints"].apply(lambda v: seen.setdefault("pe", v))

    plan = synth(program)
    names = {z.props["privateZoneName"] for z in plan.of_type("azure-native:privatedns:PrivateZone")}
    assert "privatelink.vaultcore.azure.net" not in names
    assert len(names) == len(set(PRIVATE_DNS_ZONES.values())) - 1
    assert len(plan.of_type("azure-native:privatedns:VirtualNetworkLink")) == len(names)
    assert seen["vault"] == HUB_ZONE
    assert seen["pe"].endswith("/virtualNetworks/vnet-test/subnets/snet-pe")


def test_zone_ids_answer_by_zone_name_and_by_group():
    from llmops_infra.components.network import ZoneIds

    ids = ZoneIds({"prometheusMetrics": "privatelink.eastus2.prometheus.monitor.azure.com"})
    ids["privatelink.vaultcore.azure.net"] = "zone-id"
    ids["privatelink.eastus2.prometheus.monitor.azure.com"] = "amw-zone-id"
    assert ids["vault"] == ids["privatelink.vaultcore.azure.net"] == "zone-id"
    assert ids["prometheusMetrics"] == "amw-zone-id"  # a regional zone answers by its group too
    with pytest.raises(KeyError, match="no private DNS zone 'openai'"):
        ids["openai"]


def test_regional_zones_are_named_after_the_region():
    from llmops_infra.components.dns_zones import is_regional_zone, regional_zones

    assert regional_zones("swedencentral") == {
        "prometheusMetrics": "privatelink.swedencentral.prometheus.monitor.azure.com"
    }
    assert is_regional_zone("privatelink.eastus2.prometheus.monitor.azure.com")
    assert not is_regional_zone("privatelink.monitor.azure.com")
    with pytest.raises(ValueError, match="not an Azure region"):
        regional_zones("East US")


def test_unknown_hub_zone_and_missing_subnet_are_rejected():
    from llmops_infra.components.network import SubnetSpec

    with pytest.raises(ValueError, match="not zones the estate uses"):
        _args(existing_private_dns_zones={"privatelink.example.com": HUB_ZONE})
    with pytest.raises(ValueError, match=r"subnets \['ml_compute'\] are missing"):
        _args(
            subnets={
                "aks_nodes": SubnetSpec(name="a", cidr="10.0.0.0/20", nsg_name="n"),
                "private_endpoints": SubnetSpec(name="b", cidr="10.0.16.0/24", nsg_name="m"),
            }
        )


def _dev_with_hub_zones(zones: dict[str, str]):
    from llmops_infra.config.loader import load_environment

    config = load_environment("dev", Path(__file__).resolve().parent.parent)
    return config.model_copy(
        update={"network": config.network.model_copy(update={"existing_private_dns_zones": zones})}
    )


def test_estate_with_a_hub_vault_zone_points_the_vault_endpoint_at_it():
    from llmops_infra.offline.planning import plan_config

    plan = plan_config(_dev_with_hub_zones({"privatelink.vaultcore.azure.net": HUB_ZONE}))
    group = one(plan, "azure-native:network:PrivateDnsZoneGroup", "key_vault-pe-dns")
    assert [c["privateDnsZoneId"] for c in group.props["privateDnsZoneConfigs"]] == [HUB_ZONE]
    assert "privatelink.vaultcore.azure.net" not in {
        z.props["privateZoneName"] for z in plan.of_type("azure-native:privatedns:PrivateZone")
    }


def test_config_rejects_a_hub_zone_the_estate_does_not_use():
    from pydantic import ValidationError

    from llmops_infra.config.models import NetworkConfig

    base = {
        "address_space": "10.0.0.0/16",
        "subnets": {"aks_nodes": "10.0.0.0/20", "private_endpoints": "10.0.16.0/24", "ml_compute": "10.0.17.0/24"},
    }
    other = HUB_ZONE.replace("privatelink.vaultcore.azure.net", "privatelink.example.com")
    with pytest.raises(
        ValidationError, match=r"\['privatelink.example.com'\] are not private DNS zones the estate uses"
    ):
        NetworkConfig(**base, existing_private_dns_zones={"privatelink.example.com": other})
    monitor_zone = HUB_ZONE.replace("privatelink.vaultcore.azure.net", "privatelink.monitor.azure.com")
    ok = NetworkConfig(**base, existing_private_dns_zones={"privatelink.monitor.azure.com": monitor_zone})
    assert ok.existing_private_dns_zones == {"privatelink.monitor.azure.com": monitor_zone}


def test_azure_monitor_needs_five_zones_and_other_groups_one():
    from llmops_infra.components.private_endpoint import zones_for_group

    assert zones_for_group("vault") == ("privatelink.vaultcore.azure.net",)
    assert zones_for_group("azuremonitor") == (
        "privatelink.monitor.azure.com",
        "privatelink.oms.opinsights.azure.com",
        "privatelink.ods.opinsights.azure.com",
        "privatelink.agentsvc.azure-automation.net",
        "privatelink.blob.core.windows.net",
    )
    assert set(zones_for_group("azuremonitor")) <= set(PRIVATE_DNS_ZONES.values())
    with pytest.raises(KeyError, match="no private DNS zone for private-link group 'sqlServer'"):
        zones_for_group("sqlServer")


def test_the_runner_subnet_is_delegated_with_a_nat_gateway_and_its_own_nsg():
    from llmops_infra.components.network import Network, RunnerSubnetSpec

    spec = RunnerSubnetSpec(
        name="snet-ci",
        cidr="10.0.18.0/26",
        nsg_name="nsg-ci",
        kind="github",
        nat_gateway_name="ng-ci",
        public_ip_name="pip-ci",
    )
    plan = synth(lambda: Network("network", _args(runner_subnet=spec)))
    vnet = one(plan, "azure-native:network:VirtualNetwork", "network-vnet")
    subnet = next(s for s in vnet.props["subnets"] if s["name"] == "snet-ci")
    assert subnet["delegations"] == [{"name": "ci-runners", "serviceName": "Microsoft.App/environments"}]
    assert subnet["defaultOutboundAccess"] is False
    nat = one(plan, "azure-native:network:NatGateway", "network-runner-nat")
    assert subnet["natGateway"]["id"] == _id(nat)
    address = one(plan, "azure-native:network:PublicIPAddress", "network-runner-egress-ip")
    assert nat.props["publicIpAddresses"] == [{"id": _id(address)}]
    assert address.props["publicIPAllocationMethod"] == "Static" and address.props["sku"]["name"] == "Standard"
    nsg = one(plan, "azure-native:network:NetworkSecurityGroup", "network-nsg-ci_runners")
    assert subnet["networkSecurityGroup"]["id"] == _id(nsg)
    assert {"deny-internet-inbound", "deny-management-ports-inbound"} <= {r["name"] for r in nsg.props["securityRules"]}
    assert subnet["serviceEndpoints"] == [{"service": "Microsoft.Storage"}, {"service": "Microsoft.KeyVault"}]


def test_runner_subnets_refuse_what_their_service_refuses():
    from llmops_infra.components.network import RunnerSubnetSpec

    common = {"name": "s", "nsg_name": "n", "nat_gateway_name": "g", "public_ip_name": "p"}
    with pytest.raises(ValueError, match="smaller than /27"):
        RunnerSubnetSpec(cidr="10.0.18.0/28", kind="github", **common)
    with pytest.raises(ValueError, match="runner subnet kind"):
        RunnerSubnetSpec(cidr="10.0.18.0/26", kind="jenkins", **common)
    assert RunnerSubnetSpec(cidr="10.0.18.0/28", kind="azure-devops", **common)
