"""What the bootstrap's steps share: the items they report, the context they read, the failure.

A step (`SeedStep`) first `check`s, read-only, what the workload stack needs and is missing
(that is all `preview` does), then `ensure`s each missing item and verifies it (its gate). An
item carries names and states only, never a secret's value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from llmops_infra.errors import EngineError

if TYPE_CHECKING:
    from llmops_infra.config.models import EnvironmentConfig
    from llmops_infra.engine.progress import Progress
    from llmops_infra.engine.seed_clients import SeedClients

PRESENT = "present"
"""Already there: nothing to do."""
MISSING = "missing"
"""Not there: `up` creates it."""
UNKNOWN = "unknown"
"""Could not be checked from here (a private data plane): `up` makes sure where that is safe."""
WAITING = "waiting"
"""Its container (registry, vault) does not exist yet: the platform stack creates it first."""
BLOCKED = "blocked"
"""`up` cannot make it without the user (an unset environment variable, a placeholder digest)."""
DONE = "done"
"""Made by this run and verified."""

REGISTRY_API = "2025-11-01"
"""Microsoft.ContainerRegistry stable API (azure-rest-api-specs ContainerRegistry/Registry/stable/2025-11-01,
read 2026-12-01): registries GET and importImage."""
VAULT_API = "2024-11-01"
"""Microsoft.KeyVault stable API (azure-rest-api-specs keyvault/resource-manager stable/2024-11-01, the
version the installed azure-native SDK uses, read 2026-12-01): vaults GET."""


class SeedFailed(EngineError):
    """A bootstrap step could not make what the workload stack needs; nothing after it ran."""

    def __init__(self, step: str, message: str) -> None:
        self.step = step
        self.detail = message
        super().__init__(f"bootstrap {step} failed: {message}")


@dataclass(frozen=True)
class SeedItem:
    """One thing a step makes sure of: an image, a secret."""

    step: str
    name: str
    state: str
    detail: str
    key: str = ""
    """The config key that names it (for blocked items: where to fix it)."""
    payload: Any = field(default=None, compare=False, repr=False)
    """The step's own description of the item (never a secret value)."""

    def as_dict(self) -> dict[str, str]:
        return {"step": self.step, "name": self.name, "state": self.state, "detail": self.detail}

    def but(self, state: str, detail: str) -> SeedItem:
        return SeedItem(self.step, self.name, state, detail, self.key, self.payload)


@dataclass(frozen=True)
class Targets:
    """The estate's registry and vault as ARM reports them (None: not created yet)."""

    subscription_id: str
    tenant_id: str
    resource_group: str
    registry_name: str
    vault_name: str
    registry: dict[str, Any] | None
    vault: dict[str, Any] | None

    @property
    def registry_path(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.ContainerRegistry/registries/{self.registry_name}"
        )

    @property
    def vault_path(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.KeyVault/vaults/{self.vault_name}"
        )

    @property
    def login_server(self) -> str:
        properties = (self.registry or {}).get("properties") or {}
        return str(properties.get("loginServer") or f"{self.registry_name}.azurecr.io").lower()

    @property
    def vault_uri(self) -> str:
        properties = (self.vault or {}).get("properties") or {}
        return str(properties.get("vaultUri") or f"https://{self.vault_name}.vault.azure.net").rstrip("/")


@dataclass
class SeedContext:
    """What a step reads: the config, where the estate's registry and vault are, the clients,
    the process environment (secret values, read only when a secret is made)."""

    config: EnvironmentConfig
    targets: Targets
    clients: SeedClients
    environ: Mapping[str, str]
    progress: Progress
    operation: str
    import_timeout: float = 45 * 60.0
    """Seconds an image import may take (a vLLM image is several GB)."""


class SeedStep(Protocol):
    name: str
    """Short name shown in progress (`images`, `secrets`)."""

    def check(self, ctx: SeedContext) -> list[SeedItem]:
        """What exists and what is missing; reads only."""
        ...

    def ensure(self, ctx: SeedContext, item: SeedItem) -> SeedItem:
        """Make one missing or unknown item and verify it (the step's gate); a DONE or PRESENT item."""
        ...
