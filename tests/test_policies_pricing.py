"""Price catalogs per region: what ships, how a region without prices of its own is priced (East US,
unverified, said so), and the refresh from a local stand-in for the Azure Retail Prices API into the
user cache, which every pricing command then reads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from retail_prices_replay import Replay, retail_prices_api

from llmops_infra.config.loader import list_environments, load_environment
from llmops_infra.errors import ConfigError
from llmops_infra.policies import pricing
from llmops_infra.policies.price_refresh import refresh_region, vm_prices
from llmops_infra.policies.pricing import PriceCatalogError, catalog_for, read_catalog, shipped_regions

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def api() -> Iterator[Replay]:
    with retail_prices_api() as replay:
        yield replay


@pytest.fixture(autouse=True)
def _fresh_catalogs() -> Iterator[None]:
    pricing.clear_cache()
    yield
    pricing.clear_cache()


def test_every_region_the_shipped_environments_use_or_allow_has_a_catalog() -> None:
    used = set()
    for env in list_environments(REPO):
        config = load_environment(env, REPO)
        used |= {config.azure.location, *config.cost.allowed_regions}
    assert used <= set(shipped_regions()), sorted(used - set(shipped_regions()))


def test_shipped_entries_name_source_date_and_say_they_are_unverified() -> None:
    east = catalog_for("eastus")
    assert east.price("vm/Standard_NC4as_T4_v3") == 0.526 and east.price("vm/standard_nc24ads_a100_v4") == 3.673
    assert east.price("vm/Standard_NC4as_T4_v3", spot=True) == 0.063
    for key, entry in east.data["entries"].items():
        assert entry["source"] and "date" in entry and entry["verified"] is False, key
    assert east.assumption("log_analytics_gb_per_day") > 0


@pytest.mark.parametrize("region", ["eastus2", "swedencentral"])
def test_a_region_without_recorded_prices_is_priced_from_east_us_unverified(region: str) -> None:
    catalog = catalog_for(region)
    assert catalog.data["entries"] == {} and catalog.data["fallback"] == "eastus"
    found = catalog.lookup("vm/Standard_NC24ads_A100_v4")
    assert found is not None and found.value == 3.673 and found.region == "eastus" and found.verified is False
    assert catalog.assumption("storage_gb") == 500 and catalog.hours_per_month == 730
    assert "falling back to" in catalog.describe() and "(eastus)" in catalog.describe()


def test_a_region_nobody_catalogued_is_east_us_and_says_so() -> None:
    catalog = catalog_for("westeurope")
    found = catalog.lookup("vm/Standard_D4ds_v5")
    assert found is not None and found.region == "eastus" and not found.verified
    assert "westeurope" in catalog.describe()


def test_vm_prices_keep_linux_on_demand_and_spot_of_the_region() -> None:
    pages = json.loads((REPO / "tests" / "fixtures" / "retail_prices" / "eastus2.json").read_text())["pages"]
    items = pages[0] + pages[1]
    assert vm_prices(items, "eastus2") == {
        "Standard_NC24ads_A100_v4": {"price": 4.0, "spot": 0.5},
        "Standard_D4ds_v5": {"price": 0.25},
    }
    assert vm_prices(items, "eastus") == {"Standard_D4ds_v5": {"price": 0.21}}


def test_refresh_reads_the_region_follows_pages_and_dates_entries(api: Replay) -> None:
    refreshed = refresh_region(catalog_for("eastus2"), "eastus2", api_url=api.url, today=date(2026, 12, 1))
    assert sorted(refreshed.updated) == ["Standard_D4ds_v5", "Standard_NC24ads_A100_v4"]
    assert all("armRegionName eq 'eastus2'" in f and "priceType eq 'Consumption'" in f for f in api.filters())
    assert any("page=1" in r for r in api.requests)  # followed NextPageLink
    entry = refreshed.data["entries"]["vm/Standard_NC24ads_A100_v4"]
    assert entry == {
        "price": 4.0,
        "spot": 0.5,
        "unit": "1 Hour",
        "source": "Azure Retail Prices API (eastus2, Linux, pay-as-you-go)",
        "date": "2026-12-01",
        "verified": True,
    }
    # what the API did not answer keeps coming from East US, unverified
    assert refreshed.data["fallback"] == "eastus" and "Standard_NC4as_T4_v3" in refreshed.missing
    assert refreshed.data["region"] == "eastus2" and refreshed.data["generated"] == "2026-12-01"


def test_unreachable_api_is_a_clear_error() -> None:
    with pytest.raises(PriceCatalogError, match="prices API"):
        refresh_region(catalog_for("eastus"), "eastus", api_url="http://127.0.0.1:9/none")


def test_catalog_errors_are_bad_input_that_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "prices.json"
    bad.write_text('{"entries": []}')
    with pytest.raises(PriceCatalogError, match=r"prices.json has no 'entries' object") as caught:
        read_catalog(bad)
    assert isinstance(caught.value, ConfigError) and caught.value.exit_code == 2
    bad.write_text('{"entries": {"vm/x": {"price": "cheap"}}}')
    with pytest.raises(PriceCatalogError, match="entry 'vm/x' has no numeric 'price'"):
        read_catalog(bad)
    empty = tmp_path / "empty-dir"
    empty.mkdir()
    with pytest.raises(PriceCatalogError, match=r"has no eastus2.json \(it has: none\)"), pricing.override(empty):
        catalog_for("eastus2")
    with pytest.raises(PriceCatalogError, match="cannot write price catalog"):
        pricing.write_catalog({"entries": {}}, bad / "under-a-file.json")


def test_an_explicit_file_of_another_region_prices_unverified(tmp_path: Path) -> None:
    file = tmp_path / "mine.json"
    file.write_text(
        json.dumps(
            {"region": "eastus", "entries": {"vm/Standard_D4ds_v5": {"price": 1.0, "verified": True, "date": "x"}}}
        )
    )
    with pricing.override(file):
        here = catalog_for("eastus").lookup("vm/Standard_D4ds_v5")
        there = catalog_for("eastus2").lookup("vm/Standard_D4ds_v5")
    assert here is not None and here.verified and here.value == 1.0
    assert there is not None and not there.verified and there.value == 1.0
