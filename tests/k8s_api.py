"""Talking to the test bed's API server through the official `kubernetes` client (not kubectl):
REST calls that keep the status, the body and the API server's warnings; CRD installation; and
the one place where the tests play a kubelet (Helm hook Jobs, `completing_hook_jobs`)."""

from __future__ import annotations

import contextlib
import datetime
import json
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from k8s_testbed import Testbed


class ApiError(RuntimeError):
    """The API server did not do what a helper needed (the message says what)."""


def api_client(bed: Testbed):
    """A `kubernetes` ApiClient for the test bed's admin kubeconfig."""
    from kubernetes import config

    return config.new_client_from_config_dict(json.loads(bed.kubeconfig))


_DYNAMIC: dict[int, object] = {}


def dynamic_client(client):
    """One discovering DynamicClient per ApiClient (discovery costs a few dozen requests)."""
    from kubernetes import dynamic

    if id(client) not in _DYNAMIC:
        _DYNAMIC[id(client)] = dynamic.DynamicClient(client)
    return _DYNAMIC[id(client)]


def install_crds(client, crd_dir: Path, timeout: float = 60.0) -> list[str]:
    """Create every CustomResourceDefinition in the YAML files under `crd_dir` and wait until
    each is Established (its API is served). Returns their names."""
    import yaml

    crds = dynamic_client(client).resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
    names = []
    for path in sorted(crd_dir.rglob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                crds.create(body=doc)
                names.append(doc["metadata"]["name"])
    deadline = time.monotonic() + timeout
    for name in names:
        while True:
            conditions = (crds.get(name=name).to_dict().get("status") or {}).get("conditions") or []
            if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
                break
            if time.monotonic() > deadline:
                raise ApiError(f"CRD {name} not Established after {timeout:.0f}s: {conditions}")
            time.sleep(0.2)
    return names


@dataclass(frozen=True)
class ApiResult:
    status: int
    body: dict
    warnings: list[str]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def message(self) -> str:
        return str(self.body.get("message", self.body))


def api_request(
    client,
    method: str,
    path: str,
    body: dict | None = None,
    query: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> ApiResult:
    """One REST call through the official client, keeping what typed calls drop: the status, the
    JSON body (an error's Status too) and the API server's `Warning` headers."""
    request = client.param_serialize(
        method,
        path,
        query_params=list((query or {}).items()),
        header_params={"Accept": "application/json", "Content-Type": content_type},
        body=body,
        auth_settings=["BearerToken"],
    )
    response = client.call_api(*request)
    response.read()
    headers = response.getheaders() or {}
    warnings = [_warning_text(w) for w in (headers.getlist("Warning") if hasattr(headers, "getlist") else [])]
    try:
        data = json.loads(response.data or b"{}")
    except ValueError:
        data = {"message": (response.data or b"").decode(errors="replace")}
    return ApiResult(response.status, data, warnings)


def _warning_text(header: str) -> str:
    """The text of an RFC 7234 warning (`299 - "quoted text"`), unquoted."""
    match = re.fullmatch(r'\d{3} \S+ "((?:[^"\\]|\\.)*)"(?: .*)?', header.strip())
    return re.sub(r"\\(.)", r"\1", match.group(1)) if match else header


def collection_path(client, manifest: dict) -> str:
    """The REST collection of a manifest's kind (in its namespace when namespaced), by discovery."""
    resource = dynamic_client(client).resources.get(api_version=manifest["apiVersion"], kind=manifest["kind"])
    namespace = manifest.get("metadata", {}).get("namespace") if resource.namespaced else None
    return resource.path(namespace=namespace)


def as_sent(value):
    """Wire props as the provider sends them: Pulumi carries every number as a double, and the
    provider's JSON encoding (Go) writes an integral double without a fraction (1.0 -> 1)."""
    if isinstance(value, dict):
        return {k: as_sent(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_sent(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@contextlib.contextmanager
def completing_hook_jobs(bed: Testbed, namespace: str, poll: float = 0.5):
    """Play the kubelet for Helm hook Jobs in `namespace` while the block runs: mark their pods
    Succeeded, so the Job controller completes the Job and Helm's hook wait ends. Without a node,
    a hook Job (the GPU operator chart's node-feature-discovery `post-delete` prune job) never
    runs and `helm uninstall` waits for it forever. Yields the pods it completed (as they were)."""
    completed: list[dict] = []
    stop = threading.Event()
    client = api_client(bed)

    def complete_once() -> None:
        jobs = api_request(client, "GET", f"/apis/batch/v1/namespaces/{namespace}/jobs").body.get("items", [])
        hooks = {j["metadata"]["uid"] for j in jobs if "helm.sh/hook" in (j["metadata"].get("annotations") or {})}
        pods = api_request(client, "GET", f"/api/v1/namespaces/{namespace}/pods").body.get("items", [])
        now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for pod in pods:
            owners = {o.get("uid") for o in pod["metadata"].get("ownerReferences", [])}
            if not owners & hooks or pod.get("status", {}).get("phase") == "Succeeded":
                continue
            terminated = {"exitCode": 0, "reason": "Completed", "startedAt": now, "finishedAt": now}
            status = {
                "phase": "Succeeded",
                "containerStatuses": [
                    {
                        "name": c["name"],
                        "image": c["image"],
                        "imageID": "",
                        "ready": False,
                        "restartCount": 0,
                        "state": {"terminated": terminated},
                    }
                    for c in pod["spec"]["containers"]
                ],
            }
            name = pod["metadata"]["name"]
            result = api_request(
                client,
                "PATCH",
                f"/api/v1/namespaces/{namespace}/pods/{name}/status",
                {"status": status},
                content_type="application/merge-patch+json",
            )
            if result.ok:
                completed.append(pod)

    def loop() -> None:
        while not stop.is_set():
            with contextlib.suppress(Exception):  # the namespace may be going away
                complete_once()
            stop.wait(poll)

    thread = threading.Thread(target=loop, name="hook-job-completer", daemon=True)
    thread.start()
    try:
        yield completed
    finally:
        stop.set()
        thread.join(timeout=10)
        client.close()
