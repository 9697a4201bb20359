"""Local HTTPS fakes of the APIs bootstrap calls: ARM, GitHub, Azure DevOps and a Key Vault's keys
(loopback only).

Each fake keeps its resources in memory and answers the subset of the REST API bootstrap uses,
in the documented wire format (ARM: properties envelopes and {"error": {code, message}};
GitHub: the REST v3 shapes PyGithub reads; Azure DevOps: {"count", "value"} lists). TLS comes
from a trustme CA, so the real clients run unchanged with only their endpoints and CA bundle
pointed here. `fail(method, pattern, status, times)` injects failures to stop a run half-way.
The Key Vault fake answers in the shapes of tests/fixtures/arm/keyvault-*.json and kv-forbidden-*.json
(the 401 challenge first, as the real service does, then the keys API).
"""

from __future__ import annotations

import base64
import json
import re
import ssl
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import trustme


@dataclass
class Failure:
    method: str
    pattern: str
    status: int
    times: int


@dataclass
class Fake:
    """Routes by (method, path regex) to handlers; records every request."""

    log: list[tuple[str, str]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    def fail(self, method: str, pattern: str, status: int = 500, times: int = 1_000_000) -> None:
        self.failures.append(Failure(method, pattern, status, times))

    def injected(self, method: str, path: str) -> int | None:
        for failure in self.failures:
            if failure.times > 0 and failure.method == method and re.search(failure.pattern, path):
                failure.times -= 1
                return failure.status
        return None

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        raise NotImplementedError


def _error(status: int, code: str, message: str) -> tuple[int, Any]:
    return status, {"error": {"code": code, "message": message}}


class ArmFake(Fake):
    def __init__(self) -> None:
        super().__init__()
        self.resources: dict[str, dict[str, Any]] = {}
        self.existing_subnets: set[str] = set()
        self.forbid_role_assignments = False
        self.vault_uri = ""
        """What a created vault reports as properties.vaultUri (the Key Vault fake's URL)."""
        self.deleted_vaults: dict[str, dict[str, Any]] = {}

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        key = path.lower()
        if "/subnets/" in key and method == "GET":
            if key in {s.lower() for s in self.existing_subnets}:
                return 200, {"id": path, "name": path.rsplit("/", 1)[-1], "properties": {}}
            return _error(404, "NotFound", "subnet not found")
        if "/roleassignments/" in key and method == "PUT" and self.forbid_role_assignments:
            return _error(403, "AuthorizationFailed", "no permission to write role assignments")
        if method == "HEAD":
            return (204 if key in self.resources else 404), None
        if "/deletedvaults/" in key and method == "GET":
            name = key.rsplit("/", 1)[-1]
            if name in self.deleted_vaults:
                return 200, self.deleted_vaults[name]
            return _error(404, "ResourceNotFound", f"{path} was not found")
        if method == "GET":
            if key in self.resources:
                return 200, self.resources[key]
            if key.endswith("/blobservices/default"):
                return 200, {"id": path, "name": "default", "properties": {}}
            return _error(404, "ResourceNotFound", f"{path} was not found")
        if method in ("PUT", "PATCH"):
            current = self.resources.get(key)
            if method == "PATCH" and current is None:
                return _error(404, "ResourceNotFound", f"{path} was not found")
            merged = json.loads(json.dumps(current or {"id": path, "name": path.rsplit("/", 1)[-1]}))
            for k, v in (body or {}).items():
                if k == "properties":
                    merged.setdefault("properties", {}).update(v)
                else:
                    merged[k] = v
            props = merged.setdefault("properties", {})
            props["provisioningState"] = "Succeeded"
            if re.search(r"/providers/microsoft\.keyvault/vaults/[^/]+$", key):
                if props.pop("createMode", None) == "recover":
                    self.deleted_vaults.pop(key.rsplit("/", 1)[-1], None)
                props.setdefault("vaultUri", self.vault_uri or f"https://{merged['name']}.vault.azure.net/")
            if "/userassignedidentities/" in key and "federatedidentitycredentials" not in key:
                props.setdefault("clientId", str(uuid.uuid4()))
                props.setdefault("principalId", str(uuid.uuid4()))
                props.setdefault("tenantId", str(uuid.uuid4()))
            self.resources[key] = merged
            # New resources answer 201 where their REST reference documents it; storage accounts and
            # blob service properties answer 200.
            created = (
                201
                if re.search(
                    r"/(resourcegroups|userassignedidentities|federatedidentitycredentials|containers|roleassignments|vaults)/[^/]+$",
                    key,
                )
                else 200
            )
            return (200 if current is not None else created), merged
        return _error(405, "MethodNotAllowed", method)


class GitHubFake(Fake):
    def __init__(self, base: str = "") -> None:
        super().__init__()
        self.base = base
        self.environments: dict[str, dict[str, Any]] = {}
        self.variables: dict[tuple[str, str], str] = {}
        self.secrets: dict[tuple[str, str], str] = {}
        from nacl.public import PrivateKey

        self.private_key = PrivateKey.generate()

    def _repo(self, owner: str, repo: str) -> dict[str, Any]:
        return {
            "id": 1,
            "name": repo,
            "full_name": f"{owner}/{repo}",
            "owner": {"login": owner, "id": 9, "type": "Organization"},
            "url": f"{self.base}/repos/{owner}/{repo}",
        }

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        if m := re.fullmatch(r"/repos/([^/]+)/([^/]+)", path):
            return 200, self._repo(m[1], m[2])
        if m := re.fullmatch(r"/orgs/([^/]+)", path):
            return 200, {"login": m[1], "id": 9, "url": f"{self.base}/orgs/{m[1]}"}
        if m := re.fullmatch(r"/orgs/([^/]+)/teams/([^/]+)", path):
            return 200, {"id": 4242, "slug": m[2], "name": m[2]}
        if m := re.fullmatch(r"/users/([^/]+)", path):
            return 200, {"id": 777, "login": m[1]}
        m = re.fullmatch(r"/repos/([^/]+)/([^/]+)/environments/([^/]+)(/.*)?", path)
        if not m:
            return 404, {"message": "Not Found"}
        env_url = f"{self.base}/repos/{m[1]}/{m[2]}/environments/{m[3]}"
        env, rest = m[3], m[4] or ""
        if rest == "":
            if method == "GET":
                return (200, self.environments[env]) if env in self.environments else (404, {"message": "Not Found"})
            if method == "PUT":
                rules = []
                if body.get("reviewers"):
                    reviewers = [
                        {"type": r["type"], "reviewer": {"id": r["id"], "login": "x", "slug": "x"}}
                        for r in body["reviewers"]
                    ]
                    rules.append({"id": 1, "type": "required_reviewers", "reviewers": reviewers})
                if body.get("wait_timer"):
                    rules.append({"id": 2, "type": "wait_timer", "wait_timer": body["wait_timer"]})
                self.environments[env] = {
                    "id": 3,
                    "name": env,
                    "url": env_url,
                    "protection_rules": rules,
                    "deployment_branch_policy": body.get("deployment_branch_policy"),
                }
                return 200, self.environments[env]
        if env not in self.environments:
            return 404, {"message": "Not Found"}
        if m2 := re.fullmatch(r"/variables/([^/]+)", rest):
            name = m2[1]
            if method == "GET":
                value = self.variables.get((env, name))
                return (200, {"name": name, "value": value}) if value is not None else (404, {"message": "Not Found"})
            if method == "PATCH":
                self.variables[(env, name)] = body["value"]
                return 204, None
        if rest == "/variables" and method == "POST":
            if (env, body["name"]) in self.variables:
                return 409, {"message": "Already exists"}
            self.variables[(env, body["name"])] = body["value"]
            return 201, {}
        if rest == "/secrets/public-key":
            key = base64.b64encode(bytes(self.private_key.public_key)).decode()
            return 200, {"key_id": "k1", "key": key}
        if m2 := re.fullmatch(r"/secrets/([^/]+)", rest):
            from nacl.public import SealedBox

            plain = SealedBox(self.private_key).decrypt(base64.b64decode(body["encrypted_value"])).decode()
            self.secrets[(env, m2[1])] = plain
            return 201, {}
        return 404, {"message": "Not Found"}


class AdoFake(Fake):
    def __init__(self, org: str, project: str) -> None:
        super().__init__()
        self.org, self.project = org, project
        self.project_id = str(uuid.uuid4())
        self.org_id = str(uuid.uuid4())
        self.endpoints: dict[str, dict[str, Any]] = {}
        self.environments: dict[int, dict[str, Any]] = {}
        self.checks: list[dict[str, Any]] = []
        self.groups: dict[int, dict[str, Any]] = {}
        self.identities = {"Release Approvers": str(uuid.uuid4())}

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        org, project = self.org, self.project
        if path == f"/_vssps/{org}/_apis/identities":
            name = query.get("filterValue", "")
            found = [{"id": v, "providerDisplayName": k} for k, v in self.identities.items() if k == name]
            return 200, {"count": len(found), "value": found}
        if path == f"/{org}/_apis/projects/{project}":
            return 200, {"id": self.project_id, "name": project}
        if path == f"/{org}/{project}/_apis/serviceendpoint/endpoints" and method == "GET":
            names = query.get("endpointNames", "").split(",")
            found = [e for e in self.endpoints.values() if e["name"] in names]
            return 200, {"count": len(found), "value": found}
        if path == f"/{org}/_apis/serviceendpoint/endpoints" and method == "POST":
            endpoint = json.loads(json.dumps(body))
            endpoint["id"] = str(uuid.uuid4())
            endpoint["authorization"]["parameters"].update(
                workloadIdentityFederationIssuer=f"https://login.microsoftonline.com/{body['authorization']['parameters']['tenantid']}/v2.0",
                workloadIdentityFederationSubject=f"/eid1/c/pub/t/x/a/y/sc/{self.org_id}/{endpoint['id']}",
            )
            self.endpoints[endpoint["id"]] = endpoint
            return 200, endpoint
        if m := re.fullmatch(rf"/{org}/_apis/serviceendpoint/endpoints/([^/]+)", path):
            old = self.endpoints[m[1]]
            endpoint = json.loads(json.dumps(body))
            endpoint["authorization"]["parameters"].update(
                {k: v for k, v in old["authorization"]["parameters"].items() if k.startswith("workload")}
            )
            self.endpoints[m[1]] = endpoint
            return 200, endpoint
        if path == f"/{org}/{project}/_apis/pipelines/environments":
            if method == "GET":
                found = [e for e in self.environments.values() if e["name"] == query.get("name")]
                return 200, {"count": len(found), "value": found}
            env_id = len(self.environments) + 1
            self.environments[env_id] = {"id": env_id, "name": body["name"]}
            return 200, self.environments[env_id]
        if path == f"/{org}/{project}/_apis/pipelines/checks/configurations":
            if method == "GET":
                found = [c for c in self.checks if c["resource"]["id"] == query.get("resourceId")]
                return 200, {"count": len(found), "value": found}
            self.checks.append({**body, "id": len(self.checks) + 1})
            return 200, self.checks[-1]
        if path == f"/{org}/{project}/_apis/distributedtask/variablegroups":
            found = [g for g in self.groups.values() if g["name"] == query.get("groupName")]
            hidden = [
                {
                    **g,
                    "variables": {
                        k: ({"isSecret": True, "value": None} if v.get("isSecret") else v)
                        for k, v in g["variables"].items()
                    },
                }
                for g in found
            ]
            return 200, {"count": len(hidden), "value": hidden}
        if path == f"/{org}/_apis/distributedtask/variablegroups" and method == "POST":
            group_id = len(self.groups) + 1
            self.groups[group_id] = {**body, "id": group_id}
            return 200, self.groups[group_id]
        if m := re.fullmatch(rf"/{org}/_apis/distributedtask/variablegroups/(\d+)", path):
            old = self.groups[int(m[1])]
            variables = dict(body["variables"])
            for k, v in variables.items():
                if v.get("isSecret") and v.get("value") is None:  # a null secret keeps its value
                    variables[k] = old["variables"][k]
            self.groups[int(m[1])] = {**body, "variables": variables, "id": int(m[1])}
            return 200, self.groups[int(m[1])]
        return 404, {"message": f"no route {method} {path}"}


class KeyVaultFake(Fake):
    """The keys API of one vault (Key Vault 7.x): get a key, create one. Keys carry the public point of the
    recorded EC P-256 key (keyvault-get-key.json); no private key exists here."""

    requires_bearer = True

    def __init__(self) -> None:
        super().__init__()
        self.base = ""
        self.keys: dict[str, dict[str, Any]] = {}
        self.refusals: list[str] = []
        """innererror codes to answer 403 with, one per request (ForbiddenByRbac, ForbiddenByFirewall)."""
        self.created: list[dict[str, Any]] = []
        """The bodies of create requests."""

    def _refused(self, code: str) -> tuple[int, Any]:
        from arm_replay import recorded

        _, _, body = recorded("kv-forbidden-rbac")
        body = json.loads(json.dumps(body))
        body["error"]["innererror"]["code"] = code
        if code != "ForbiddenByRbac":
            body["error"]["message"] = "Client address is not authorized and caller is not a trusted service."
        return 403, body

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        from arm_replay import recorded

        if self.refusals:
            return self._refused(self.refusals.pop(0))
        if m := re.fullmatch(r"/keys/([^/]+)/?", path):
            if method == "GET" and m[1] in self.keys:
                return 200, self.keys[m[1]]
            return 404, {"error": {"code": "KeyNotFound", "message": f"A key with (name/id) {m[1]} was not found"}}
        if (m := re.fullmatch(r"/keys/([^/]+)/create", path)) and method == "POST":
            self.created.append(body)
            _, _, template = recorded("keyvault-get-key")
            key = json.loads(json.dumps(template))
            key["key"].update(kty=body["kty"], crv=body.get("crv"), key_ops=body.get("key_ops") or [])
            key["key"]["kid"] = f"{self.base}/keys/{m[1]}/{uuid.uuid4().hex}"
            key["attributes"].update(body.get("attributes") or {})
            key["tags"] = body.get("tags") or {}
            self.keys[m[1]] = key
            return 200, key
        return 404, {"error": {"code": "NotFound", "message": f"no route {method} {path}"}}


class Servers:
    """The fakes behind TLS on 127.0.0.1, each on its own port."""

    def __init__(self, tmp: Path, org: str = "contoso", project: str = "llmops") -> None:
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1")
        self.ca_path = tmp / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_path))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(context)
        self.arm, self.github, self.ado = ArmFake(), GitHubFake(), AdoFake(org, project)
        self.vault = KeyVaultFake()
        self._servers = [self._serve(fake, context) for fake in (self.arm, self.github, self.ado, self.vault)]
        self.github.base = self.url(self.github)
        self.vault.base = self.url(self.vault)
        self.arm.vault_uri = self.vault.base + "/"

    def _serve(self, fake: Fake, context: ssl.SSLContext) -> ThreadingHTTPServer:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _any(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                if getattr(fake, "requires_bearer", False) and not self.headers.get("Authorization"):
                    from arm_replay import recorded

                    # Key Vault's challenge: a request without a token learns the tenant and resource
                    _, headers, challenge = recorded("keyvault-challenge")
                    data = json.dumps(challenge).encode()
                    self.send_response(401)
                    for name, value in {**headers, "Content-Type": "application/json"}.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                fake.log.append((self.command, parts.path))
                injected = fake.injected(self.command, parts.path)
                status, payload = (
                    (
                        injected,
                        {"error": {"code": "Injected", "message": "injected failure"}, "message": "injected failure"},
                    )
                    if injected
                    else fake.handle(self.command, parts.path, query, body)
                )
                data = b"" if payload is None or self.command == "HEAD" else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if data:
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = do_HEAD = _any

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        server.fake = fake  # type: ignore[attr-defined]
        return server

    def url(self, fake: Fake) -> str:
        server = next(s for s in self._servers if s.fake is fake)  # type: ignore[attr-defined]
        return f"https://127.0.0.1:{server.server_address[1]}"

    def close(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()


RUNNER_OID = "5e1f0c2a-9d8b-4c7a-8e6f-1a2b3c4d5e6f"
"""The object id in FakeCredential's token: whoever runs bootstrap."""


class FakeCredential:
    """An azure-core TokenCredential that hands out a fixed, unsigned JWT (the fakes do not check it) whose
    `oid` claim is RUNNER_OID, as Entra's tokens carry the caller's object id."""

    def __init__(self, oid: str | None = RUNNER_OID) -> None:
        claims = base64.urlsafe_b64encode(json.dumps({"oid": oid} if oid else {}).encode()).decode().rstrip("=")
        self.token = f"eyJhbGciOiJub25lIn0.{claims}.fake-signature"

    def get_token(self, *scopes: str, **_kwargs: Any) -> Any:
        import time

        from azure.core.credentials import AccessToken

        return AccessToken(self.token, int(time.time()) + 3600)
