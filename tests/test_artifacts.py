"""The artifact store contract, run against a local directory, Azurite (Azure Blob) and moto (S3).

The emulators are started by the fixtures on 127.0.0.1 with a free port. Azurite is the npm
package `azurite`: found on PATH, in $LLMOPS_AZURITE, or installed here with npm into
~/.cache/llmops-infra/azurite. A backend whose emulator cannot be started is skipped with
the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from llmops_infra.config.loader import config_digest, load_environment_with_source
from llmops_infra.errors import ConfigError, EngineError
from llmops_infra.release.artifacts import (
    ArtifactNotFound,
    ArtifactStoreError,
    LocalArtifactStore,
    Releases,
    open_store,
)
from llmops_infra.release.manifest import Evidence, ManifestError, build_manifest

# The emulator's published development account (the same in every Azurite install): tests only.
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
AZURITE_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "llmops-infra" / "azurite"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def azurite_binary() -> str | None:
    for candidate in (
        os.environ.get("LLMOPS_AZURITE"),
        shutil.which("azurite-blob"),
        str(AZURITE_CACHE / "node_modules" / ".bin" / "azurite-blob"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    npm = shutil.which("npm")
    if npm is None:
        return None
    AZURITE_CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--prefix", str(AZURITE_CACHE), "azurite"],
        capture_output=True,
        timeout=600,
        check=False,
    )
    installed = AZURITE_CACHE / "node_modules" / ".bin" / "azurite-blob"
    return str(installed) if installed.is_file() else None


@pytest.fixture(scope="module")
def azurite(tmp_path_factory):
    pytest.importorskip("azure.storage.blob", reason="azure-storage-blob is not installed (extra: azure)")
    binary = azurite_binary()
    if binary is None:
        pytest.skip("Azurite is not installed and npm could not install it (npm install azurite)")
    port = free_port()
    location = tmp_path_factory.mktemp("azurite")
    process = subprocess.Popen(
        [
            binary,
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            str(port),
            "--location",
            str(location),
            "--skipApiVersionCheck",
            "--silent",
            "--loose",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "AZURITE_DISABLE_TELEMETRY": "true"},
    )
    endpoint = f"http://127.0.0.1:{port}/devstoreaccount1"
    try:
        for _ in range(150):
            if process.poll() is not None:
                pytest.skip(f"Azurite exited at start (code {process.returncode})")
            try:
                urllib.request.urlopen(endpoint + "?comp=list", timeout=1)
            except urllib.error.HTTPError:
                break  # it answers (403 without a signature): it is up
            except OSError:
                time.sleep(0.1)
        else:
            pytest.skip("Azurite did not answer within 15 s")
        yield (
            f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};"
            f"BlobEndpoint={endpoint};"
        )
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def moto_endpoint():
    pytest.importorskip("boto3", reason="boto3 is not installed (extra: s3)")
    server_module = pytest.importorskip("moto.server", reason="moto[server] is not installed (extra: test)")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(params=["local", "azure-blob", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalArtifactStore(tmp_path / "releases")
    if request.param == "azure-blob":
        from azure.storage.blob import BlobServiceClient

        from llmops_infra.release.artifacts.azure import AzureBlobArtifactStore

        service = BlobServiceClient.from_connection_string(request.getfixturevalue("azurite"))
        container = service.get_container_client(f"releases{abs(hash(request.node.name)) % 10**8}")
        container.create_container()
        return AzureBlobArtifactStore(container, prefix="estate")
    import boto3

    from llmops_infra.release.artifacts.s3 import S3ArtifactStore

    client = boto3.client(
        "s3",
        endpoint_url=request.getfixturevalue("moto_endpoint"),
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    bucket = f"releases-{abs(hash(request.node.name)) % 10**8}"
    client.create_bucket(Bucket=bucket)
    return S3ArtifactStore(client, bucket, prefix="estate")


def test_put_get_list(store):
    store.put("manifests/dev/b.json", b'{"b": 1}')
    store.put("manifests/dev/a.json", b'{"a": 1}')
    store.put("manifests/prod/c.json", b"{}")
    store.put("manifests/dev/a.json", b'{"a": 2}')  # overwrite
    assert store.get("manifests/dev/a.json") == b'{"a": 2}'
    assert store.list("manifests/dev/") == ["manifests/dev/a.json", "manifests/dev/b.json"]
    assert store.list("manifests/") == ["manifests/dev/a.json", "manifests/dev/b.json", "manifests/prod/c.json"]
    assert store.list("nothing/") == []
    with pytest.raises(ArtifactNotFound) as caught:
        store.get("manifests/dev/missing.json")
    # one error base: a store error is an EngineError (exit 3); absence is also a KeyError
    assert isinstance(caught.value, ArtifactStoreError) and isinstance(caught.value, EngineError)
    assert isinstance(caught.value, KeyError) and caught.value.exit_code == 3
    assert str(caught.value) == f"no artifact manifests/dev/missing.json in {store.url}"


def test_a_local_store_that_cannot_be_written_is_a_store_error(tmp_path):
    blocker = tmp_path / "releases"
    blocker.write_text("a file where the store's directory should be")
    store = LocalArtifactStore(blocker)
    with pytest.raises(ArtifactStoreError, match=rf"cannot write manifests/dev/a.json to {blocker}") as caught:
        store.put("manifests/dev/a.json", b"{}")
    assert caught.value.exit_code == 3
    with pytest.raises(ArtifactStoreError, match="invalid artifact key"):
        store.get("manifests/../secrets")


def _manifest(project_dir, env, passed=True, minute=0):
    config, document = load_environment_with_source(env, project_dir)
    return build_manifest(
        config,
        config_digest=config_digest(document),
        plan_digest="sha256:" + "cd" * 32,
        evidence=Evidence(policy_passed=passed),
        actor="ci",
        now=datetime(2026, 11, 22, 3, minute, tzinfo=UTC),
    ), document


def test_releases_history_latest_find_and_tamper(store, project_dir):
    releases = Releases(store)
    first, document = _manifest(project_dir, "dev", minute=1)
    second, _ = _manifest(project_dir, "dev", passed=False, minute=2)
    first, second = releases.sign(first), releases.sign(second)
    for manifest in (second, first):
        releases.save(manifest)
    releases.save_config(document)
    assert [m.id for m in releases.history("dev")] == [first.id, second.id]
    assert releases.latest("dev") == second
    assert releases.latest("prod") is None
    assert releases.find(first.id) == first
    assert releases.find(first.short_id, "dev") == first
    assert releases.load_config(first.config_digest)["name"] == "dev"
    with pytest.raises(ManifestError, match="no release manifest"):
        releases.find("deadbeefdeadbeef")
    with pytest.raises(ManifestError, match="too short"):
        releases.find("abc")
    data = json.loads(store.get(f"manifests/dev/{first.id.removeprefix('sha256:')}.json"))
    data["kubernetes_version"] = "1.99"
    store.put(f"manifests/dev/{first.id.removeprefix('sha256:')}.json", json.dumps(data).encode())
    with pytest.raises(ManifestError, match="does not match its content"):
        releases.history("dev")


def test_plans_and_configs_round_trip(store, plans):
    releases = Releases(store)
    plan = plans("dev")
    key = releases.save_plan(plan)
    assert key == f"plans/{plan.digest().removeprefix('sha256:')}.json"
    assert releases.load_plan(plan.digest()) == plan  # handed from release to promotion: the same plan
    assert releases.load_plan("sha256:" + "0" * 64) is None
    edited = json.loads(store.get(key))
    edited["resources"][0]["props"]["location"] = "westeurope"
    store.put(key, json.dumps(edited).encode())
    with pytest.raises(ManifestError, match="does not match its digest"):
        releases.load_plan(plan.digest())
    store.put(key, b'{"environment": "dev"}')
    with pytest.raises(ManifestError, match="not a plan"):
        releases.load_plan(plan.digest())
    assert releases.load_config("sha256:" + "0" * 64) is None


def test_audit_records(store):
    releases = Releases(store)
    releases.append_audit({"at": "2026-11-22T03:00:00Z", "action": "promote", "result": "succeeded"})
    releases.append_audit({"at": "2026-11-22T03:01:00Z", "action": "rollback", "result": "refused"})
    assert [r["action"] for r in releases.audit()] == ["promote", "rollback"]


def test_open_store_urls(tmp_path, monkeypatch):
    monkeypatch.delenv("LLMOPS_ARTIFACTS", raising=False)
    assert open_store(None, tmp_path).root == tmp_path / ".llmops" / "releases"
    assert open_store("file://shared/releases", tmp_path).root == tmp_path / "shared" / "releases"
    monkeypatch.setenv("LLMOPS_ARTIFACTS", str(tmp_path / "elsewhere"))
    assert open_store(None, tmp_path).root == tmp_path / "elsewhere"
    with pytest.raises(ConfigError, match="unsupported artifact store"):
        open_store("ftp://host/x", tmp_path)
    with pytest.raises(ConfigError, match="names no container"):
        open_store("azblob://account", tmp_path)


def test_cloud_urls_parse_without_network(monkeypatch):
    pytest.importorskip("azure.storage.blob")
    # the store gets a token up front (no credential fails at once): a fake one here
    from azure.core.credentials import AccessToken

    from llmops_infra.release.artifacts import credentials
    from llmops_infra.release.artifacts.azure import AzureBlobArtifactStore
    from llmops_infra.release.artifacts.s3 import S3ArtifactStore

    class Fake:
        def get_token(self, *_scopes, **_kw):
            return AccessToken("t", 4_102_444_800)

    monkeypatch.setattr(credentials, "azure_credential", lambda what, **_kw: Fake())
    blob = AzureBlobArtifactStore.from_url("azblob://stllmops/releases/estate")
    assert (blob.container.account_name, blob.container.container_name, blob.prefix) == (
        "stllmops",
        "releases",
        "estate",
    )
    assert blob.container.url.startswith("https://stllmops.blob.core.windows.net/releases")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    s3 = S3ArtifactStore.from_url("s3://bucket/a/b")
    assert (s3.bucket, s3.prefix, s3.url) == ("bucket", "a/b", "s3://bucket/a/b")
