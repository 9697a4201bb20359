"""`doctor`: is everything the engine needs here? Each check says what to do when it is not.

Checks: the Pulumi CLI (found, version, whether it matches the Python SDK), its Python
language host (the engine runs policy packs through it), the provider plugins the installed
SDKs need (azure-native, kubernetes), each environment's backend and
secrets provider, and Azure credentials (azure-identity, bounded in time so that a machine
without network answers at once). Exit code: 0 all needed things are there; 2 bad input (an
environment file, a missing passphrase); 3 a missing tool or missing credentials.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from llmops_infra.engine.azure_access import CredentialStatus
from llmops_infra.engine.pulumi_cli import INSTALL_HINT, EngineInfo

OK, MISSING_TOOL, BAD_INPUT = 0, 3, 2


def pulumi_section(info: EngineInfo) -> dict[str, Any]:
    section: dict[str, Any] = {
        "found": info.found,
        "path": str(info.cli) if info.cli else None,
        "version": info.version,
        "sdk_version": info.sdk_version,
        "matches_sdk": info.matches_sdk,
        "source": info.source,
    }
    if info.cli is None:
        section["fix"] = INSTALL_HINT
    elif info.version is None:
        section["fix"] = f"{info.cli} does not answer `pulumi version`: rebuild or reinstall it ({INSTALL_HINT})"
    elif not info.matches_sdk:
        section["note"] = (
            f"CLI v{info.version} drives SDK v{info.sdk_version}: the Automation API accepts it "
            "(it needs >= 3.1.0); the build script builds the newest engine the Go module proxy "
            "serves at or below the SDK's version"
        )
    return section


def language_host_section(info: EngineInfo) -> dict[str, Any]:
    host = info.language_host
    section: dict[str, Any] = {"found": host is not None, "path": str(host) if host else None}
    if host is None:
        section["fix"] = (
            "pulumi-language-python is needed next to the CLI or on PATH to run the policy pack in "
            "the engine: " + INSTALL_HINT
        )
    return section


PROVIDER_PACKAGES = {"azure-native": "pulumi_azure_native", "kubernetes": "pulumi_kubernetes"}


def plugins_section(env: dict[str, str]) -> dict[str, Any]:
    """The resource plugins the estate's SDKs need, looked up in $PULUMI_HOME/plugins (offline, no CLI call)."""
    from importlib.metadata import PackageNotFoundError, version

    home = Path(env.get("PULUMI_HOME") or Path.home() / ".pulumi").expanduser()
    section: dict[str, Any] = {}
    for name, package in PROVIDER_PACKAGES.items():
        try:
            wanted = version(package.replace("_", "-"))
        except PackageNotFoundError:
            continue
        path = home / "plugins" / f"resource-{name}-v{wanted}"
        entry: dict[str, Any] = {"version": wanted, "found": path.is_dir(), "path": str(path)}
        if not entry["found"]:
            entry["fix"] = (
                f"`pulumi plugin install resource {name} {wanted}` (offline: add --file <release "
                "archive>); the engine otherwise tries to download it during the first preview"
            )
        section[name] = entry
    return section


def _backend_entry(url: str, secrets_provider: str, project_dir: Path, env: dict[str, str]) -> dict[str, Any]:
    from llmops_infra.engine.lifecycle import backend_url

    entry: dict[str, Any] = {"url": url, "secrets_provider": secrets_provider}
    if url.startswith("file://"):
        resolved = backend_url(url, project_dir, create=False).removeprefix("file://")
        parent = Path(resolved)
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        entry.update(kind="file", path=resolved, ok=os.access(parent, os.W_OK))
        if not entry["ok"]:
            entry["fix"] = f"{parent} is not writable: fix its permissions or change state.url"
    elif url.startswith("azblob://"):
        query = parse_qs(urlparse(url).query)
        account = (query.get("storage_account") or [env.get("AZURE_STORAGE_ACCOUNT", "")])[0]
        entry.update(kind="azblob", storage_account=account or None, ok=bool(account))
        if not account:
            entry["fix"] = (
                "set AZURE_STORAGE_ACCOUNT (or ?storage_account=<name> in state.url); access uses your "
                "Azure credentials (Storage Blob Data Contributor on the container) or AZURE_STORAGE_KEY"
            )
    else:
        entry.update(kind="pulumi-cloud", ok="PULUMI_ACCESS_TOKEN" in env)
        if not entry["ok"]:
            entry["fix"] = "set PULUMI_ACCESS_TOKEN (a pipeline secret) for the Pulumi Cloud backend"
    if secrets_provider == "passphrase":
        given = [v for v in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE") if v in env]
        entry["passphrase_set"] = bool(given)
        if not given:
            entry["secrets_fix"] = (
                "export PULUMI_CONFIG_PASSPHRASE from your secret store (CI: a pipeline secret), "
                "or PULUMI_CONFIG_PASSPHRASE_FILE pointing outside the repository"
            )
    else:
        entry["passphrase_set"] = None
        entry["secrets_note"] = "azurekeyvault: needs Azure credentials with the Key Vault Crypto User role on the key"
    return entry


def backend_section(project_dir: Path, envs: list[str] | None, env: dict[str, str]) -> dict[str, Any]:
    from llmops_infra.config.loader import list_environments, load_environment
    from llmops_infra.errors import LlmopsError

    section: dict[str, Any] = {}
    try:
        names = envs or list_environments(project_dir)
    except LlmopsError as exc:
        return {"_project": {"ok": False, "error": str(exc)}}
    for name in names:
        try:
            config = load_environment(name, project_dir)
        except LlmopsError as exc:
            section[name] = {"ok": False, "error": str(exc)}
            continue
        section[name] = _backend_entry(config.state.url, config.state.secrets_provider, project_dir, env)
    return section


def doctor_report(
    project_dir: Path,
    *,
    envs: list[str] | None = None,
    engine: EngineInfo | None = None,
    credentials: Callable[[], CredentialStatus] | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The whole report, JSON-ready, with `exit_code`."""
    from llmops_infra.engine.azure_access import check_credentials
    from llmops_infra.engine.pulumi_cli import locate_engine

    info = engine or locate_engine()
    environ = dict(os.environ if env is None else env)
    creds = (credentials or check_credentials)()
    report: dict[str, Any] = {
        "pulumi": pulumi_section(info),
        "language_host": language_host_section(info),
        "backend": backend_section(project_dir, envs, environ),
        "plugins": plugins_section(environ),
        "credentials": creds.as_dict(),
    }
    report["exit_code"] = exit_code(report)
    return report


def exit_code(report: dict[str, Any]) -> int:
    """3 when a tool or credentials are missing, else 2 when input is bad or incomplete, else 0."""
    if not report["pulumi"]["found"] or not report["language_host"]["found"] or not report["credentials"]["ok"]:
        return MISSING_TOOL
    if not all(entry["found"] for entry in report.get("plugins", {}).values()):
        return MISSING_TOOL
    for entry in report["backend"].values():
        if not entry.get("ok") or entry.get("passphrase_set") is False:
            return BAD_INPUT
    return OK
