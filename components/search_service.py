"""Azure AI Search for retrieval: private, Entra-only, observed.

Keys are off (`disableLocalAuth`: callers use Entra tokens and the data-plane roles below), public
network access is disabled, the service is reached through a private endpoint (group
`searchService`, zone privatelink.search.windows.net) and sends its logs to Log Analytics.
Properties sit at the top level of `Microsoft.Search/searchServices` in the installed SDK (API
2025-05-01; learn.microsoft.com/azure/templates/microsoft.search/searchservices, read 2026-12-01).

Apps get "Search Index Data Reader" (query) or "Search Index Data Contributor" (load documents) on
this service only (learn.microsoft.com/azure/search/search-security-rbac, read 2026-12-01).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pulumi
from pulumi_azure_native import search

from llmops_infra.components.private_service import PrivateServiceArgs, make_private

PRIVATE_LINK_GROUP = "searchService"
SKUS = ("basic", "standard", "standard2", "standard3")


@dataclass(frozen=True, kw_only=True)
class SearchServiceArgs(PrivateServiceArgs):
    """Placement (`PrivateServiceArgs`), name and size of the service."""

    service: ClassVar[str] = "AI Search"
    zones: ClassVar[str] = "privatelink.search.windows.net"

    service_name: str
    """Azure name (globally unique: from the Namer)."""
    sku: str = "basic"
    """Tier. Default: basic, the smallest tier with private endpoints."""
    replicas: int = 1
    """Replicas. Default: one (no query SLA; two give a read SLA)."""
    partitions: int = 1
    """Partitions. Default: one."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.sku not in SKUS:
            raise ValueError(f"search sku {self.sku!r}: use one of {list(SKUS)} (free has no private endpoint)")
        if self.sku == "basic" and (self.replicas > 3 or self.partitions > 1):
            raise ValueError("search basic takes at most 3 replicas and 1 partition: use standard or scale down")


class SearchService(pulumi.ComponentResource):
    """An AI Search service with keys off, no public access, a private endpoint and diagnostics.

    Children: the service, its private endpoint (with DNS zone group), its diagnostic setting.
    """

    service_id: pulumi.Output[str]
    service_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]

    def __init__(self, name: str, args: SearchServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:data:SearchService", name, None, opts)
        service = search.Service(
            f"{name}-service",
            search_service_name=args.service_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku=search.SkuArgs(name=args.sku),
            replica_count=args.replicas,
            partition_count=args.partitions,
            hosting_mode=search.HostingMode.DEFAULT,
            # Entra tokens only: a query key would read every index, unaudited and unrevocable per caller.
            disable_local_auth=True,
            public_network_access=args.public_network_access,
            network_rule_set=search.NetworkRuleSetArgs(ip_rules=[], bypass="None"),
            identity=search.IdentityArgs(type=search.IdentityType.SYSTEM_ASSIGNED),
            opts=pulumi.ResourceOptions(parent=self),
        )
        make_private(
            name,
            args,
            resource_id=service.id,
            group_id=PRIVATE_LINK_GROUP,
            service_name=args.service_name,
            parent=self,
        )
        self.service_id = service.id
        self.service_name = service.name
        self.endpoint = service.name.apply(lambda n: f"https://{n}.search.windows.net")
        self.register_outputs({"service_id": self.service_id, "endpoint": self.endpoint})
