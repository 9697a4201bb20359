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
import hashlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from k8s_pki import SERVICE_CIDR, kubeconfig_text, write_pki

REPO = Path(__file__).resolve().parent.parent
RECIPES = REPO / "scripts" / "k8s-testbed"
BUILD_SCRIPT = REPO / "scripts" / "build-k8s-testbed.sh"
PROVIDER_MODULE = "github.com/pulumi/pulumi-kubernetes/provider/v4"
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
            pki = write_pki(self.work_dir / "pki")
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
        """Stop the processes newest first, each before the next (kube-apiserver shuts down
        gracefully in about a second while etcd is up, but hangs when etcd went first): SIGTERM,
        then SIGKILL after STOP_TIMEOUT_S."""
        for name in reversed(list(self.processes)):
            proc = self.processes[name]
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.terminate()
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                proc.wait(timeout=5)

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
