"""Egress rules: HTTPS to named ranges only; the internet only for the staging job, never private ranges."""

from __future__ import annotations

import ipaddress

import pytest

from llmops_infra.components import egress


def test_https_to_names_each_range_and_refuses_the_internet() -> None:
    rule = egress.https_to(["10.20.16.0/24"])
    assert rule == {"to": [{"ipBlock": {"cidr": "10.20.16.0/24"}}], "ports": [{"protocol": "TCP", "port": 443}]}
    with pytest.raises(ValueError, match="opens the whole internet"):
        egress.https_to(["0.0.0.0/0"])
    with pytest.raises(ValueError, match="at least one CIDR"):
        egress.https_to([])


def test_internet_https_excludes_every_private_range() -> None:
    [peer] = egress.internet_https()["to"]
    assert peer["ipBlock"]["cidr"] == "0.0.0.0/0"
    excluded = [ipaddress.ip_network(c) for c in peer["ipBlock"]["except"]]
    for address in ("10.20.16.4", "172.16.0.1", "192.168.1.1"):
        assert any(ipaddress.ip_address(address) in net for net in excluded)


def test_entra_id_ranges_are_public_ipv4_blocks() -> None:
    for cidr in egress.ENTRA_ID_CIDRS:
        network = ipaddress.IPv4Network(cidr)
        assert not network.is_private and network.prefixlen >= 16


def test_dns_rule_targets_cluster_dns_on_port_53() -> None:
    rule = egress.dns_rule()
    assert rule["to"] == [egress.cluster_dns_peer()]
    assert sorted((p["protocol"], p["port"]) for p in rule["ports"]) == [("TCP", 53), ("UDP", 53)]
