"""The API clients bootstrap uses, with retries, and the one place their errors are summarised.

- Azure Resource Manager: azure-mgmt-resource, -storage, -msi, -authorization (retries and
  long-running operations by azure-core), credentials from azure-identity's
  DefaultAzureCredential (`az login` locally). The signing vault goes through the generic
  resources client with a pinned API version (no azure-mgmt-keyvault dependency).
- Key Vault keys: azure-keyvault-keys' KeyClient (the signing key is created in the vault and
  never leaves it).
- GitHub: PyGithub (retries by its GithubRetry), token from GITHUB_TOKEN or GH_TOKEN.
- Azure DevOps: there is no maintained Python SDK (the `azure-devops` package is not on
  PyPI), so httpx with tenacity retries (429 and 5xx, transport errors; Retry-After honoured
  up to a minute); a PAT from AZURE_DEVOPS_EXT_PAT, else an Entra token for Azure DevOps.

Endpoints and TLS verification are parameters so that tests run the same code against local
fakes (loopback only). Nothing here logs or returns a credential.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from llmops_infra.errors import ConfigError

ARM = "https://management.azure.com"
GITHUB_API = "https://api.github.com"
ADO = "https://dev.azure.com"
VSSPS = "https://vssps.dev.azure.com"
ADO_RESOURCE = "499b84ac-1321-427f-aa17-267ca6975798/.default"
"""The Entra resource id of Azure DevOps (learn.microsoft.com/azure/devops/integrate/get-started/authentication/service-principal-managed-identity)."""
RETRYABLE = {429, 500, 502, 503, 504}


def _require(module: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ConfigError(
            f"bootstrap needs the Python package that provides {module}: pip install 'llmops-infra[azure]'",
            key="bootstrap",
        )


@dataclass
class Endpoints:
    arm: str = ARM
    github: str = GITHUB_API
    ado: str = ADO
    vssps: str = VSSPS
    verify: bool | str = True
    """TLS verification: True, or a CA bundle path (tests)."""
    credential: Any = None
    """An azure-core TokenCredential; default DefaultAzureCredential."""
    github_token: str | None = None
    ado_token: str | None = None
    """An Azure DevOps PAT; default AZURE_DEVOPS_EXT_PAT, else an Entra token."""
    retry_total: int = 4
    backoff_seconds: float = 2.0
    seconds_between_writes: float | None = 1.0
    """GitHub asks integrators to space content-creating requests out."""
    extra: dict[str, Any] = field(default_factory=dict)
    vault_options: dict[str, Any] = field(default_factory=dict)
    """Extra KeyClient options (tests: `verify_challenge_resource=False` for a vault on 127.0.0.1)."""
    rbac_wait_seconds: tuple[float, ...] = (10, 20, 30, 60, 60, 120)
    """Waits before retrying a data-plane call after granting a role (assignments take minutes to apply)."""


class Clients:
    """Lazily built clients for one bootstrap run."""

    def __init__(self, subscription_id: str, endpoints: Endpoints | None = None) -> None:
        self.subscription_id = subscription_id
        self.endpoints = endpoints or Endpoints()
        self._cache: dict[str, Any] = {}

    # ------------------------------------------------------------------ Azure
    def credential(self) -> Any:
        if self.endpoints.credential is None:
            _require("azure.identity")
            from azure.identity import DefaultAzureCredential

            self.endpoints.credential = DefaultAzureCredential(exclude_interactive_browser_credential=True)
        return self.endpoints.credential

    def _arm(self, name: str, factory: Any, subscription_id: str | None = None) -> Any:
        subscription = subscription_id or self.subscription_id
        name = name if subscription == self.subscription_id else f"{name}:{subscription}"
        if name not in self._cache:
            self._cache[name] = factory(
                self.credential(),
                subscription,
                base_url=self.endpoints.arm,
                credential_scopes=[f"{ARM}/.default"],
                connection_verify=self.endpoints.verify,
                retry_total=self.endpoints.retry_total,
                retry_backoff_factor=self.endpoints.backoff_seconds,
            )
        return self._cache[name]

    def resources(self, subscription_id: str | None = None) -> Any:
        """Resource groups and generic resources (by id, with an explicit API version) of a subscription."""
        _require("azure.mgmt.resource.resources")
        from azure.mgmt.resource.resources import ResourceManagementClient

        return self._arm("resources", ResourceManagementClient, subscription_id)

    def storage(self) -> Any:
        _require("azure.mgmt.storage")
        from azure.mgmt.storage import StorageManagementClient

        return self._arm("storage", StorageManagementClient)

    def msi(self) -> Any:
        _require("azure.mgmt.msi")
        from azure.mgmt.msi import ManagedServiceIdentityClient

        return self._arm("msi", ManagedServiceIdentityClient)

    def authorization(self) -> Any:
        _require("azure.mgmt.authorization")
        from azure.mgmt.authorization import AuthorizationManagementClient

        return self._arm("authorization", AuthorizationManagementClient)

    def keys(self, vault_url: str) -> Any:
        """A KeyClient of the vault at `vault_url` (its `properties.vaultUri`)."""
        key = f"keys:{vault_url}"
        if key not in self._cache:
            _require("azure.keyvault.keys")
            from azure.keyvault.keys import KeyClient

            self._cache[key] = KeyClient(
                vault_url,
                self.credential(),
                connection_verify=self.endpoints.verify,
                retry_total=self.endpoints.retry_total,
                retry_backoff_factor=self.endpoints.backoff_seconds,
                **self.endpoints.vault_options,
            )
        return self._cache[key]

    def signed_in_object_id(self) -> str | None:
        """The object id (`oid` claim) of whoever runs bootstrap, from their ARM token; None when the token
        is not a JWT. The token itself is never kept, logged or returned."""
        import base64
        import json

        token = self.credential().get_token(f"{ARM}/.default").token
        parts = token.split(".")
        if len(parts) != 3:
            return None
        try:
            claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except ValueError:
            return None
        oid = claims.get("oid") if isinstance(claims, dict) else None
        return oid if isinstance(oid, str) and oid else None

    def network(self) -> Any:
        """Generic ARM reads (does the runner subnet exist yet?) through the resources client."""
        return self.resources()

    # ------------------------------------------------------------------ GitHub
    def github(self) -> Any:
        if "github" not in self._cache:
            _require("github")
            from github import Auth, Github

            token = self.endpoints.github_token or os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN")
            if not token:
                raise ConfigError(
                    "no GitHub token: set GITHUB_TOKEN (or GH_TOKEN, e.g. `export GH_TOKEN=$(gh auth token)`) for an "
                    "account that administers the repository",
                    key="GITHUB_TOKEN",
                )
            self._cache["github"] = Github(
                auth=Auth.Token(token),
                base_url=self.endpoints.github,
                verify=self.endpoints.verify,
                seconds_between_requests=None,
                seconds_between_writes=self.endpoints.seconds_between_writes,
                retry=self.endpoints.retry_total,
            )
        return self._cache["github"]

    # ------------------------------------------------------------------ Azure DevOps
    def ado(self) -> AdoClient:
        if "ado" not in self._cache:
            _require("httpx")
            _require("tenacity")
            token = self.endpoints.ado_token or os.environ.get("AZURE_DEVOPS_EXT_PAT")
            if token:
                auth: Any = ("", token)
            else:
                auth = _EntraAuth(self.credential())
            self._cache["ado"] = AdoClient(self.endpoints, auth)
        client: AdoClient = self._cache["ado"]
        return client

    # ------------------------------------------------------------------ errors
    @staticmethod
    def describe_error(exc: Exception) -> str | None:
        """A one-line summary of an API client's error (status, code, message); None if not one of theirs."""
        try:
            from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
        except ImportError:  # pragma: no cover - azure-core is a dependency
            ClientAuthenticationError = HttpResponseError = ()  # type: ignore[assignment,misc]
        if isinstance(exc, ClientAuthenticationError):
            return (
                "Azure sign-in failed: sign in with `az login` (and `az account set --subscription ...`) as someone "
                "who may create resource groups, storage accounts and managed identities in the subscription"
            )
        if isinstance(exc, HttpResponseError):
            error = getattr(exc, "error", None)
            code = getattr(error, "code", None) or getattr(exc, "reason", "")
            message = getattr(error, "message", None) or str(exc).splitlines()[0]
            return f"Azure answered {exc.status_code} {code}: {message}"
        try:
            from github import GithubException
        except ImportError:  # pragma: no cover
            GithubException = ()  # type: ignore[assignment,misc]
        if isinstance(exc, GithubException):
            data = exc.data if isinstance(exc.data, dict) else {}
            return f"GitHub answered {exc.status}: {data.get('message', 'no message')}"
        if isinstance(exc, AdoError):
            return str(exc)
        try:
            import httpx
        except ImportError:  # pragma: no cover
            return None
        if isinstance(exc, httpx.HTTPError):
            return f"Azure DevOps could not be reached: {type(exc).__name__}"
        try:
            from tenacity import RetryError
        except ImportError:  # pragma: no cover
            return None
        if isinstance(exc, RetryError):
            last = exc.last_attempt.exception() if exc.last_attempt else None
            return Clients.describe_error(last) if isinstance(last, Exception) else "retries exhausted"
        return None


class AdoError(Exception):
    """An Azure DevOps API answer that is not a success (after retries)."""


class _EntraAuth:
    """httpx auth: a bearer token for Azure DevOps from an azure-core credential, refreshed per request."""

    def __init__(self, credential: Any) -> None:
        self.credential = credential

    def __call__(self, request: Any) -> Any:
        request.headers["Authorization"] = f"Bearer {self.credential.get_token(ADO_RESOURCE).token}"
        return request


class AdoClient:
    """JSON requests to Azure DevOps with retries; `org`-relative paths."""

    def __init__(self, endpoints: Endpoints, auth: Any) -> None:
        import ssl

        import httpx

        self.endpoints = endpoints
        verify = (
            ssl.create_default_context(cafile=endpoints.verify)
            if isinstance(endpoints.verify, str)
            else endpoints.verify
        )
        self._http = httpx.Client(verify=verify, auth=auth, timeout=30.0, follow_redirects=False)

    def request(self, method: str, url: str, *, json: Any = None, params: dict[str, str] | None = None) -> Any:
        import httpx
        from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

        def retryable(exc: BaseException) -> bool:
            if isinstance(exc, httpx.TransportError):
                return True
            return isinstance(exc, _Retry)

        try:
            for attempt in Retrying(
                retry=retry_if_exception(retryable),
                stop=stop_after_attempt(self.endpoints.retry_total + 1),
                wait=wait_exponential(multiplier=self.endpoints.backoff_seconds, max=60),
                reraise=True,
            ):
                with attempt:
                    response = self._http.request(
                        method, url, json=json, params=params, headers={"X-TFS-FedAuthRedirect": "Suppress"}
                    )
                    if response.status_code in RETRYABLE:
                        raise _Retry(response)
        except _Retry as exhausted:
            response = exhausted.response
        if response.status_code >= 400:
            raise AdoError(_ado_message(method, url, response))
        if not response.content:
            return None
        return response.json()

    def org_url(self, organization: str, path: str) -> str:
        return f"{self.endpoints.ado.rstrip('/')}/{organization}/{path.lstrip('/')}"

    def vssps_url(self, organization: str, path: str) -> str:
        return f"{self.endpoints.vssps.rstrip('/')}/{organization}/{path.lstrip('/')}"


class _Retry(Exception):
    def __init__(self, response: Any) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def _ado_message(method: str, url: str, response: Any) -> str:
    try:
        body = response.json()
        detail = body.get("message") or body.get("typeKey") or ""
    except ValueError:
        detail = response.text[:200]
    path = url.split("/_apis/", 1)[-1].split("?", 1)[0]
    return f"Azure DevOps answered {response.status_code} to {method} _apis/{path}: {detail or 'no message'}"
