"""Cross-field rules shared by the component Args and the config models.

Each rule is written once, here, and raises `ValueError` with a message that names the setting
and the fix. The config models (`llmops_infra.config`) run them when an environment file is
validated, so the error carries the file, key and line; the component Args run them again so
that a component used on its own (from a user's Pulumi program) refuses the same mistakes.
Pure Python: no Pulumi import, so validating a config stays cheap.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

# Ranges a Key Vault firewall rule refuses: private (RFC 1918), shared (RFC 6598), loopback,
# link-local, "this network".
NON_PUBLIC_RANGES = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "0.0.0.0/8",
    )
)


def ipv4_network(cidr: str) -> ipaddress.IPv4Network:
    """`cidr` as a network; a ValueError that says what a valid CIDR looks like otherwise."""
    try:
        return ipaddress.IPv4Network(cidr, strict=True)
    except ValueError as exc:
        raise ValueError(f"{cidr!r} is not an IPv4 CIDR with its host bits zero ({exc})") from None


def check_bounds(low: int, high: int, low_name: str = "min_nodes", high_name: str = "max_nodes") -> None:
    """`low` must not exceed `high` (autoscaler bounds, replica counts)."""
    if low > high:
        raise ValueError(f"{low_name} ({low}) exceeds {high_name} ({high}): lower {low_name} or raise {high_name}")


def check_unique(names: Iterable[str], where: str, key: str) -> None:
    """No name appears twice in `where`."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{where}: {key} {name!r} appears twice: names must be unique")
        seen.add(name)


def check_api_server_access(private_cluster: bool, authorized_ip_ranges: Iterable[str]) -> None:
    """A private API server takes no authorized ranges; a public one needs them."""
    ranges = list(authorized_ip_ranges)
    if private_cluster and ranges:
        raise ValueError(
            "authorized_ip_ranges has no effect on a private cluster: remove it or set private_cluster: false"
        )
    if not private_cluster and not ranges:
        raise ValueError(
            "a public API server needs authorized_ip_ranges: list the CIDRs that may reach it "
            "or set private_cluster: true"
        )
    for cidr in ranges:
        ipv4_network(cidr)


def check_gpu_pool_names(names: Iterable[str]) -> None:
    """GPU pool names are unique and never the system pool's."""
    names = list(names)
    check_unique(names, "gpu_pools", "name")
    if "system" in names:
        raise ValueError("gpu_pools: 'system' is the system pool's name: choose another")


def check_vault_firewall(allow_public_network_access: bool, allowed_ip_ranges: Iterable[str]) -> None:
    """Firewall ranges only with public access, and only public IPv4 ranges, each once."""
    ranges = list(allowed_ip_ranges)
    if ranges and not allow_public_network_access:
        raise ValueError(
            "allowed_ip_ranges has no effect while allow_public_network_access is false: "
            "remove allowed_ip_ranges or allow public network access"
        )
    for cidr in ranges:
        net = ipv4_network(cidr)
        if any(net.overlaps(private) for private in NON_PUBLIC_RANGES):
            raise ValueError(
                f"allowed_ip_ranges: {cidr} is not a public range: the vault firewall takes public IPv4 "
                "ranges only; clients in the VNet come in through the private endpoint"
            )
    check_unique(ranges, "allowed_ip_ranges", "range")


def check_egress(outbound_type: str, egress_ready: bool) -> None:
    """A userDefinedRouting cluster needs its default route (and the firewall's rules) before it is created."""
    if outbound_type == "userDefinedRouting" and not egress_ready:
        raise ValueError(
            "outbound_type userDefinedRouting needs the route to the firewall first: pass egress_ready "
            "(the default route and the firewall rules), or the nodes cannot bootstrap"
        )
