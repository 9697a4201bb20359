"""Private DNS zones the estate's private endpoints need (Azure public cloud), as plain data.

Kept free of Pulumi imports so that config validation can check zone names cheaply.
"""

from __future__ import annotations

# Private-link group id -> the private DNS zone it needs. A group that needs several zones has
# one primary entry under its own id and the others under `<group>-<suffix>` keys.
PRIVATE_DNS_ZONES: dict[str, str] = {
    "vault": "privatelink.vaultcore.azure.net",
    "account": "privatelink.cognitiveservices.azure.com",
    "openai": "privatelink.openai.azure.com",
    # A Foundry resource (kind AIServices) also answers on <name>.services.ai.azure.com: its endpoint
    # registers in this zone besides the two above (the account's requiredZoneNames, read 2026-12-01).
    "account-foundry": "privatelink.services.ai.azure.com",
    # AI Search (group searchService) and Cosmos DB for NoSQL (group Sql): learn.microsoft.com/azure/
    # private-link/private-endpoint-dns, read 2026-12-01.
    "searchService": "privatelink.search.windows.net",
    "Sql": "privatelink.documents.azure.com",
    "registry": "privatelink.azurecr.io",
    "blob": "privatelink.blob.core.windows.net",
    "amlworkspace": "privatelink.api.azureml.ms",
    "amlworkspace-notebooks": "privatelink.notebooks.azure.net",
    "grafana": "privatelink.grafana.azure.com",
    # Azure Monitor Private Link Scope (group azuremonitor): the global endpoints, Log
    # Analytics' query/ingestion (oms, ods), the agent service, and the blob zone (agents'
    # solution packs), which it shares with storage.
    "azuremonitor": "privatelink.monitor.azure.com",
    "azuremonitor-oms": "privatelink.oms.opinsights.azure.com",
    "azuremonitor-ods": "privatelink.ods.opinsights.azure.com",
    "azuremonitor-agentsvc": "privatelink.agentsvc.azure-automation.net",
}

# Private-link group id -> every zone its endpoint registers records in (default: its own one).
GROUP_ZONES: dict[str, tuple[str, ...]] = {
    "azuremonitor": (
        PRIVATE_DNS_ZONES["azuremonitor"],
        PRIVATE_DNS_ZONES["azuremonitor-oms"],
        PRIVATE_DNS_ZONES["azuremonitor-ods"],
        PRIVATE_DNS_ZONES["azuremonitor-agentsvc"],
        PRIVATE_DNS_ZONES["blob"],
    ),
}


PROMETHEUS_GROUP = "prometheusMetrics"
"""Private-link sub-resource of an Azure Monitor workspace (Microsoft.Monitor/accounts): its query endpoint."""


def regional_zones(location: str) -> dict[str, str]:
    """Zones whose name carries the region: the Azure Monitor workspace's query endpoint resolves in
    privatelink.<region>.prometheus.monitor.azure.com (learn.microsoft.com/azure/private-link/
    private-endpoint-dns, 'Azure Managed Prometheus', read 2026-12-01)."""
    if not location or not location.replace("-", "").isalnum() or location != location.lower():
        raise ValueError(f"location {location!r} is not an Azure region name (e.g. eastus2)")
    return {PROMETHEUS_GROUP: f"privatelink.{location}.prometheus.monitor.azure.com"}


def zones_for_group(group_id: str) -> tuple[str, ...]:
    """Every private DNS zone an endpoint of `group_id` needs."""
    if group_id in GROUP_ZONES:
        return GROUP_ZONES[group_id]
    if group_id not in PRIVATE_DNS_ZONES:
        raise KeyError(
            f"no private DNS zone for private-link group {group_id!r}: use one of "
            f"{sorted(set(PRIVATE_DNS_ZONES) | set(GROUP_ZONES))}"
        )
    return (PRIVATE_DNS_ZONES[group_id],)


def known_zone_names() -> set[str]:
    return set(PRIVATE_DNS_ZONES.values())


def is_regional_zone(name: str) -> bool:
    """A zone of `regional_zones` for some region (a hub may own it like the others)."""
    parts = name.split(".")
    return len(parts) == 6 and parts[0] == "privatelink" and ".".join(parts[2:]) == "prometheus.monitor.azure.com"
