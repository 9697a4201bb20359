"""The Azure credential of the artifact store and the signing key: found fast, or one line saying why not.

DefaultAzureCredential tries eleven sources, probes the instance metadata service and, inside a
storage client, runs again on each retry: without any credential `--artifacts azblob://...` took
80 s and printed the chain's 11-line report five times (issue 17, item 15). Here:

1. When no source is present at all (no service-principal or workload-identity variables, no
   managed-identity endpoint, no `az`/`azd`/`pwsh` on PATH, and AZURE_TOKEN_CREDENTIALS does not
   name a credential), refuse at once with one line.
2. Otherwise build DefaultAzureCredential (interactive browser excluded, `process_timeout` 10 s
   for the developer tools) and get one token up front, with azure-identity's log records
   silenced: a failure is one line (the first of the exception's message), before any request.

On an Azure VM whose managed identity is reached through IMDS only (no endpoint variable), set
AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential (azure-identity's own way to pick the chain).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Iterator, Mapping
from typing import Any

from llmops_infra.errors import ConfigError, EngineError, clean

SOURCE_VARIABLES = (
    ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET"),
    ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_CERTIFICATE_PATH"),
    ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE"),
    ("AZURE_USERNAME", "AZURE_PASSWORD"),
    ("IDENTITY_ENDPOINT",),
    ("MSI_ENDPOINT",),
    ("AZURE_TOKEN_CREDENTIALS",),
)
TOOLS = ("az", "azd", "pwsh")
SCOPES = {"storage": "https://storage.azure.com/.default", "vault": "https://vault.azure.net/.default"}


class NoCredential(ConfigError):
    """No Azure credential source is available (bad setup: exit 2)."""


def credential_sources(environ: Mapping[str, str] | None = None) -> list[str]:
    """The credential sources present: variable groups set in full, developer tools on PATH."""
    env = os.environ if environ is None else environ
    found = ["+".join(group) for group in SOURCE_VARIABLES if all(env.get(v) for v in group)]
    found += [tool for tool in TOOLS if shutil.which(tool, path=env.get("PATH"))]
    return found


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """azure-identity logs the whole chain at WARNING on each failure: the error says it once."""
    logger = logging.getLogger("azure.identity")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def azure_credential(what: str, *, scope: str = "storage", environ: Mapping[str, str] | None = None) -> Any:
    """A credential that produced a token for `scope` just now; `what` names what it is for."""
    if not credential_sources(environ):
        raise NoCredential(
            f"no Azure credential for {what}: sign in with `az login`, or in CI use workload identity "
            "(AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE); on an Azure VM with a managed "
            "identity set AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential"
        )
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import DefaultAzureCredential

    with _quiet():
        try:
            credential = DefaultAzureCredential(exclude_interactive_browser_credential=True, process_timeout=10)
            credential.get_token(SCOPES[scope])
        except (ClientAuthenticationError, ValueError) as exc:
            text = str(getattr(exc, "message", None) or exc).strip()
            first = text.splitlines()[0] if text else type(exc).__name__
            raise EngineError(
                f"cannot sign in to Azure for {what}: {clean(first)[:300]} (run `az login`, or check the "
                "pipeline's workload identity)"
            ) from None
    return credential
