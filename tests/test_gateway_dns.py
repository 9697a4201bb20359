"""The internal gateway's host names resolve to its private VIP inside the VNet (a private zone azure-api.net)."""

from __future__ import annotations

import pytest

from llmops_infra.components.gateway_dns import record_names

APIM = "azure-native:apimanagement:ApiManagementService"
ZONE = "azure-native:privatedns:PrivateZone"
LINK = "azure-native:privatedns:VirtualNetworkLink"
RECORD = "azure-native:privatedns:PrivateRecordSet"


def test_record_names_are_the_default_endpoints():
    assert record_names("apim-x") == [
        "apim-x",
        "apim-x.portal",
        "apim-x.developer",
        "apim-x.management",
        "apim-x.scm",
    ]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_zone_is_linked_to_the_vnet_and_maps_every_host_name_to_the_private_vip(plans, env):
    plan = plans(env)
    [service] = plan.of_type(APIM)
    [zone] = [z for z in plan.of_type(ZONE) if z.props["privateZoneName"] == "azure-api.net"]
    [link] = [lk for lk in plan.of_type(LINK) if lk.props["privateZoneName"] == "azure-api.net"]
    [vnet] = plan.of_type("azure-native:network:VirtualNetwork")
    assert link.props["virtualNetwork"]["id"] == vnet.outputs["id"]
    assert link.props["registrationEnabled"] is False
    records = {
        r.props["relativeRecordSetName"]: r.props
        for r in plan.of_type(RECORD)
        if r.props["privateZoneName"] == "azure-api.net"  # the app tier's environment zone has its own
    }
    name = service.props["serviceName"]
    assert sorted(records) == sorted(record_names(name))
    for record in records.values():
        assert record["recordType"] == "A"
        # the mocks' private VIP of an internal service (Azure assigns it from the gateway subnet)
        assert record["aRecords"] == [{"ipv4Address": "192.0.2.5"}]
        assert record["privateZoneName"] == "azure-api.net"
    assert zone.props["location"] == "global"


def test_internal_mode_brings_no_public_ip_of_its_own(plans):
    """Since May 2024 a public IP is optional in internal mode (stv2): without one Azure manages the address used
    for management traffic only (learn.microsoft.com/azure/api-management/api-management-using-with-internal-vnet,
    prerequisites). The estate sets none."""
    [service] = plans("prod").of_type(APIM)
    assert "publicIpAddressId" not in service.props
    assert service.props["virtualNetworkType"] == "Internal"
