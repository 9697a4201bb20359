"""A CI OIDC token kept fresh in AZURE_FEDERATED_TOKEN_FILE for the whole run.

Why: a pipeline signs in to Azure with workload identity federation, exchanging the CI
system's OIDC token for Entra tokens. Done once at the start (as `azure/login` and the
AzureCLI task do), the exchange cannot be repeated after the OIDC token expires, and an
`up` that creates AKS outlives it (Azure/azure-cli#28708). Instead, llmops-infra writes
the OIDC token to a private file and rewrites it every few minutes from the CI system's
token endpoint. Every consumer reads that file whenever it needs a new Entra token:
azure-identity's WorkloadIdentityCredential (the gates, the artifact store), the Pulumi
azure-native provider through azidentity's DefaultAzureCredential
(`azure-native:useDefaultAzureCredential`), and kubelogin with
AAD_LOGIN_METHOD=workloadidentity (the Kubernetes provider's exec kubeconfig).

Sources, selected by LLMOPS_FEDERATED_TOKEN_SOURCE (the generated pipelines set it):

- `github`: GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=api://AzureADTokenExchange with
  `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN` -> {"value": token}; the job needs
  `permissions: id-token: write`. AZURE_CLIENT_ID / AZURE_TENANT_ID come from the job.
- `azure-pipelines`: POST $SYSTEM_OIDCREQUESTURI?api-version=7.1&serviceConnectionId=ID with
  `Authorization: Bearer $SYSTEM_ACCESSTOKEN` -> {"oidcToken": token} (what azure-identity's
  AzurePipelinesCredential does). Inside AzureCLI@2 with addSpnToEnvironment the task sets
  AZURESUBSCRIPTION_SERVICE_CONNECTION_ID, _CLIENT_ID and _TENANT_ID.

No token is ever printed or put in an error message.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path

from llmops_infra.errors import ConfigError, EngineError

SOURCE_VAR = "LLMOPS_FEDERATED_TOKEN_SOURCE"
SOURCES = ("github", "azure-pipelines")
AUDIENCE = "api://AzureADTokenExchange"
REFRESH_SECONDS = 240.0
"""Well inside any OIDC token's lifetime and azidentity's 10-minute re-read of the file."""
AUTHORITY = "https://login.microsoftonline.com/"


@dataclass(frozen=True)
class TokenSource:
    name: str
    fetch: Callable[[], str]


def _need(environ: MutableMapping[str, str], names: tuple[str, ...], fix: str) -> dict[str, str]:
    missing = [n for n in names if not environ.get(n)]
    if missing:
        raise ConfigError(
            f"{SOURCE_VAR} is set but {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not: {fix}",
            key=SOURCE_VAR,
        )
    return {n: environ[n] for n in names}


def _http_fetch(method: str, url: str, token: str, field: str, params: dict[str, str]) -> str:
    import httpx
    from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

    @retry(
        retry=retry_if_exception_type((httpx.TransportError, _Retryable)),
        stop=stop_after_attempt(4),
        wait=wait_exponential(multiplier=1, max=20),
        reraise=True,
    )
    def once() -> str:
        # merge: GitHub's request URL already carries a query (api-version) that must be kept
        response = httpx.request(
            method,
            httpx.URL(url).copy_merge_params(params),
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "X-TFS-FedAuthRedirect": "Suppress",
            },
            timeout=30.0,
        )
        if response.status_code in (429, 500, 502, 503, 504):
            raise _Retryable(response.status_code)
        if response.status_code != 200:
            raise EngineError(f"the CI token endpoint answered {response.status_code}: check the job's permissions")
        value = response.json().get(field)
        if not isinstance(value, str) or not value:
            raise EngineError(f"the CI token endpoint answered without {field!r}")
        return value

    try:
        return once()
    except _Retryable as exc:
        raise EngineError(f"the CI token endpoint kept answering {exc.status} (retried)") from None
    except httpx.HTTPError as exc:
        raise EngineError(f"the CI token endpoint could not be reached ({type(exc).__name__})") from None


class _Retryable(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def source_from(environ: MutableMapping[str, str]) -> TokenSource | None:
    """The configured token source; None when LLMOPS_FEDERATED_TOKEN_SOURCE is unset. Fills AZURE_* from the task."""
    name = environ.get(SOURCE_VAR)
    if not name:
        return None
    if name == "github":
        found = _need(
            environ,
            ("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "AZURE_CLIENT_ID", "AZURE_TENANT_ID"),
            "give the job `permissions: id-token: write` and the environment variables AZURE_CLIENT_ID and "
            "AZURE_TENANT_ID (`llmops-infra bootstrap` sets them as environment variables)",
        )
        url, token = found["ACTIONS_ID_TOKEN_REQUEST_URL"], found["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]
        return TokenSource(name, lambda: _http_fetch("GET", url, token, "value", {"audience": AUDIENCE}))
    if name == "azure-pipelines":
        for target, task_var in (
            ("AZURE_CLIENT_ID", "AZURESUBSCRIPTION_CLIENT_ID"),
            ("AZURE_TENANT_ID", "AZURESUBSCRIPTION_TENANT_ID"),
        ):
            if not environ.get(target) and environ.get(task_var):
                environ[target] = environ[task_var]
        found = _need(
            environ,
            (
                "SYSTEM_OIDCREQUESTURI",
                "SYSTEM_ACCESSTOKEN",
                "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
                "AZURE_CLIENT_ID",
                "AZURE_TENANT_ID",
            ),
            "run llmops-infra inside an AzureCLI@2 task with addSpnToEnvironment: true, and map "
            "SYSTEM_ACCESSTOKEN: $(System.AccessToken) into its env",
        )
        url, token = found["SYSTEM_OIDCREQUESTURI"].rstrip("/"), found["SYSTEM_ACCESSTOKEN"]
        params = {"api-version": "7.1", "serviceConnectionId": found["AZURESUBSCRIPTION_SERVICE_CONNECTION_ID"]}
        return TokenSource(name, lambda: _http_fetch("POST", url, token, "oidcToken", params))
    raise ConfigError(f"{name!r} is not a token source: use one of {', '.join(SOURCES)}", key=SOURCE_VAR)


class Refresher:
    """Writes the token now, then again every `interval` seconds on a daemon thread."""

    def __init__(
        self, source: TokenSource, environ: MutableMapping[str, str], interval: float = REFRESH_SECONDS
    ) -> None:
        self.source, self.environ, self.interval = source, environ, interval
        self.directory = Path(tempfile.mkdtemp(prefix="llmops-oidc-"))
        self.directory.chmod(0o700)
        self.path = self.directory / "token"
        self.refreshes = 0
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def refresh_now(self) -> None:
        token = self.source.fetch()
        partial = self.path.with_suffix(".new")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(token)
        partial.replace(self.path)  # readers see the old token or the new one, never half of one
        self.refreshes += 1

    def start(self) -> Refresher:
        self.refresh_now()  # the first token synchronously: a broken setup fails before any gate
        self.environ["AZURE_FEDERATED_TOKEN_FILE"] = str(self.path)
        self.environ.setdefault("AZURE_AUTHORITY_HOST", AUTHORITY)
        self._thread = threading.Thread(target=self._loop, name="llmops-oidc-refresh", daemon=True)
        self._thread.start()
        atexit.register(self.stop)
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.refresh_now()
                self.last_error = None
            except Exception as exc:  # keep the last good token; try again next time
                self.last_error = str(exc)
                print(f"llmops-infra: refreshing the {self.source.name} OIDC token failed: {exc}", file=sys.stderr)

    def stop(self) -> None:
        self._stop.set()
        shutil.rmtree(self.directory, ignore_errors=True)


_ACTIVE: dict[str, Refresher] = {}


def ensure_started(environ: MutableMapping[str, str] | None = None) -> Refresher | None:
    """Start the refresher once per process when the pipeline asks for it (LLMOPS_FEDERATED_TOKEN_SOURCE)."""
    environ = os.environ if environ is None else environ
    if "refresher" in _ACTIVE:
        return _ACTIVE["refresher"]
    source = source_from(environ)
    if source is None:
        return None
    _ACTIVE["refresher"] = Refresher(source, environ).start()
    return _ACTIVE["refresher"]
