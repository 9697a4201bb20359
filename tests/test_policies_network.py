"""NET-01 … NET-03, inline and separate forms."""

from llmops_infra.policies.testing import Fixture, stack_violations, violations

NSG = "azure-native:network:NetworkSecurityGroup"
RULE = "azure-native:network:SecurityRule"
VNET = "azure-native:network:VirtualNetwork"
SUBNET = "azure-native:network:Subnet"
PE = "azure-native:network:PrivateEndpoint"
ZONE_GROUP = "azure-native:network:PrivateDnsZoneGroup"
ZONE = "azure-native:privatedns:PrivateZone"
LINK = "azure-native:privatedns:VirtualNetworkLink"


def rule(**changes):
    return {
        "name": "r",
        "direction": "Inbound",
        "access": "Allow",
        "protocol": "Tcp",
        "sourceAddressPrefix": "10.0.0.0/8",
        "destinationPortRange": "443",
        "priority": 100,
        **changes,
    }


def test_net_01_inline_and_separate_rules():
    assert violations("NET-01", NSG, {"securityRules": [rule(), rule(sourceAddressPrefix="Internet")]}) == []
    assert (
        "port 22"
        in violations("NET-01", NSG, {"securityRules": [rule(sourceAddressPrefix="*", destinationPortRange="20-25")]})[
            0
        ]
    )
    assert "UDP" in violations("NET-01", RULE, rule(sourceAddressPrefix="0.0.0.0/0", protocol="Udp"))[0]
    assert violations("NET-01", RULE, rule(sourceAddressPrefixes=["Internet"], destinationPortRanges=["3389"]))
    # Deny rules and outbound rules do not expose anything.
    assert violations("NET-01", RULE, rule(sourceAddressPrefix="*", destinationPortRange="*", access="Deny")) == []
    assert (
        violations("NET-01", RULE, rule(sourceAddressPrefix="*", destinationPortRange="22", direction="Outbound")) == []
    )


def test_net_02_every_subnet_has_an_nsg():
    with_nsg = {"name": "snet-aks", "addressPrefix": "10.0.0.0/20", "networkSecurityGroup": {"id": "/x/nsg"}}
    gateway = {"name": "GatewaySubnet", "addressPrefix": "10.0.16.0/27"}
    assert violations("NET-02", VNET, {"subnets": [with_nsg, gateway]}) == []
    assert "snet-pe has no NSG" in violations("NET-02", VNET, {"subnets": [{"name": "snet-pe"}]})[0]
    assert violations("NET-02", SUBNET, {"subnetName": "snet-ml", "networkSecurityGroup": {"id": "/x"}}) == []
    assert violations("NET-02", SUBNET, {"subnetName": "snet-ml"})


def test_net_03_zone_groups_and_vnet_links():
    wired = [
        Fixture(PE, "pe", {"privateEndpointName": "pe-kv"}),
        Fixture(ZONE_GROUP, "dns", {"privateEndpointName": "pe-kv"}),
        Fixture(ZONE, "zone", {"privateZoneName": "privatelink.vaultcore.azure.net"}),
        Fixture(LINK, "link", {"privateZoneName": "privatelink.vaultcore.azure.net"}),
    ]
    assert stack_violations("NET-03", wired) == []
    by_dependency = [
        Fixture(PE, "pe"),
        Fixture(ZONE_GROUP, "dns", {}, ["pe"]),
        Fixture(ZONE, "zone"),
        Fixture(LINK, "link", {}, ["zone"]),
    ]
    assert stack_violations("NET-03", by_dependency) == []
    found = stack_violations(
        "NET-03", [Fixture(PE, "pe", {"privateEndpointName": "pe-kv"}), Fixture(ZONE, "zone", {"privateZoneName": "z"})]
    )
    assert len(found) == 2


def test_net_04_paas_private_endpoints():
    storage = Fixture("azure-native:storage:StorageAccount", "st")
    registry = Fixture("azure-native:containerregistry:Registry", "acr")
    blob_pe = Fixture(PE, "st-pe", {"privateLinkServiceConnections": [{"groupIds": ["blob"]}]}, ["st"])
    assert stack_violations("NET-04", [storage, blob_pe]) == []
    found = stack_violations("NET-04", [storage, registry, blob_pe])
    assert len(found) == 1 and "Registry acr has no private endpoint" in found[0]


def test_net_02_arm_shaped_subnets_keep_their_name_outside_properties():
    gateway = {"name": "GatewaySubnet", "properties": {"addressPrefix": "10.0.16.0/27"}}
    guarded = {"name": "snet-aks", "properties": {"networkSecurityGroup": {"id": "/x/nsg"}}}
    assert violations("NET-02", VNET, {"subnets": [gateway, guarded]}) == []
    bare = {"name": "snet-pe", "properties": {"addressPrefix": "10.0.32.0/24"}}
    assert violations("NET-02", VNET, {"subnets": [bare]}) == [
        "Subnet snet-pe has no NSG: nothing filters its traffic."
    ]
