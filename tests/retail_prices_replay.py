"""A local stand-in for the Azure Retail Prices API: answers from tests/fixtures/retail_prices/<region>.json.

It reads the OData `$filter` the way the API does for the fields we use (armRegionName, armSkuName),
pages the answer (each fixture page is one response, linked by an absolute NextPageLink), and
records every request. The fixtures' numbers are synthetic (each file says so), never Azure prices.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures" / "retail_prices"


@dataclass
class Replay:
    url: str
    requests: list[str] = field(default_factory=list)

    def filters(self) -> list[str]:
        return [
            urllib.parse.parse_qs(urllib.parse.urlparse(r).query)["$filter"][0] for r in self.requests if "$filter" in r
        ]


def _pages(odata: str) -> list[list[dict[str, Any]]]:
    region = re.search(r"armRegionName eq '([^']+)'", odata)
    fixture = FIXTURES / f"{region.group(1) if region else ''}.json"
    if not fixture.is_file():
        return [[]]
    pages: list[list[dict[str, Any]]] = json.loads(fixture.read_text())["pages"]
    sizes = set(re.findall(r"armSkuName eq '([^']+)'", odata))
    return [[i for i in page if not sizes or i["armSkuName"] in sizes] for page in pages]


@contextmanager
def retail_prices_api() -> Iterator[Replay]:
    replay = Replay("")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            replay.requests.append(self.path)
            query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            odata, page = query.get("$filter", [""])[0], int(query.get("page", ["0"])[0])
            pages = _pages(odata)
            body: dict[str, Any] = {"BillingCurrency": "USD", "Items": pages[page], "NextPageLink": None}
            if page + 1 < len(pages):
                body["NextPageLink"] = f"{replay.url}?{urllib.parse.urlencode({'$filter': odata, 'page': page + 1})}"
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    replay.url = f"http://127.0.0.1:{server.server_port}/api/retail/prices"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield replay
    finally:
        server.shutdown()
        server.server_close()
