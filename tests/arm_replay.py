"""A local HTTP server that replays recorded ARM responses (tests/fixtures/arm/*.json).

`ArmReplay.route(path, *fixtures)` answers GETs of `path` with the fixtures in order (the last one
repeats): `replay.route(versions_path, "error-throttled", "aks-kubernetes-versions")` throttles
once, then answers. Every request is recorded (path, query, whether a bearer token came along),
so tests assert what was asked and that nothing was asked twice too often.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "arm"


def recorded(name: str) -> tuple[int, dict[str, str], Any]:
    """(status, headers, body) of a recorded response file."""
    data = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    status, response = next(iter(data["responses"].items()))
    return int(status), dict(response.get("headers") or {}), response.get("body")


class ArmReplay:
    def __init__(self) -> None:
        self.routes: dict[str, list[tuple[int, dict[str, str], Any]]] = {}
        self.requests: list[dict[str, Any]] = []
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                replay.requests.append(
                    {
                        "path": parts.path,
                        "query": {k: v[0] for k, v in parse_qs(parts.query).items()},
                        "bearer": (self.headers.get("Authorization") or "").startswith("Bearer "),
                    }
                )
                queue = replay.routes.get(parts.path)
                if not queue:
                    status, headers, body = (
                        404,
                        {},
                        {"error": {"code": "NotFound", "message": f"no route {parts.path}"}},
                    )
                else:
                    status, headers, body = queue.pop(0) if len(queue) > 1 else queue[0]
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def route(self, path: str, *fixtures: str | tuple[int, dict[str, str], Any]) -> ArmReplay:
        self.routes[path] = [recorded(f) if isinstance(f, str) else f for f in fixtures]
        return self

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r["path"] == path)

    def __enter__(self) -> ArmReplay:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class FakeToken:
    def __init__(self, token: str = "test-token", expires_on: float = 4_102_444_800.0) -> None:
        self.token = token
        self.expires_on = expires_on


SUB = "33333333-3333-4333-8333-333333333333"
AKS_VERSIONS = f"/subscriptions/{SUB}/providers/Microsoft.ContainerService/locations/eastus2/kubernetesVersions"
MODELS = f"/subscriptions/{SUB}/providers/Microsoft.CognitiveServices/locations/eastus2/models"
AI_USAGES = f"/subscriptions/{SUB}/providers/Microsoft.CognitiveServices/locations/eastus2/usages"
SKUS = f"/subscriptions/{SUB}/providers/Microsoft.Compute/skus"
VM_USAGES = f"/subscriptions/{SUB}/providers/Microsoft.Compute/locations/eastus2/usages"
