"""The price catalog and its refresh from a local stand-in for the Azure Retail Prices API."""

from __future__ import annotations

import json
import threading
import urllib.parse
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from llmops_infra.policies.pricing import PriceCatalogError, load_catalog, refresh_catalog, vm_prices


def item(sku, sku_name, price, product="Virtual Machines NCasT4_v3 Series"):
    return {
        "armSkuName": sku,
        "skuName": sku_name,
        "productName": product,
        "retailPrice": price,
        "unitPrice": price,
        "unitOfMeasure": "1 Hour",
        "armRegionName": "eastus",
        "type": "Consumption",
    }


PAGES = {
    "1": {
        "Items": [
            item("Standard_NC4as_T4_v3", "NC4as T4 v3", 0.6),
            item("Standard_NC4as_T4_v3", "NC4as T4 v3 Spot", 0.07),
            item("Standard_NC4as_T4_v3", "NC4as T4 v3", 0.9, product="Virtual Machines NCasT4_v3 Series Windows"),
        ],
        "NextPageLink": None,
    },
    "2": {
        "Items": [item("Standard_D4ds_v5", "D4ds v5", 0.25), item("Standard_D4ds_v5", "D4ds v5 Low Priority", 0.05)],
        "NextPageLink": None,
    },
}


@pytest.fixture()
def prices_api():
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            if self.path.startswith("/page2"):
                page = PAGES["2"]
            else:  # the API returns absolute next-page links
                page = {**PAGES["1"], "NextPageLink": f"http://127.0.0.1:{self.server.server_port}/page2"}
            body = json.dumps(page).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api/retail/prices", requests
    server.shutdown()
    server.server_close()


def test_shipped_catalog_names_source_and_date_for_every_entry():
    catalog = load_catalog()
    assert catalog.price("vm/Standard_NC4as_T4_v3") == 0.526
    assert catalog.price("vm/Standard_NC4as_T4_v3", spot=True) == 0.063
    assert catalog.price("vm/standard_nc24ads_a100_v4") == 3.673
    for key, entry in catalog.data["entries"].items():
        assert entry["source"] and "date" in entry, key
        assert "unverified" in entry["source"] or entry["date"], key
    assert catalog.assumption("log_analytics_gb_per_day") > 0


def test_vm_prices_keep_linux_on_demand_and_spot():
    prices = vm_prices(PAGES["1"]["Items"] + PAGES["2"]["Items"])
    assert prices == {"Standard_NC4as_T4_v3": {"price": 0.6, "spot": 0.07}, "Standard_D4ds_v5": {"price": 0.25}}


def test_refresh_follows_next_page_link_and_dates_entries(prices_api):
    url, requests = prices_api
    refreshed, updated = refresh_catalog(load_catalog(), api_url=url, today=date(2026, 11, 22))
    assert sorted(updated) == ["Standard_D4ds_v5", "Standard_NC4as_T4_v3"]
    assert len(requests) == 2 and requests[1] == "/page2"
    odata = urllib.parse.parse_qs(urllib.parse.urlparse(requests[0]).query)["$filter"][0]
    assert "armRegionName eq 'eastus'" in odata and "armSkuName eq 'Standard_NC4as_T4_v3'" in odata
    entry = refreshed.entry("vm/Standard_NC4as_T4_v3")
    assert entry["price"] == 0.6 and entry["spot"] == 0.07 and entry["date"] == "2026-11-22"
    assert entry["source"].startswith("Azure Retail Prices API")
    # Sizes the API did not return keep their recorded source.
    assert "unverified" in refreshed.entry("vm/Standard_ND96isr_H100_v5")["source"]


def test_unreachable_api_is_a_clear_error():
    with pytest.raises(PriceCatalogError, match="prices API"):
        refresh_catalog(load_catalog(), api_url="http://127.0.0.1:9/none")


def test_catalog_errors_are_bad_input_that_names_the_file(tmp_path):
    from llmops_infra.errors import ConfigError
    from llmops_infra.policies.pricing import write_catalog

    bad = tmp_path / "prices.json"
    bad.write_text('{"entries": []}')
    with pytest.raises(PriceCatalogError, match=r"prices.json has no 'entries' object") as caught:
        load_catalog(bad)
    assert isinstance(caught.value, ConfigError) and caught.value.exit_code == 2
    with pytest.raises(PriceCatalogError, match="cannot write price catalog"):
        write_catalog(load_catalog(), bad / "under-a-file.json")


def test_the_command_prints_the_catalog_error_as_it_is(tmp_path):
    """Deliberate change: the CLI no longer re-wraps pricing errors, so the message loses the
    `--prices: ` / `--api-url: ` prefix it had; it names the file or the URL itself."""
    from typer.testing import CliRunner

    from llmops_infra.cli.app import app

    missing = tmp_path / "none.json"
    result = CliRunner().invoke(app, ["prices", "refresh", "--prices", str(missing)])
    assert result.exit_code == 2
    assert result.stderr == f"error: cannot read price catalog {missing}: No such file or directory\n"


def test_prices_refresh_command_writes_the_output(prices_api, tmp_path):
    from typer.testing import CliRunner

    from llmops_infra.cli.app import app

    url, _ = prices_api
    target = tmp_path / "prices.json"
    result = CliRunner().invoke(app, ["prices", "refresh", "--api-url", url, "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text())["entries"]["vm/Standard_D4ds_v5"]["price"] == 0.25
    bad = CliRunner().invoke(app, ["prices", "refresh", "--api-url", "http://127.0.0.1:9/x", "--output", str(target)])
    assert bad.exit_code == 2
