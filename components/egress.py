"""Where pods in the estate may connect to, as plain data (no Pulumi import).

Kubernetes NetworkPolicies judge IP blocks, not names. A pod that signs in with workload
identity exchanges its service-account token at Microsoft Entra ID (login.microsoftonline.com),
which has no private endpoint: its published address ranges are the narrowest egress that
lets the exchange through. Everything else a serving pod needs (blob storage, Key Vault) is
reached through private endpoints in the VNet.
"""

from __future__ import annotations

import ipaddress

ENTRA_ID_CIDRS: tuple[str, ...] = (
    "20.20.32.0/19",
    "20.190.128.0/18",
    "20.231.128.0/19",
    "40.126.0.0/18",
)
"""IPv4 ranges of Microsoft Entra ID's sign-in endpoints (login.microsoftonline.com,
login.windows.net, ...): Microsoft 365 endpoint set 56, "Microsoft 365 Common", category Allow,
required. Sources (read 2026-12-01): https://learn.microsoft.com/microsoft-365/enterprise/urls-and-ip-address-ranges
(MicrosoftDocs/microsoft-365-docs includes/office-365-worldwide-endpoints.md lists 20.190.128.0/18
and 40.126.0.0/18 for ID 56) and the current endpoint list as mirrored by
rezmoss/cloud-provider-ip-addresses (updated 2026-07-12), which adds 20.20.32.0/19 and
20.231.128.0/19. Microsoft publishes changes 30 days ahead: refresh from
https://endpoints.office.com/endpoints/worldwide (endpoint set 56) and override
`inference.entra_id_cidrs` when they change."""

DNS_PORTS = ({"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53})
HTTPS = {"protocol": "TCP", "port": 443}

PRIVATE_RANGES: tuple[str, ...] = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
"""RFC 1918: never part of an internet egress rule (the VNet, peered networks and the pod
overlay live there; pods reach what they need in it through explicit rules)."""


def cluster_dns_peer() -> dict[str, object]:
    """The NetworkPolicy peer of the cluster's DNS (CoreDNS, `k8s-app: kube-dns` in kube-system)."""
    return {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
    }


def dns_rule() -> dict[str, object]:
    return {"to": [cluster_dns_peer()], "ports": [dict(p) for p in DNS_PORTS]}


def https_to(cidrs: tuple[str, ...] | list[str]) -> dict[str, object]:
    """An egress rule to HTTPS on each of `cidrs` (refuses an empty list and the whole internet)."""
    if not cidrs:
        raise ValueError("an HTTPS egress rule needs at least one CIDR")
    for cidr in cidrs:
        network = ipaddress.ip_network(cidr, strict=False)
        if network.prefixlen == 0:
            raise ValueError(f"egress to {cidr} opens the whole internet: name the ranges the pod needs")
    return {"to": [{"ipBlock": {"cidr": cidr}} for cidr in cidrs], "ports": [dict(HTTPS)]}


def internet_https() -> dict[str, object]:
    """HTTPS to public addresses only (the model hub and its CDN have no stable ranges): for the
    one-off weights staging job, never for a serving pod."""
    return {
        "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": list(PRIVATE_RANGES)}}],
        "ports": [dict(HTTPS)],
    }
