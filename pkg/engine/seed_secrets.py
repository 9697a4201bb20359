"""Bootstrap step `secrets`: every Key Vault secret the workloads read exists before they start.

The workloads name secrets (`inference.api_key_secret`, `inference.models[].hub_token_secret`: the list
`InferenceConfig.key_vault_secrets()` gives; `ci.runners.github.token_secret`);
`key_vault.secrets_from_env` says which environment variable feeds which secret. A secret that
exists (latest version enabled, not expired) is kept: the bootstrap never reads a value back
and never overwrites one; rotate in the vault. A missing secret is created from its variable;
a missing one without a variable, or whose variable is unset, stops `up` with exit 2 naming
the secret, the variable and the fix.

Key Vault's data plane, API 2025-07-01 (learn.microsoft.com/rest/api/keyvault/secrets/set-secret,
view rest-keyvault-secrets-2025-07-01, read 2026-12-01): `GET /secrets` lists names and attributes,
never values; `PUT /secrets/{name}` sets one. The PUT's answer echoes the value (azure-rest-api-specs
Security.KeyVault.Secrets examples/7.6/SetSecret-example.json): only `id` and `attributes` are read
from it. Values are sent in the request body only; every message the step writes is scrubbed of
them. A private vault answers 403 ForbiddenByConnection / ForbiddenByFirewall outside its network
(Azure-Samples/azuresandbox#429, microsoft/multimodal-ai#171, read 2026-12-01): run from the VNet.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.engine.arm_client import ArmError
from llmops_infra.engine.seed_types import (
    BLOCKED,
    DONE,
    MISSING,
    PRESENT,
    UNKNOWN,
    WAITING,
    SeedContext,
    SeedFailed,
    SeedItem,
)
from llmops_infra.errors import ConfigError

SECRETS_API = "2025-07-01"
"""Key Vault secrets data-plane API (learn.microsoft.com/rest/api/keyvault/secrets, view
rest-keyvault-secrets-2025-07-01; examples in azure-rest-api-specs Security.KeyVault.Secrets; read 2026-12-01)."""
OFFICER = "Key Vault Secrets Officer (b86a8fe4-44ce-4948-aee5-eccb2c155cd7)"
NETWORK_REFUSALS = {"ForbiddenByConnection", "ForbiddenByFirewall"}
"""Key Vault's innererror codes for a request from outside the vault's network."""
DELETED = "ObjectIsDeletedButRecoverable"
"""The 409 innererror code when a soft-deleted secret holds the name (external-secrets#3519)."""


@dataclass(frozen=True)
class NeededSecret:
    name: str
    env: str | None
    """The environment variable that feeds it (None: not seeded here; must exist)."""
    key: str
    """Where the config names it."""
    used_by: str


def needed_secrets(config: EnvironmentConfig) -> list[NeededSecret]:
    """The secrets the bootstrap makes sure of: the seeded ones, then those the workloads read."""
    seeded = {s.name: (index, s) for index, s in enumerate(config.key_vault.secrets_from_env)}
    found: dict[str, NeededSecret] = {}
    for name, (index, secret) in seeded.items():
        found[name] = NeededSecret(
            name, secret.env, f"key_vault.secrets_from_env[{index}].env", secret.description or f"from {secret.env}"
        )
    inference = config.inference
    readers: list[tuple[str, str, str]] = []
    for name in inference.key_vault_secrets():  # the API key, then each hub token
        if name == inference.api_key_secret:
            readers.append((name, "inference.api_key_secret", "read by every vLLM server as its API key"))
            continue
        index, model = next((i, m) for i, m in enumerate(inference.models) if m.hub_token_secret == name)
        readers.append(
            (name, f"inference.models[{index}].hub_token_secret", f"read by the weights loader of {model.name}")
        )
    runners = config.ci.runners
    if runners.enabled and runners.kind == "github" and runners.github is not None:
        readers.append((runners.github.token_secret, "ci.runners.github.token_secret", "read by the CI runners"))
    for name, key, user in readers:
        if name not in found:
            found[name] = NeededSecret(name, None, key, user)
    return list(found.values())


def _scrub(text: str, values: list[str]) -> str:
    for value in values:
        if value:
            text = text.replace(value, "[secret]")
    return text


class SecretsStep:
    name = "secrets"

    def _listing(self, ctx: SeedContext) -> dict[str, dict[str, Any]]:
        """Secret name -> attributes of its latest version, from the vault (names only, no values)."""
        vault = ctx.clients.vault(ctx.targets.vault_uri)
        try:
            items = vault.list("/secrets", SECRETS_API, {"maxresults": "25"})
        except ArmError as exc:
            raise SeedFailed(self.name, _refusal(exc, ctx, "list the secrets of")) from None
        listed: dict[str, dict[str, Any]] = {}
        for item in items:
            name = str(item.get("id") or "").rstrip("/").rsplit("/", 1)[-1]
            if name:
                listed[name] = dict(item.get("attributes") or {})
        return listed

    def check(self, ctx: SeedContext) -> list[SeedItem]:
        needed = needed_secrets(ctx.config)
        if not needed:
            return []
        if ctx.targets.vault is None:
            return [
                SeedItem(self.name, s.name, WAITING, f"vault {ctx.targets.vault_name} is not created yet", s.key, s)
                for s in needed
            ]
        try:
            listed = self._listing(ctx)
        except SeedFailed as exc:
            if ctx.operation != "preview":
                raise
            return [SeedItem(self.name, s.name, UNKNOWN, f"not checked: {exc.detail}", s.key, s) for s in needed]
        return [self._item(ctx, secret, listed.get(secret.name)) for secret in needed]

    def _item(self, ctx: SeedContext, secret: NeededSecret, attributes: dict[str, Any] | None) -> SeedItem:
        usable = attributes is not None and attributes.get("enabled", True) and not _expired(attributes)
        if usable:
            return SeedItem(
                self.name, secret.name, PRESENT, f"present (read by {secret.used_by}); kept", secret.key, secret
            )
        why = "missing" if attributes is None else "disabled or expired"
        if secret.env is None:
            return SeedItem(
                self.name,
                secret.name,
                BLOCKED,
                f"secret {secret.name} ({secret.key}, {secret.used_by}) is {why} in vault "
                f"{ctx.targets.vault_name} and no variable feeds it: list it under key_vault.secrets_from_env with "
                f"the variable that holds it, or create it (az keyvault secret set --vault-name "
                f"{ctx.targets.vault_name} --name {secret.name} --file <file>)",
                secret.key,
                secret,
            )
        if not ctx.environ.get(secret.env, "").strip():
            return SeedItem(
                self.name,
                secret.name,
                BLOCKED,
                f"secret {secret.name} is {why} in vault {ctx.targets.vault_name} and environment variable "
                f"{secret.env} ({secret.key}) is not set: export {secret.env} with its value (from your secret store, "
                "not a file in the repository) and rerun",
                secret.key,
                secret,
            )
        detail = f"from {secret.env}" if attributes is None else f"{why}; a new version from {secret.env}"
        return SeedItem(self.name, secret.name, MISSING, detail, secret.key, secret)

    def ensure(self, ctx: SeedContext, item: SeedItem) -> SeedItem:
        secret: NeededSecret = item.payload
        if item.state == BLOCKED:
            raise ConfigError(item.detail, key=item.key)
        assert secret.env is not None
        value = ctx.environ.get(secret.env, "").strip()
        vault = ctx.clients.vault(ctx.targets.vault_uri)
        started = time.monotonic()
        try:
            answer = vault.request(
                "PUT",
                f"/secrets/{secret.name}",
                SECRETS_API,
                json={
                    "value": value,
                    "contentType": "text/plain",
                    "tags": {"managed-by": "llmops-infra", "from-env": secret.env},
                },
            )
        except ArmError as exc:
            raise SeedFailed(self.name, _scrub(self._set_failure(exc, ctx, secret), [value])) from None
        finally:
            value = ""  # drop this step's reference to the value
        version = str((answer.body or {}).get("id") or "").rsplit("/", 1)[-1] if isinstance(answer.body, dict) else ""
        attributes = self._listing(ctx).get(secret.name)
        if attributes is None or not attributes.get("enabled", True):
            raise SeedFailed(
                self.name,
                f"gate secret-present: {secret.name} is not listed in {ctx.targets.vault_name} after it was set",
            )
        seconds = time.monotonic() - started
        return item.but(DONE, f"created from {secret.env} (version {version[:8] or '?'}…, {seconds:.0f} s)")

    def _set_failure(self, exc: ArmError, ctx: SeedContext, secret: NeededSecret) -> str:
        vault = ctx.targets.vault_name
        if exc.status == 409 and (exc.inner == DELETED or "deleted" in exc.message.lower()):
            return (
                f"secret {secret.name} was deleted and is still recoverable in {vault} (soft delete): recover it "
                f"(az keyvault secret recover --vault-name {vault} --name {secret.name}) and rerun; purge protection "
                "keeps it from being purged before its retention ends"
            )
        return _refusal(exc, ctx, f"set {secret.name} in")


def _expired(attributes: dict[str, Any]) -> bool:
    expires = attributes.get("exp")
    return isinstance(expires, int | float) and expires <= time.time()


def _refusal(exc: ArmError, ctx: SeedContext, what: str) -> str:
    vault = ctx.targets.vault_name
    if exc.status == 403 and exc.inner in NETWORK_REFUSALS:
        return (
            f"vault {vault} refused to {what} it from this machine ({exc.inner}: it takes requests only through its "
            "private endpoint): run the bootstrap from the VNet (the CI runners: `llmops-infra up ENV --only "
            "bootstrap`), or from an allowed address"
        )
    if exc.forbidden:
        return (
            f"vault {vault} refused to {what} it ({exc.inner or exc.code}): grant the deployer {OFFICER} on the vault "
            "(the estate grants it to the CI identity; people need it from an administrator), then rerun"
        )
    return f"could not {what} vault {vault}: {exc.status or 'no answer'} {exc.code}: {exc.message}"


__all__ = ["SECRETS_API", "NeededSecret", "SecretsStep", "needed_secrets"]
