"""Refresh a region's price catalog from the public Azure Retail Prices API
(https://prices.azure.com/api/retail/prices, unauthenticated; docs:
https://learn.microsoft.com/rest/api/cost-management/retail-prices/azure-retail-prices).

Only VM sizes are refreshed (GPU pools, system pools, ML managed compute, CI agents): they dominate
the estate's cost, and their meters are unambiguous (`armSkuName`, Linux, `Consumption`, "1 Hour";
spot meters end in " Spot", low-priority ones are left out). Other entries keep their recorded
source, or keep falling back to another region's catalog, marked unverified. A refreshed entry is
dated and verified for its region.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from llmops_infra.policies.pricing import PriceCatalog, PriceCatalogError

RETAIL_PRICES_API = "https://prices.azure.com/api/retail/prices"
MAX_PAGES = 50
SIZES_PER_QUERY = 15
"""VM sizes per OData filter: keeps each request URL short."""


@dataclass
class Refreshed:
    """A region's refreshed catalog data and what changed."""

    region: str
    data: dict[str, Any]
    updated: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    """Sizes the API did not return for the region (kept as they were, or left to the fallback)."""


def _vm_filter(region: str, sizes: list[str]) -> str:
    skus = " or ".join(f"armSkuName eq '{s}'" for s in sizes)
    return (
        f"serviceName eq 'Virtual Machines' and armRegionName eq '{region}' and priceType eq 'Consumption' and ({skus})"
    )


def fetch_items(api_url: str, odata_filter: str, *, timeout: float = 30.0) -> list[dict[str, Any]]:
    """Every item the API returns for the filter, following NextPageLink."""
    url: str | None = f"{api_url}?{urllib.parse.urlencode({'$filter': odata_filter})}"
    found: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        if not url:
            return found
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                page = json.loads(response.read().decode("utf-8"))
        except urllib.error.URLError as exc:
            raise PriceCatalogError(f"the prices API at {api_url} failed: {exc.reason}") from None
        except json.JSONDecodeError:
            raise PriceCatalogError(f"the prices API at {api_url} answered something that is not JSON") from None
        if not isinstance(page, dict):
            raise PriceCatalogError(f"the prices API at {api_url} answered a {type(page).__name__}, not an object")
        found.extend(item for item in page.get("Items") or [] if isinstance(item, dict))
        next_link = page.get("NextPageLink")
        url = next_link if isinstance(next_link, str) and next_link else None
    raise PriceCatalogError(f"the prices API returned more than {MAX_PAGES} pages: narrow the filter")


def vm_prices(items: list[dict[str, Any]], region: str | None = None) -> dict[str, dict[str, float]]:
    """armSkuName -> {"price": Linux on-demand, "spot": Linux spot} per hour, from API items
    (of `region` only, when given)."""
    prices: dict[str, dict[str, float]] = {}
    for item in items:
        if region is not None and str(item.get("armRegionName", "")).lower() != region.lower():
            continue
        if "windows" in str(item.get("productName", "")).lower() or item.get("unitOfMeasure") != "1 Hour":
            continue
        sku_name = str(item.get("skuName", ""))
        if "low priority" in sku_name.lower():
            continue
        kind = "spot" if sku_name.lower().endswith(" spot") else "price"
        size = str(item.get("armSkuName"))
        value = item["retailPrice"] if "retailPrice" in item else item.get("unitPrice")
        if isinstance(value, (int, float)):
            prices.setdefault(size, {})[kind] = float(value)
    return prices


def refresh_region(
    catalog: PriceCatalog, region: str, *, api_url: str = RETAIL_PRICES_API, today: date | None = None
) -> Refreshed:
    """`region`'s catalog with the VM prices the API gives today. `catalog` is what prices the region
    now: its own entries are kept (VM sizes updated), its fallback stays for the rest."""
    today = today or date.today()
    sizes = catalog.vm_sizes()
    fetched: dict[str, dict[str, float]] = {}
    for start in range(0, len(sizes), SIZES_PER_QUERY):
        chunk = sizes[start : start + SIZES_PER_QUERY]
        fetched.update(vm_prices(fetch_items(api_url, _vm_filter(region, chunk)), region))
    own = catalog.data if catalog.region == region else {"entries": {}}
    data: dict[str, Any] = json.loads(json.dumps(own))
    data.update({"schema": 2, "region": region, "currency": "USD", "generated": today.isoformat()})
    if catalog.region != region:  # a region priced from another's catalog until now
        data["fallback"] = catalog.region
    elif catalog.fallback is not None:
        data.setdefault("fallback", catalog.fallback.region)
    data["note"] = (
        f"VM prices of {region} read from the Azure Retail Prices API on {today.isoformat()} (Linux, "
        "pay-as-you-go); other entries as recorded, or from the fallback region's catalog (unverified)."
    )
    result = Refreshed(region, data)
    for size in sizes:
        found = fetched.get(size)
        if not found or "price" not in found:
            result.missing.append(size)
            continue
        key = next((k for k in data["entries"] if k.lower() == f"vm/{size}".lower()), f"vm/{size}")
        entry = {
            "price": found["price"],
            "unit": "1 Hour",
            "source": f"Azure Retail Prices API ({region}, Linux, pay-as-you-go)",
            "date": today.isoformat(),
            "verified": True,
        }
        if "spot" in found:
            entry["spot"] = found["spot"]
        data["entries"][key] = entry
        result.updated.append(size)
    return result
