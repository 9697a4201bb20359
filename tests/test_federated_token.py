"""The CI OIDC token is fetched from the CI system's endpoint and kept fresh in a private file."""

from __future__ import annotations

import json
import stat
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from llmops_infra.engine import federated_token
from llmops_infra.errors import ConfigError, EngineError


@pytest.fixture
def endpoint():
    """A loopback token endpoint: GitHub's (GET, {"value"}) and Azure DevOps' (POST, {"oidcToken"})."""
    state = {"count": 0, "status": 200, "seen": []}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args):
            pass

        def _answer(self, field):
            parts = urlsplit(self.path)
            state["seen"].append((self.command, parts.path, parse_qs(parts.query), self.headers.get("Authorization")))
            state["count"] += 1
            body = json.dumps({field: f"oidc-token-{state['count']}"}).encode()
            self.send_response(state["status"])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            self._answer("value")

        def do_POST(self):
            self._answer("oidcToken")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def test_github_token_is_written_privately_and_refreshed(endpoint):
    environ = {
        "LLMOPS_FEDERATED_TOKEN_SOURCE": "github",
        "ACTIONS_ID_TOKEN_REQUEST_URL": endpoint["url"] + "/token?api-version=2.0",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token",
        "AZURE_CLIENT_ID": "client",
        "AZURE_TENANT_ID": "tenant",
    }
    source = federated_token.source_from(environ)
    refresher = federated_token.Refresher(source, environ, interval=3600).start()
    try:
        path = environ["AZURE_FEDERATED_TOKEN_FILE"]
        assert Path(path).read_text() == "oidc-token-1"
        assert stat.S_IMODE(Path(path).stat().st_mode) == 0o600
        assert environ["AZURE_AUTHORITY_HOST"] == "https://login.microsoftonline.com/"
        method, url_path, query, auth = endpoint["seen"][0]
        assert (method, url_path, auth) == ("GET", "/token", "Bearer request-token")
        assert query == {"api-version": ["2.0"], "audience": ["api://AzureADTokenExchange"]}
        refresher.refresh_now()  # what the thread does every few minutes
        assert Path(path).read_text() == "oidc-token-2"
    finally:
        refresher.stop()


def test_azure_pipelines_token_uses_the_service_connection_of_the_task(endpoint):
    environ = {
        "LLMOPS_FEDERATED_TOKEN_SOURCE": "azure-pipelines",
        "SYSTEM_OIDCREQUESTURI": endpoint["url"] + "/oidctoken/",
        "SYSTEM_ACCESSTOKEN": "job-token",
        "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID": "sc-1",
        "AZURESUBSCRIPTION_CLIENT_ID": "client",
        "AZURESUBSCRIPTION_TENANT_ID": "tenant",
    }
    refresher = federated_token.Refresher(federated_token.source_from(environ), environ, interval=3600).start()
    try:
        assert Path(environ["AZURE_FEDERATED_TOKEN_FILE"]).read_text() == "oidc-token-1"
        assert environ["AZURE_CLIENT_ID"] == "client" and environ["AZURE_TENANT_ID"] == "tenant"
        method, url_path, query, auth = endpoint["seen"][0]
        assert (method, url_path, auth) == ("POST", "/oidctoken", "Bearer job-token")
        assert query == {"api-version": ["7.1"], "serviceConnectionId": ["sc-1"]}
    finally:
        refresher.stop()


def test_a_failing_endpoint_or_a_missing_permission_is_a_clear_error_without_tokens(endpoint):
    environ = {"LLMOPS_FEDERATED_TOKEN_SOURCE": "github", "AZURE_CLIENT_ID": "c", "AZURE_TENANT_ID": "t"}
    with pytest.raises(ConfigError, match="id-token: write") as err:
        federated_token.source_from(environ)
    assert err.value.exit_code == 2
    endpoint["status"] = 403
    environ.update(ACTIONS_ID_TOKEN_REQUEST_URL=endpoint["url"] + "/t?x=1", ACTIONS_ID_TOKEN_REQUEST_TOKEN="secret-req")
    with pytest.raises(EngineError, match="answered 403") as err:
        federated_token.Refresher(federated_token.source_from(environ), environ).start()
    assert "secret-req" not in str(err.value) and "oidc-token" not in str(err.value)
    with pytest.raises(ConfigError, match="not a token source"):
        federated_token.source_from({"LLMOPS_FEDERATED_TOKEN_SOURCE": "jenkins"})
