"""Engine access: find the Pulumi CLI and its Python language host, and say how to get them.

The Automation API drives the `pulumi` CLI as a subprocess; inline programs run in this
process, but policy packs run through `pulumi-language-python`, which the engine finds on the
PATH (the Automation API puts the CLI's own directory first). Lookup order: the PATH, then the
cache `llmops-infra engine install` (or the packaged build script `build-pulumi-cli.sh`) installs into
(`${LLMOPS_PULUMI_HOME:-${XDG_CACHE_HOME:-~/.cache}/llmops-infra/pulumi/v<sdk>}/bin`), then any
other version in that cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version
from pathlib import Path

from llmops_infra.errors import EngineError

CLI = "pulumi"
LANGUAGE_HOST = "pulumi-language-python"
VERSION_TIMEOUT_S = 20.0

INSTALL_HINT = (
    "run `llmops-infra engine install` (the release of the SDK's version from get.pulumi.com, into "
    "~/.cache/llmops-infra/pulumi, where llmops-infra finds it), or without access to get.pulumi.com "
    "`llmops-infra engine install --from source` (builds it from the Go module proxy; needs Go)"
)


class EngineMissingError(EngineError):
    """The Pulumi CLI (or its Python language host) is not installed where we look."""


def sdk_version() -> str:
    """Version of the installed `pulumi` Python SDK, e.g. 3.272.0."""
    try:
        return dist_version("pulumi")
    except PackageNotFoundError:  # pragma: no cover - pulumi is a hard dependency
        return "unknown"


def cache_root() -> Path:
    """Where the build script installs engines, one directory per version."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "llmops-infra" / "pulumi"


def cache_bin_dir(version: str | None = None) -> Path:
    """The bin directory the build script installs the engine for `version` (default: the SDK's) into."""
    home = os.environ.get("LLMOPS_PULUMI_HOME")
    if home:
        return Path(home).expanduser() / "bin"
    return cache_root() / f"v{version or sdk_version()}" / "bin"


@dataclass(frozen=True)
class EngineInfo:
    """What was found: the CLI, its version, and the language host next to it or on the PATH."""

    cli: Path | None
    version: str | None
    sdk_version: str
    source: str | None
    """"PATH" or "cache" (the build script's directory)."""
    language_host: Path | None
    build_info: dict[str, str]

    @property
    def found(self) -> bool:
        return self.cli is not None and self.version is not None

    @property
    def matches_sdk(self) -> bool:
        return self.version is not None and self.version == self.sdk_version

    @property
    def root(self) -> Path | None:
        """The directory `PulumiCommand(root=...)` expects: it runs `<root>/bin/pulumi`."""
        return self.cli.parent.parent if self.cli is not None else None

    def require(self) -> EngineInfo:
        """Self if the CLI is usable; otherwise an error that says how to install it."""
        if self.cli is None:
            raise EngineMissingError(f"the Pulumi CLI was not found on PATH nor in {cache_bin_dir()}: {INSTALL_HINT}")
        if self.version is None:
            raise EngineMissingError(f"{self.cli} did not answer `pulumi version`: reinstall it ({INSTALL_HINT})")
        if self.cli.parent.name != "bin":
            raise EngineMissingError(
                f"{self.cli} is not in a directory named bin, which the Automation API requires "
                "(it runs <root>/bin/pulumi): link it into a bin directory on PATH"
            )
        return self


def _candidates() -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    on_path = shutil.which(CLI)
    if on_path:
        found.append((Path(on_path), "PATH"))
    preferred = cache_bin_dir() / CLI
    if preferred.is_file() and os.access(preferred, os.X_OK):
        found.append((preferred, "cache"))
    root = cache_root()
    if root.is_dir():
        for other in sorted(root.glob("v*/bin/" + CLI), reverse=True):
            if other != preferred and os.access(other, os.X_OK):
                found.append((other, "cache"))
    return found


def cli_version(cli: Path) -> str | None:
    """`pulumi version` without its leading v, or None when the binary does not answer."""
    env = {**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"}
    try:
        out = subprocess.run(
            [str(cli), "version"], capture_output=True, text=True, timeout=VERSION_TIMEOUT_S, env=env, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0 or not out.stdout.strip():
        return None
    return out.stdout.strip().splitlines()[0].removeprefix("v")


def _build_info(bin_dir: Path) -> dict[str, str]:
    info_file = bin_dir / "BUILD-INFO"
    if not info_file.is_file():
        return {}
    pairs = (line.split("=", 1) for line in info_file.read_text(encoding="utf-8").splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs}


def language_host_for(cli: Path | None) -> Path | None:
    """`pulumi-language-python` next to the CLI (what the engine will find first), else on PATH."""
    if cli is not None:
        beside = cli.parent / LANGUAGE_HOST
        if beside.is_file() and os.access(beside, os.X_OK):
            return beside
    on_path = shutil.which(LANGUAGE_HOST)
    return Path(on_path) if on_path else None


def locate_engine() -> EngineInfo:
    """Find the Pulumi CLI: the first candidate that answers `pulumi version` wins."""
    sdk = sdk_version()
    first: tuple[Path, str] | None = None
    for cli, source in _candidates():
        first = first or (cli, source)
        version = cli_version(cli)
        if version is not None:
            return EngineInfo(cli, version, sdk, source, language_host_for(cli), _build_info(cli.parent))
    if first is not None:  # found but broken: report it so the user can fix that binary
        cli, source = first
        return EngineInfo(cli, None, sdk, source, language_host_for(cli), _build_info(cli.parent))
    return EngineInfo(None, None, sdk, None, language_host_for(None), {})


@lru_cache(maxsize=1)
def cached_engine() -> EngineInfo:
    """`locate_engine()` once per process (each probe runs `pulumi version`)."""
    return locate_engine()
