"""What the AI gateway fronts: models (with their backend URLs), team apps and teams (`ai_gateway.AiGateway`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pulumi

BackendKind = Literal["openai", "vllm", "ml"]
TOKEN_AUDIENCES: dict[str, str] = {
    "openai": "https://cognitiveservices.azure.com",
    "ml": "https://ml.azure.com",
}
"""The Entra resource the gateway's identity asks a token for, per backend kind (vLLM takes its API key)."""


@dataclass(frozen=True, kw_only=True)
class BackendUrl:
    url: pulumi.Input[str]
    priority: int = 1
    """Lower is tried first (e.g. provisioned 1, pay-as-you-go 2). Default: 1."""
    weight: int = 100
    """Share among backends of the same priority. Default: 100."""


@dataclass(frozen=True, kw_only=True)
class AppSplit:
    """A share of a model route's requests sent to a team app (a prompt flow moving to Container Apps)."""

    app: str
    fqdn: pulumi.Input[str]
    """The app's internal host name: the backend is `https://<fqdn><path>`."""
    percent: int
    path: str = "/score"
    """The path the app serves the flow's contract at (a prompt flow endpoint scores at /score). Default: /score."""
    resource: pulumi.Resource | None = None
    """The app's resource: the backend depends on it. Default: none."""


@dataclass(frozen=True, kw_only=True)
class ModelApiSpec:
    """One model behind the gateway."""

    name: str
    kind: BackendKind
    urls: list[BackendUrl]
    api_key_secret_uri: pulumi.Input[str] | None = None
    """vLLM only: the Key Vault secret holding its API key (a Key Vault-backed named value). Default: none."""
    target: pulumi.Resource | None = None
    """The model's resource when the stack has one (a deployment, an online endpoint): the API depends on it
    (the estate graph draws gateway -> model). Default: none."""
    split: AppSplit | None = None
    """ML endpoints only: send a share of the route's requests to a team app, called with the gateway's identity
    for the gateway's audience (docs/migration.md). Default: none."""

    def __post_init__(self) -> None:
        if not self.urls:
            raise ValueError(f"gateway model {self.name}: give at least one backend URL")
        if self.kind == "vllm" and self.api_key_secret_uri is None:
            raise ValueError(f"gateway model {self.name}: vLLM needs api_key_secret_uri (its key lives in Key Vault)")
        if self.kind != "vllm" and self.api_key_secret_uri is not None:
            raise ValueError(f"gateway model {self.name}: {self.kind} backends use the managed identity, not a key")
        if self.split is not None and (self.kind != "ml" or len(self.urls) != 1):
            raise ValueError(f"gateway model {self.name}: only a single-backend ML endpoint moves to an app")


@dataclass(frozen=True, kw_only=True)
class AppApiSpec:
    """One team app behind the gateway (a Container App with ingress from the gateway subnet only)."""

    name: str
    team: str
    """The team whose product holds the app's API (its callers subscribe to that product)."""
    fqdn: pulumi.Input[str]
    """The app's internal host name: the backend is `https://<fqdn>`."""
    app: pulumi.Resource | None = None
    """The app's resource: the API and backend depend on it (the estate graph draws the request path). Default: none."""


@dataclass(frozen=True, kw_only=True)
class TeamSpec:
    name: str
    cost_center: str
    tokens_per_minute: int
    monthly_token_quota: int
    models: list[str]
    client_app_ids: list[pulumi.Input[str]] = field(default_factory=list)
    """Entra app ids whose tokens are accepted for this team's models (the config's, and the client ids of the
    team's apps' identities when the config lists any). Default: any app of the audience."""
