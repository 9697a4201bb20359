"""The price catalog: unit prices shipped as data (`data/prices.json`), each with its source and
date, and their refresh from the public Azure Retail Prices API.

Only VM sizes are refreshed (GPU pools, system pools, ML managed compute): they dominate the
estate's cost. Other entries keep their recorded source until someone updates them by hand.
"""

from __future__ import annotations

import functools
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from llmops_infra.errors import ConfigError

RETAIL_PRICES_API = "https://prices.azure.com/api/retail/prices"
MAX_PAGES = 50


class PriceCatalogError(ConfigError):
    """The catalog file or the prices API gave something unusable (bad input: exit 2)."""


@dataclass(frozen=True)
class PriceCatalog:
    data: dict[str, Any]

    @property
    def hours_per_month(self) -> float:
        return float(self.data.get("hours_per_month", 730))

    def entry(self, key: str) -> dict[str, Any] | None:
        entry: dict[str, Any] | None = self.data["entries"].get(key)
        return entry

    def price(self, key: str, *, spot: bool = False) -> float | None:
        """Unit price of `key` (spot price when asked and known), None when not in the catalog."""
        entry = self.entry(key)
        if entry is None:
            # VM sizes are matched case-insensitively (Standard_NC4as_T4_v3 == standard_nc4as_t4_v3).
            lowered = key.lower()
            entry = next((e for k, e in self.data["entries"].items() if k.lower() == lowered), None)
        if entry is None:
            return None
        if spot and entry.get("spot") is not None:
            return float(entry["spot"])
        return float(entry["price"])

    def has_spot(self, key: str) -> bool:
        entry = self.entry(key)
        return bool(entry and entry.get("spot") is not None)

    def assumption(self, name: str) -> float:
        return float(self.data["assumptions"][name]["value"])

    def vm_sizes(self) -> list[str]:
        return sorted(k.split("/", 1)[1] for k in self.data["entries"] if k.startswith("vm/"))


def default_catalog_path() -> Path:
    return Path(str(resources.files("llmops_infra.policies") / "data" / "prices.json"))


def load_catalog(path: Path | None = None) -> PriceCatalog:
    """The catalog at `path` (default: the shipped one, read once per process)."""
    if path is None:
        return _shipped_catalog()
    return _read_catalog(path)


@functools.lru_cache(maxsize=1)
def _shipped_catalog() -> PriceCatalog:
    return _read_catalog(default_catalog_path())


def _read_catalog(path: Path) -> PriceCatalog:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PriceCatalogError(f"cannot read price catalog {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise PriceCatalogError(f"price catalog {path} is not JSON (line {exc.lineno}): {exc.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("entries"), dict):
        raise PriceCatalogError(f"price catalog {path} has no 'entries' object")
    return PriceCatalog(data)


# --------------------------------------------------------------------------- refresh


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
        found.extend(page.get("Items") or [])
        url = page.get("NextPageLink")
    raise PriceCatalogError(f"the prices API returned more than {MAX_PAGES} pages: narrow the filter")


def vm_prices(items: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """armSkuName -> {"price": Linux on-demand, "spot": Linux spot} per hour, from API items."""
    prices: dict[str, dict[str, float]] = {}
    for item in items:
        if "windows" in str(item.get("productName", "")).lower() or item.get("unitOfMeasure") != "1 Hour":
            continue
        sku_name = str(item.get("skuName", ""))
        if "low priority" in sku_name.lower():
            continue
        kind = "spot" if sku_name.lower().endswith(" spot") else "price"
        size = str(item.get("armSkuName"))
        prices.setdefault(size, {})[kind] = float(item["retailPrice"] if "retailPrice" in item else item["unitPrice"])
    return prices


def refresh_catalog(
    catalog: PriceCatalog, *, api_url: str = RETAIL_PRICES_API, today: date | None = None
) -> tuple[PriceCatalog, list[str]]:
    """A copy of the catalog with VM prices from the API; returns it and the sizes it updated."""
    today = today or date.today()
    sizes = catalog.vm_sizes()
    region = str(catalog.data.get("region", "eastus"))
    fetched = vm_prices(fetch_items(api_url, _vm_filter(region, sizes)))
    data = json.loads(json.dumps(catalog.data))
    updated = []
    for size in sizes:
        found = fetched.get(size)
        if not found or "price" not in found:
            continue
        entry = data["entries"][f"vm/{size}"]
        entry["price"] = found["price"]
        if "spot" in found:
            entry["spot"] = found["spot"]
        entry["source"] = f"Azure Retail Prices API ({region}, Linux, pay-as-you-go)"
        entry["date"] = today.isoformat()
        updated.append(size)
    return PriceCatalog(data), updated


def write_catalog(catalog: PriceCatalog, path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(catalog.data, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise PriceCatalogError(f"cannot write price catalog {path}: {exc.strerror}") from None
