"""Where the bootstrap's calls go: ARM, the registry's data plane, the vault's data plane.

Every call goes through `arm_client.ArmClient` (httpx, tenacity retries on 429/5xx with
Retry-After, bounded attempts, errors without tokens or bodies). Three audiences:

- ARM (`https://management.azure.com/.default`): the registry and the vault as resources,
  and the registry's `importImage` operation;
- the registry's data plane (`https://<login server>`): an ARM token is exchanged for a registry
  refresh token (`POST /oauth2/exchange`), that for a pull-scoped access token (`POST
  /oauth2/token`), which reads a manifest (`HEAD /v2/<repository>/manifests/<digest>`)
  (azure-rest-api-specs, containerregistry data-plane stable 2021-07-01 examples
  PostRefreshToken.json and PostAccessToken.json, read 2026-12-01; the exchange accepts an
  ARM-audience token as `az acr login --expose-token` does);
- the vault's data plane (`https://vault.azure.net/.default`, base URL the vault URI).

`SeedClients.from_credential` builds them on azure-identity's DefaultAzureCredential; tests
build them on a replay server (`SeedClients.for_replay`). Tokens are never printed or kept in
an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from llmops_infra.engine.arm_client import ARM, ARM_SCOPE, ArmClient, ArmError

VAULT_SCOPE = "https://vault.azure.net/.default"
OCI_ACCEPT = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)
"""A digest of a multi-architecture image names an index; a registry answers 404 for a media
type the client does not accept, so every manifest type is accepted."""


class TokenGetter(Protocol):
    def __call__(self, scope: str) -> Any:
        """An azure-core AccessToken (`.token`, `.expires_on`) for `scope`."""
        ...


def _credential_getter() -> TokenGetter:
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import DefaultAzureCredential

    credential = DefaultAzureCredential(exclude_interactive_browser_credential=True)

    def get(scope: str) -> Any:
        quiet = logging.getLogger("azure")
        level = quiet.level
        quiet.setLevel(logging.CRITICAL)  # the chain logs every failed source as a warning
        try:
            return credential.get_token(scope)
        except ClientAuthenticationError as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ArmError(
                401,
                "NoCredential",
                f"no Azure credentials for {scope}: {first.rstrip('.')}. Sign in (`az login`) or set the "
                "pipeline's federated identity (AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE)",
                scope,
            ) from None
        finally:
            quiet.setLevel(level)

    return get


@dataclass
class RegistryData:
    """Reads manifests from one registry's data plane."""

    http: ArmClient
    """No bearer of its own: the registry takes its own tokens, obtained below."""
    login_server: str
    tenant_id: str
    arm_token: Callable[[], str]
    _refresh: str | None = field(default=None, repr=False)

    def _refresh_token(self) -> str:
        if self._refresh is None:
            answer = self.http.request(
                "POST",
                "/oauth2/exchange",
                data={
                    "grant_type": "access_token",
                    "service": self.login_server,
                    "tenant": self.tenant_id,
                    "access_token": self.arm_token(),
                },
                bearer=False,
            )
            token = (answer.body or {}).get("refresh_token") if isinstance(answer.body, dict) else None
            if not token:
                raise ArmError(answer.status, "NoRefreshToken", "the registry returned no refresh token", "")
            self._refresh = str(token)
        return self._refresh

    def _pull_token(self, repository: str) -> str:
        answer = self.http.request(
            "POST",
            "/oauth2/token",
            data={
                "grant_type": "refresh_token",
                "service": self.login_server,
                "scope": f"repository:{repository}:pull",
                "refresh_token": self._refresh_token(),
            },
            bearer=False,
        )
        token = (answer.body or {}).get("access_token") if isinstance(answer.body, dict) else None
        if not token:
            raise ArmError(answer.status, "NoAccessToken", "the registry returned no access token", "")
        return str(token)

    def has_manifest(self, repository: str, digest: str) -> bool:
        """True when `repository@digest` is in the registry; False on 404; ArmError otherwise."""
        answer = self.http.request(
            "HEAD",
            f"/v2/{repository}/manifests/{digest}",
            headers={"Accept": OCI_ACCEPT, "Authorization": f"Bearer {self._pull_token(repository)}"},
            accept=(404,),
            bearer=False,
        )
        return answer.status == 200


@dataclass
class SeedClients:
    """The bootstrap's clients. `vault(uri)` and `registry(login_server)` are made on demand."""

    arm: ArmClient
    vault: Callable[[str], ArmClient]
    registry: Callable[[str], RegistryData]

    @classmethod
    def from_credential(cls, tenant_id: str, get_token: TokenGetter | None = None) -> SeedClients:
        """Clients on azure-identity's DefaultAzureCredential (or `get_token`)."""
        getter = get_token or _credential_getter()
        arm = ArmClient(token_getter=lambda: getter(ARM_SCOPE))

        def vault(uri: str) -> ArmClient:
            return ArmClient(token_getter=lambda: getter(VAULT_SCOPE), base_url=uri, scope=VAULT_SCOPE)

        def registry(login_server: str) -> RegistryData:
            http = ArmClient(token_getter=lambda: getter(ARM_SCOPE), base_url=f"https://{login_server}")
            return RegistryData(http, login_server, tenant_id, lambda: str(getter(ARM_SCOPE).token))

        return cls(arm=arm, vault=vault, registry=registry)

    @classmethod
    def for_replay(
        cls, base_url: str, token_getter: Callable[[], Any], tenant_id: str, sleep: Callable[[float], None]
    ) -> SeedClients:
        """Every audience answered by one local replay server (tests)."""

        def client(scope: str = ARM_SCOPE) -> ArmClient:
            return ArmClient(token_getter=token_getter, base_url=base_url, sleep=sleep, scope=scope)

        def registry(login_server: str) -> RegistryData:
            return RegistryData(client(), login_server, tenant_id, lambda: str(token_getter().token))

        return cls(arm=client(), vault=lambda _uri: client(VAULT_SCOPE), registry=registry)


__all__ = ["ARM", "OCI_ACCEPT", "VAULT_SCOPE", "RegistryData", "SeedClients", "TokenGetter"]
