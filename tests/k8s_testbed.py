"""A real Kubernetes control plane for the `k8s` test tier: etcd, kube-apiserver and
kube-controller-manager on loopback ports chosen at random, with generated certificates and an
admin kubeconfig. No nodes and no kubelet: objects are stored, validated and admitted for real,
controllers run (Deployment -> ReplicaSet -> Pod, garbage collection, namespace deletion), but no
pod ever runs.

The binaries come from the cache of `scripts/build-k8s-testbed.sh`; etcd is Debian's
`etcd-server`. `find_testbed()` says what is missing (the tests skip with that reason);
`Testbed(...).start()` / `.stop()` run and tear down the processes. Every process is started in
its own session and with a parent-death signal, so none outlives the test run, even when pytest
is killed. See docs/k8s-testbed.md.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import ipaddress
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RECIPES = REPO / "scripts" / "k8s-testbed"
BUILD_SCRIPT = REPO / "scripts" / "build-k8s-testbed.sh"
PROVIDER_MODULE = "github.com/pulumi/pulumi-kubernetes/provider/v4"
SERVICE_CIDR = "10.0.0.0/24"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
BUILD_HINT = "build it with `bash scripts/build-k8s-testbed.sh` (needs Go and the Go module proxy)"


@dataclass(frozen=True)
class TestbedBinaries:
    """What the build cache holds, and etcd."""

    root: Path
    kube_apiserver: Path
    kube_controller_manager: Path
    provider: Path
    plugins: Path
    """A PULUMI_HOME `plugins` directory with resource-kubernetes-v<sdk>/ linked to the provider."""
    crds: Path
    gpu_operator_chart: Path
    etcd: Path
    build_info: dict[str, str]


def _versions() -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in (RECIPES / "versions.env").read_text(encoding="utf-8").splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    )
    return {k.strip(): v.strip() for k, v in pairs}


def _provider_version() -> str:
    for line in (RECIPES / "provider" / "go.mod").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if parts[:2] == ["require", PROVIDER_MODULE]:
            return parts[2]
    raise RuntimeError(f"no 'require {PROVIDER_MODULE}' in {RECIPES / 'provider' / 'go.mod'}")


def _recipe(*files: Path) -> str:
    """The build script's cache key: sha256 of the files' concatenated bytes, 16 hex digits."""
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


def sdk_plugin_version() -> str:
    """The kubernetes plugin version the engine asks for (the Python SDK's pulumi-plugin.json)."""
    import importlib.resources

    plugin = importlib.resources.files("pulumi_kubernetes").joinpath("pulumi-plugin.json")
    return json.loads(plugin.read_text(encoding="utf-8"))["version"]


def cache_root() -> Path:
    """Where the build script installs the test bed for the pinned versions."""
    if os.environ.get("LLMOPS_K8S_HOME"):
        return Path(os.environ["LLMOPS_K8S_HOME"]).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    commit = _provider_version().rsplit("-", 1)[-1]
    return base / "llmops-infra" / "k8s" / f"kube-v{_versions()['KUBE_VERSION']}-provider-{commit}"


def find_testbed() -> TestbedBinaries | str:
    """The test bed's binaries, or why they cannot be used (missing, stale, no etcd)."""
    root = cache_root()
    info_file = root / "BUILD-INFO"
    if not info_file.is_file():
        return f"no Kubernetes test bed in {root}: {BUILD_HINT}"
    info = dict(line.split("=", 1) for line in info_file.read_text(encoding="utf-8").splitlines() if "=" in line)
    sdk = sdk_plugin_version()
    versions = RECIPES / "versions.env"
    expected = {
        "kube_recipe": _recipe(versions, *(RECIPES / "controlplane" / f for f in ("go.mod", "go.sum", "tools.go"))),
        "provider_recipe": _recipe(
            versions, *(RECIPES / "provider" / f for f in ("go.mod", "go.sum", "tools.go", "gen_embed.py"))
        )
        + f"-sdk{sdk}",
        "assets_recipe": _recipe(versions, BUILD_SCRIPT),
    }
    stale = [k.removesuffix("_recipe") for k, v in expected.items() if info.get(k) != v]
    if stale:
        return f"the Kubernetes test bed in {root} is out of date ({', '.join(stale)}): {BUILD_HINT}"
    binaries = TestbedBinaries(
        root=root,
        kube_apiserver=root / "bin" / "kube-apiserver",
        kube_controller_manager=root / "bin" / "kube-controller-manager",
        provider=root / "bin" / "pulumi-resource-kubernetes",
        plugins=root / "pulumi-home" / "plugins",
        crds=root / "crds",
        gpu_operator_chart=root / "charts" / "gpu-operator",
        etcd=Path(shutil.which("etcd") or "/usr/bin/etcd"),
        build_info=info,
    )
    for path in (binaries.kube_apiserver, binaries.kube_controller_manager, binaries.provider):
        if not os.access(path, os.X_OK):
            return f"{path} is missing or not executable: {BUILD_HINT}"
    if not (binaries.plugins / f"resource-kubernetes-v{sdk}" / "pulumi-resource-kubernetes").exists():
        return f"no kubernetes plugin v{sdk} under {binaries.plugins}: {BUILD_HINT}"
    if not os.access(binaries.etcd, os.X_OK):
        return "etcd is not installed: `apt-get install -y etcd-server` (Debian)"
    return binaries


# --- certificates ------------------------------------------------------------------------------------


def _write_pki(directory: Path) -> dict[str, Path]:
    """A CA, the API server's serving certificate, an admin client certificate (system:masters)
    and the service-account signing key pair, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    validity = (now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=1))
    files: dict[str, Path] = {}

    def save(name: str, data: bytes) -> Path:
        path = directory / name
        path.write_bytes(data)
        path.chmod(0o600)
        files[name] = path
        return path

    def key_pem(key) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def name(cn: str, org: str | None = None) -> x509.Name:
        attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
        if org:
            attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
        return x509.Name(attrs)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(name("llmops-testbed-ca"))
        .issuer_name(name("llmops-testbed-ca"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    save("ca.crt", ca_cert.public_bytes(serialization.Encoding.PEM))

    def issue(stem: str, subject: x509.Name, usage, sans: list[x509.GeneralName] | None = None) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(validity[0])
            .not_valid_after(validity[1])
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        save(f"{stem}.crt", cert.public_bytes(serialization.Encoding.PEM))
        save(f"{stem}.key", key_pem(key))

    service_ip = next(ipaddress.ip_network(SERVICE_CIDR).hosts())
    dns = [
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
    ]
    issue(
        "apiserver",
        name("kube-apiserver"),
        ExtendedKeyUsageOID.SERVER_AUTH,
        [
            *(x509.DNSName(d) for d in dns),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(service_ip),
        ],
    )
    issue("admin", name("testbed-admin", "system:masters"), ExtendedKeyUsageOID.CLIENT_AUTH)
    sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    save("sa.key", key_pem(sa_key))
    save(
        "sa.pub",
        sa_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
    )
    return files


def kubeconfig_text(server: str, pki: dict[str, Path]) -> str:
    """An admin kubeconfig with the certificates inlined (the Pulumi provider takes it as text)."""
    import base64

    def b64(name: str) -> str:
        return base64.b64encode(pki[name].read_bytes()).decode()

    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": "testbed", "cluster": {"server": server, "certificate-authority-data": b64("ca.crt")}}
            ],
            "users": [
                {
                    "name": "admin",
                    "user": {"client-certificate-data": b64("admin.crt"), "client-key-data": b64("admin.key")},
                }
            ],
            "contexts": [{"name": "testbed", "context": {"cluster": "testbed", "user": "admin"}}],
            "current-context": "testbed",
        },
        indent=1,
    )


# --- processes ---------------------------------------------------------------------------------------


def free_ports(count: int) -> list[int]:
    """`count` distinct loopback ports the kernel had free (held together, so never the same twice)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) for _ in range(count)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


def _die_with_parent(argv: list[str]) -> list[str]:
    """`argv` run through util-linux `setpriv --pdeathsig TERM`: the process gets SIGTERM when the
    test process dies, even by SIGKILL (a preexec_fn would do the same, but is unsafe in a
    process with threads, which the Automation API starts)."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--", *argv] if setpriv else argv


class TestbedError(RuntimeError):
    """A component did not start; the message ends with the tail of its log."""


@dataclass
class Testbed:
    """etcd + kube-apiserver + kube-controller-manager in `work_dir`. Use as a context manager."""

    binaries: TestbedBinaries
    work_dir: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    server: str = ""
    kubeconfig: str = ""
    kubeconfig_path: Path | None = None
    ports: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    crd_names: list[str] = field(default_factory=list)

    def __enter__(self) -> Testbed:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- lifecycle --

    def start(self) -> None:
        begin = time.monotonic()
        etcd, peer, apiserver, controller_manager = free_ports(4)
        self.ports = {"etcd": etcd, "etcd_peer": peer, "apiserver": apiserver, "controller_manager": controller_manager}
        try:
            pki = _write_pki(self.work_dir / "pki")
            self._start_etcd()
            self.timings["etcd"] = time.monotonic() - begin
            self._start_apiserver(pki)
            self.timings["apiserver"] = time.monotonic() - begin
            self._start_controller_manager(pki)
            self.timings["controller_manager"] = time.monotonic() - begin
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """SIGTERM every process (newest first), then SIGKILL what is left after STOP_TIMEOUT_S."""
        for name in reversed(list(self.processes)):
            proc = self.processes[name]
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for proc in self.processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                proc.wait(timeout=5)
        for proc in self.processes.values():
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()

    def pids(self) -> dict[str, int]:
        return {name: proc.pid for name, proc in self.processes.items()}

    # -- components --

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = (self.work_dir / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            _die_with_parent(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=self.work_dir,
        )
        log.close()
        self.processes[name] = proc
        return proc

    def log_tail(self, name: str, lines: int = 15) -> str:
        path = self.work_dir / f"{name}.log"
        if not path.is_file():
            return ""
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])

    def _wait(self, name: str, ready, timeout: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        proc = self.processes[name]
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise TestbedError(f"{name} exited with code {proc.returncode}:\n{self.log_tail(name)}")
            if ready():
                return
            time.sleep(0.1)
        raise TestbedError(f"{name} was not ready after {timeout:.0f}s:\n{self.log_tail(name)}")

    def _start_etcd(self) -> None:
        client, peer = self.ports["etcd"], self.ports["etcd_peer"]
        self._spawn(
            "etcd",
            [
                str(self.binaries.etcd),
                "--name=testbed",
                f"--data-dir={self.work_dir / 'etcd-data'}",
                f"--listen-client-urls=http://127.0.0.1:{client}",
                f"--advertise-client-urls=http://127.0.0.1:{client}",
                f"--listen-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-cluster=testbed=http://127.0.0.1:{peer}",
                "--unsafe-no-fsync",
                "--quota-backend-bytes=2147483648",
                "--log-level=warn",
            ],
        )

        def healthy() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{client}/health", timeout=2) as r:
                    return json.loads(r.read()).get("health") == "true"
            except (OSError, ValueError):
                return False

        self._wait("etcd", healthy)

    def _tls(self, pki: dict[str, Path]) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(pki["ca.crt"]))
        ctx.load_cert_chain(str(pki["admin.crt"]), str(pki["admin.key"]))
        return ctx

    def _get_ok(self, url: str, ctx: ssl.SSLContext) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2, context=ctx) as r:
                return r.status == 200
        except (OSError, ValueError):
            return False

    def _start_apiserver(self, pki: dict[str, Path]) -> None:
        port = self.ports["apiserver"]
        self.server = f"https://127.0.0.1:{port}"
        self._spawn(
            "kube-apiserver",
            [
                str(self.binaries.kube_apiserver),
                f"--etcd-servers=http://127.0.0.1:{self.ports['etcd']}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={port}",
                f"--tls-cert-file={pki['apiserver.crt']}",
                f"--tls-private-key-file={pki['apiserver.key']}",
                f"--client-ca-file={pki['ca.crt']}",
                f"--service-account-key-file={pki['sa.pub']}",
                f"--service-account-signing-key-file={pki['sa.key']}",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                "--api-audiences=https://kubernetes.default.svc.cluster.local",
                "--authorization-mode=Node,RBAC",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--allow-privileged=true",
                # 127.0.0.1 may not be advertised by the endpoint reconciler (the process exits).
                "--endpoint-reconciler-type=none",
                "--enable-priority-and-fairness=false",
                "--profiling=false",
                "--v=1",
            ],
        )
        self.kubeconfig = kubeconfig_text(self.server, pki)
        self.kubeconfig_path = self.work_dir / "kubeconfig"
        self.kubeconfig_path.write_text(self.kubeconfig, encoding="utf-8")
        self.kubeconfig_path.chmod(0o600)
        ctx = self._tls(pki)
        self._wait("kube-apiserver", lambda: self._get_ok(f"{self.server}/readyz", ctx))

    def _start_controller_manager(self, pki: dict[str, Path]) -> None:
        port = self.ports["controller_manager"]
        kubeconfig = str(self.kubeconfig_path)
        self._spawn(
            "kube-controller-manager",
            [
                str(self.binaries.kube_controller_manager),
                f"--kubeconfig={kubeconfig}",
                f"--authentication-kubeconfig={kubeconfig}",
                f"--authorization-kubeconfig={kubeconfig}",
                "--bind-address=127.0.0.1",
                f"--secure-port={port}",
                "--leader-elect=false",
                "--controllers=*",
                f"--service-account-private-key-file={pki['sa.key']}",
                f"--root-ca-file={pki['ca.crt']}",
                "--use-service-account-credentials=false",
                "--profiling=false",
                "--v=1",
            ],
        )
        insecure = ssl.create_default_context()
        insecure.check_hostname = False
        insecure.verify_mode = ssl.CERT_NONE  # its serving certificate is self-signed and generated at start
        api = self._tls(pki)
        # Healthy, and its controllers run: the service-account controller made `default/default`.
        self._wait(
            "kube-controller-manager",
            lambda: (
                self._get_ok(f"https://127.0.0.1:{port}/healthz", insecure)
                and self._get_ok(f"{self.server}/api/v1/namespaces/default/serviceaccounts/default", api)
            ),
        )


def process_alive(pid: int) -> bool:
    """Whether `pid` is a live (non-zombie) process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


# --- API helpers (the official Python client) -------------------------------------------------------


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
                raise TestbedError(f"CRD {name} not Established after {timeout:.0f}s: {conditions}")
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
    runs and `helm uninstall` waits for it forever. Yields the names of the pods it completed."""
    completed: list[str] = []
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
                completed.append(name)

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
