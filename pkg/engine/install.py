"""`llmops-infra engine install`: put the Pulumi CLI where the engine lookup finds it, from an installed package.

Two ways, both into the cache the lookup reads (`pulumi_cli.cache_bin_dir(version)`,
~/.cache/llmops-infra/pulumi/v<version>/bin):

- `official` (default): the release archive of the Pulumi CLI,
  https://get.pulumi.com/releases/sdk/pulumi-v<version>-linux-x64.tar.gz (the URL the
  official installer and distribution packages use), checked against `--sha256` when given;
- `source`: the build script shipped in this package (build-pulumi-cli.sh; needs Go), which
  builds the engine from the Go module proxy where get.pulumi.com cannot be reached.

The version defaults to the installed pulumi SDK's, which the Automation API expects.
"""

from __future__ import annotations

import hashlib
import io
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib.resources import as_file, files
from pathlib import Path

from llmops_infra.engine.pulumi_cli import cache_bin_dir, cli_version, sdk_version
from llmops_infra.errors import ConfigError, EngineError

RELEASES = "https://get.pulumi.com/releases/sdk"
ARCHES = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}


def archive_url(version: str, base: str = RELEASES) -> str:
    system = platform.system().lower()
    arch = ARCHES.get(platform.machine().lower())
    if system not in ("linux", "darwin") or arch is None:
        raise ConfigError(
            f"no release archive for {platform.system()} {platform.machine()}: use --from source or the official "
            "installer (pulumi.com/docs/install)",
            key="--from",
        )
    return f"{base.rstrip('/')}/pulumi-v{version}-{system}-{arch}.tar.gz"


def _download(url: str) -> bytes:
    import httpx
    from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

    @retry(
        retry=retry_if_exception_type(httpx.TransportError),
        stop=stop_after_attempt(3),
        wait=wait_exponential(max=10),
        reraise=True,
    )
    def get() -> httpx.Response:
        return httpx.get(url, follow_redirects=True, timeout=300.0)

    try:
        response = get()
    except httpx.HTTPError as exc:
        raise EngineError(
            f"cannot download {url} ({type(exc).__name__}): without access to get.pulumi.com, build the CLI from the "
            "Go module proxy with `llmops-infra engine install --from source` (needs Go)"
        ) from None
    if response.status_code != 200:
        raise EngineError(
            f"{url} answered {response.status_code}: check the version (pulumi.com/docs/install/versions)"
        )
    return response.content


def install_official(version: str, *, base_url: str = RELEASES, sha256: str | None = None) -> Path:
    """Download, check and unpack the release archive into the cache; the bin directory."""
    url = archive_url(version, base_url)
    data = _download(url)
    digest = hashlib.sha256(data).hexdigest()
    if sha256 and digest != sha256.lower():
        raise EngineError(f"{url}: sha256 {digest} is not the expected {sha256}: nothing was installed")
    bin_dir = cache_bin_dir(version)
    staging = Path(
        tempfile.mkdtemp(prefix="pulumi-", dir=bin_dir.parent.parent if bin_dir.parent.parent.exists() else None)
    )
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            archive.extractall(staging, filter="data")
        unpacked = staging / "pulumi"
        if not (unpacked / "pulumi").is_file():
            unpacked = staging / "pulumi" / "bin"
        if not (unpacked / "pulumi").is_file():
            raise EngineError(f"{url} holds no pulumi binary: nothing was installed")
        bin_dir.mkdir(parents=True, exist_ok=True)
        for item in unpacked.iterdir():
            if item.is_file():
                shutil.copy2(item, bin_dir / item.name)
                (bin_dir / item.name).chmod(0o755)
        (bin_dir / "BUILD-INFO").write_text(
            f"requested_version={version}\nsource={url}\nsha256={digest}\n", encoding="utf-8"
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    found = cli_version(bin_dir / "pulumi")
    if found is None:
        raise EngineError(f"{bin_dir / 'pulumi'} does not run `pulumi version` on this machine")
    return bin_dir


def install_from_source(version: str) -> Path:
    """Run the packaged build script (Go module proxy); the bin directory it prints."""
    if shutil.which("go") is None:
        raise ConfigError("--from source needs Go on PATH (go.dev/doc/install)", key="--from")
    script = files("llmops_infra.engine").joinpath("build-pulumi-cli.sh")
    with as_file(script) as path:
        result = subprocess.run(
            ["bash", str(path)],
            env={**os.environ, "PULUMI_VERSION": version, "PYTHON": sys.executable},
            stdout=subprocess.PIPE,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        raise EngineError(f"the build script failed (exit {result.returncode}); its log is above")
    lines = result.stdout.strip().splitlines()
    return Path(lines[-1]) if lines else cache_bin_dir(version)


def install(version: str | None = None, *, method: str = "official", sha256: str | None = None) -> Path:
    version = (version or sdk_version()).removeprefix("v")
    if not version.count(".") == 2 or not version.replace(".", "").isdigit():
        raise ConfigError(f"{version!r}: give an exact version like 3.272.0", key="--version")
    if method == "official":
        return install_official(version, sha256=sha256)
    if method == "source":
        return install_from_source(version)
    raise ConfigError(f"{method!r}: use official or source", key="--from")
