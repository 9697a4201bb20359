"""A local HTTP server that replays recorded ARM responses (tests/fixtures/arm/*.json).

`ArmReplay.route(path, *fixtures)` answers GETs of `path` with the fixtures in order (the last one
repeats): `replay.route(versions_path, "error-throttled", "aks-kubernetes-versions")` throttles
once, then answers. `method=` routes POST, PUT or HEAD the same way; a fixture named
`"file#202"` answers with that status of a spec example that records several. Every request is
recorded (method, path, query, whether a bearer token came along, its body), so tests assert what
was asked, and that nothing was asked twice too often; `served` lists every answer body sent.
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
    """(status, headers, body) of a recorded response file (`name#status` picks one of several)."""
    name, _, wanted = name.partition("#")
    data = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    responses = data["responses"]
    status = wanted or next(iter(responses))
    response = responses[status]
    return int(status), dict(response.get("headers") or {}), response.get("body")


class ArmReplay:
    def __init__(self, tls_dir: Path | None = None) -> None:
        """`tls_dir`: serve HTTPS with a trustme CA written to `tls_dir/ca.pem` (`self.ca_path`): clients that
        insist on TLS (Key Vault's bearer-token policy refuses plain http) trust it through that file."""
        self.routes: dict[tuple[str, str], list[tuple[int, dict[str, str], Any]]] = {}
        self.requests: list[dict[str, Any]] = []
        self.served: list[bytes] = []
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                replay.requests.append(
                    {
                        "method": self.command,
                        "path": parts.path,
                        "query": {k: v[0] for k, v in parse_qs(parts.query).items()},
                        "bearer": (self.headers.get("Authorization") or "").startswith("Bearer "),
                        "authorization": self.headers.get("Authorization") or "",
                        "content_type": self.headers.get("Content-Type") or "",
                        "body": raw.decode("utf-8", "replace"),
                    }
                )
                queue = replay.routes.get((self.command, parts.path))
                if not queue:
                    status, headers, body = (
                        404,
                        {},
                        {"error": {"code": "NotFound", "message": f"no route {self.command} {parts.path}"}},
                    )
                else:
                    status, headers, body = queue.pop(0) if len(queue) > 1 else queue[0]
                payload = b"" if body is None else json.dumps(body).encode()
                replay.served.append(payload)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in headers.items():
                    self.send_header(key, value.replace("{replay}", replay.url))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if tls_dir is not None:
            import ssl

            import trustme

            ca = trustme.CA()
            self.ca_path = tls_dir / "ca.pem"
            ca.cert_pem.write_to_path(str(self.ca_path))
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ca.issue_cert("127.0.0.1").configure_cert(context)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def route(self, path: str, *fixtures: str | tuple[int, dict[str, str], Any], method: str = "GET") -> ArmReplay:
        self.routes[(method, path)] = [recorded(f) if isinstance(f, str) else f for f in fixtures]
        return self

    def hits(self, path: str, method: str | None = None) -> int:
        return sum(1 for r in self.requests if r["path"] == path and method in (None, r["method"]))

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
