"""Bootstrap steps for release signing: the chain's Key Vault, its EC P-256 key, who may sign.

`release`, `promote`, `approve` and `rollback` sign and verify manifests with the Key Vault key
`LLMOPS_SIGNING_KEY` names, and refuse anything else in CI (`release/signing.py`). One key serves
a whole promotion chain (promote verifies the source's manifest with the target's key), so the
vault belongs to the chain's first environment; each environment's bootstrap makes sure of it
and grants its own pipeline identity Key Vault Crypto User on the key alone.

- The vault (ARM `Microsoft.KeyVault/vaults`, API 2024-11-01, through the generic resources
  client): standard SKU, RBAC authorization (no access policies), soft delete (90 days) and purge
  protection, its own tags; where the chain has a private environment, public networks are
  denied except `--allow-ip` ranges and the runner subnets that exist (rules other runs added
  are kept: the vault is shared). A vault of that name that was deleted is recovered
  (`createMode: recover`): purge protection keeps the name for 90 days, and the key with it.
- The key (data plane, azure-keyvault-keys' KeyClient): EC P-256, operations sign and verify,
  not exportable; created once, never read back beyond its public part.
- Whoever runs bootstrap needs the right to create the key: when the vault refuses
  (ForbiddenByRbac), they are granted Key Vault Crypto Officer on the vault (when they may assign
  roles), the creation is retried while the assignment propagates, and the administrator's list
  says how to remove the grant afterwards.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from llmops_infra.delivery.bootstrap_spec import (
    KEY_VAULT_CRYPTO_OFFICER,
    KEY_VAULT_CRYPTO_USER,
    SIGNING_SOFT_DELETE_DAYS,
    BootstrapSpec,
    SigningSpec,
)
from llmops_infra.delivery.bootstrap_steps import CREATED, SKIPPED, UNCHANGED, UPDATED, BootstrapContext, Step
from llmops_infra.errors import EngineError

KEY_VAULT_API_VERSION = "2024-11-01"
"""Microsoft.KeyVault/vaults: the API version pulumi-azure-native 3.29.0's keyvault.Vault uses;
properties and examples (createVaultWithNetworkAcls, getDeletedVault) from azure-rest-api-specs
specification/keyvault/resource-manager/Microsoft.KeyVault/stable/2024-11-01, read 2026-12-01."""
RESOURCE_GROUP_API_VERSION = "2021-04-01"
NETWORK_REFUSALS = {"ForbiddenByConnection", "ForbiddenByFirewall"}
"""Key Vault's innererror codes for a request from outside the vault's network."""
RBAC_REFUSAL = "ForbiddenByRbac"


def _signing(ctx: BootstrapContext) -> SigningSpec:
    signing = ctx.spec.signing
    assert signing is not None  # the steps exist only with a signing spec
    return signing


def _get(call: Any, *args: Any, **kwargs: Any) -> Any | None:
    from azure.core.exceptions import ResourceNotFoundError

    try:
        return call(*args, **kwargs)
    except ResourceNotFoundError:
        return None


def _inner_code(exc: Exception) -> str:
    error = getattr(exc, "error", None)
    inner = getattr(error, "innererror", None) or {}
    code = inner.get("code") if isinstance(inner, dict) else None
    return str(code or getattr(error, "code", "") or "")


# --------------------------------------------------------------------------- the vault


def _vault_properties(spec: BootstrapSpec, signing: SigningSpec, subnets: list[str]) -> dict[str, Any]:
    acls: dict[str, Any] = {
        "defaultAction": "Allow",
        "bypass": "AzureServices",
        "ipRules": [],
        "virtualNetworkRules": [],
    }
    if signing.private:
        acls = {
            "defaultAction": "Deny",
            "bypass": "AzureServices",
            "ipRules": [{"value": cidr} for cidr in spec.allow_ips],
            "virtualNetworkRules": [{"id": subnet, "ignoreMissingVnetServiceEndpoint": False} for subnet in subnets],
        }
    return {
        "enableRbacAuthorization": True,
        "enableSoftDelete": True,
        "enablePurgeProtection": True,
        "publicNetworkAccess": "Enabled",
        "networkAcls": acls,
    }


def _rule_key(kind: str, rule: dict[str, Any]) -> str:
    value = str(rule.get("id" if kind == "virtualNetworkRules" else "value") or "").lower()
    return value.removesuffix("/32") if kind == "ipRules" else value


def _acl_drift(current: dict[str, Any], desired: dict[str, Any]) -> dict[str, Any] | None:
    """The network rule set to write, or None when `current` already has everything `desired` asks for.
    Rules beyond the desired ones are kept: other environments' bootstraps added them."""
    merged = {"defaultAction": desired["defaultAction"], "bypass": desired["bypass"]}
    changed = any(current.get(k) != desired[k] for k in ("defaultAction", "bypass"))
    for kind in ("ipRules", "virtualNetworkRules"):
        have = list(current.get(kind) or [])
        known = {_rule_key(kind, rule) for rule in have}
        missing = [rule for rule in desired[kind] if _rule_key(kind, rule) not in known]
        changed = changed or bool(missing)
        merged[kind] = [
            {k: v for k, v in rule.items() if k in ("id", "value", "ignoreMissingVnetServiceEndpoint")} for rule in have
        ] + missing
    return merged if changed else None


def _existing_subnets(ctx: BootstrapContext, signing: SigningSpec) -> list[str]:
    resources = ctx.clients.resources()
    found: list[str] = []
    missing: list[str] = []
    for subnet in signing.runner_subnets:
        exists = _get(resources.resources.get_by_id, subnet, api_version="2024-05-01") is not None
        (found if exists else missing).append(subnet)
    if missing:
        ctx.admin.append(
            f"{len(missing)} runner subnet(s) of the chain do not exist yet ({', '.join(s.rsplit('/', 1)[-1] for s in missing)}): "
            f"after each environment's first deployment, rerun `llmops-infra bootstrap` for it so that the signing "
            f"vault {signing.vault} admits its runners"
        )
    return found


def _vault(ctx: BootstrapContext) -> str:
    spec, signing = ctx.spec, _signing(ctx)
    resources = ctx.clients.resources(signing.subscription_id).resources
    vault_id = signing.vault_id()
    desired = _vault_properties(spec, signing, _existing_subnets(ctx, signing) if signing.private else [])
    current = _get(resources.get_by_id, vault_id, api_version=KEY_VAULT_API_VERSION)
    if current is None:
        deleted_id = (
            f"/subscriptions/{signing.subscription_id}/providers/Microsoft.KeyVault/locations/{signing.location}/"
            f"deletedVaults/{signing.vault}"
        )
        deleted = _get(resources.get_by_id, deleted_id, api_version=KEY_VAULT_API_VERSION)
        properties: dict[str, Any] = {
            "tenantId": spec.tenant_id,
            "sku": {"family": "A", "name": "standard"},
            "softDeleteRetentionInDays": SIGNING_SOFT_DELETE_DAYS,
            **desired,
        }
        if deleted is not None:
            properties["createMode"] = "recover"
        body = {"location": signing.location, "tags": {**spec.tags, "purpose": "release-signing"}}
        created = resources.begin_create_or_update_by_id(
            vault_id, {**body, "properties": properties}, api_version=KEY_VAULT_API_VERSION
        ).result()
        ctx.outputs["signing_vault_uri"] = str(created.properties.get("vaultUri") or "")
        if deleted is not None:
            ctx.admin.append(
                f"the signing vault {signing.vault} had been deleted and was recovered with its keys: check that "
                "nobody deleted it on purpose"
            )
        return CREATED
    props = dict(current.properties or {})
    ctx.outputs["signing_vault_uri"] = str(props.get("vaultUri") or "")
    patch = {k: v for k, v in desired.items() if k != "networkAcls" and props.get(k) != v}
    acls = _acl_drift(dict(props.get("networkAcls") or {}), desired["networkAcls"])
    if acls is not None:
        patch["networkAcls"] = acls
    if not patch:
        return UNCHANGED
    resources.begin_update_by_id(vault_id, {"properties": patch}, api_version=KEY_VAULT_API_VERSION).result()
    return UPDATED


# --------------------------------------------------------------------------- the key


def _text(value: Any) -> str:
    """An SDK enum's wire value (or the string itself)."""
    return str(getattr(value, "value", value) or "")


def _check_key(signing: SigningSpec, key: Any) -> None:
    kty = _text(getattr(key, "key_type", ""))
    crv = _text(getattr(getattr(key, "key", None), "crv", ""))
    ops = {_text(op) for op in (getattr(key, "key_operations", None) or [])}
    exportable = bool(getattr(getattr(key, "properties", None), "exportable", False))
    problems = []
    if kty not in ("EC", "EC-HSM") or crv != "P-256":
        problems.append(f"it is {kty} {crv}".strip() + ", not EC P-256")
    if not {"sign", "verify"} <= ops:
        problems.append("its operations do not include sign and verify")
    if exportable:
        problems.append("it is exportable")
    if problems:
        raise EngineError(
            f"the key {signing.key} in the signing vault {signing.vault} exists but {'; '.join(problems)}: release "
            "manifests are signed with ES256. Give a new version of the key those properties (az keyvault key "
            f"create --vault-name {signing.vault} --name {signing.key} --kty EC --curve P-256 --ops sign verify), "
            "then rerun bootstrap"
        )


def _refusal(signing: SigningSpec, exc: Exception, what: str) -> EngineError:
    code = _inner_code(exc)
    if code in NETWORK_REFUSALS:
        where = (
            "rerun bootstrap with --allow-ip <this machine's public IP>/32 (the vault admits --allow-ip ranges and "
            "the runner subnets), or run it from a runner subnet"
        )
        return EngineError(f"the signing vault {signing.vault} refused to {what} from this network ({code}): {where}")
    return EngineError(
        f"the signing vault {signing.vault} refused to {what} ({code or getattr(exc, 'status_code', '')}): "
        f"whoever runs bootstrap needs Key Vault Crypto Officer on {signing.vault_id()} until the key exists"
    )


def _grant(ctx: BootstrapContext, scope: str, principal: str, role: str, principal_type: str) -> str:
    """Assign `role` to `principal` on `scope` (named deterministically): CREATED, UNCHANGED, or SKIPPED when the
    runner may not assign roles (403)."""
    from azure.core.exceptions import HttpResponseError

    signing, client = _signing(ctx), ctx.clients.authorization()
    name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{scope}|{principal}|{role}"))
    definition = f"/subscriptions/{signing.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{role}"
    try:
        if _get(client.role_assignments.get, scope, name) is not None:
            return UNCHANGED
        client.role_assignments.create(
            scope,
            name,
            {"properties": {"roleDefinitionId": definition, "principalId": principal, "principalType": principal_type}},
        )
    except HttpResponseError as exc:
        if exc.status_code != 403:
            raise
        return SKIPPED
    return CREATED


def _key(ctx: BootstrapContext) -> str:
    from azure.core.exceptions import HttpResponseError
    from azure.keyvault.keys import KeyCurveName, KeyOperation

    signing = _signing(ctx)
    vault_uri = ctx.outputs.get("signing_vault_uri") or f"https://{signing.vault}.vault.azure.net/"
    ctx.outputs["signing_key"] = f"{vault_uri.rstrip('/')}/keys/{signing.key}"
    keys = ctx.clients.keys(vault_uri)
    waits = list(ctx.clients.endpoints.rbac_wait_seconds)
    granted = False
    while True:
        try:
            existing = _get(keys.get_key, signing.key)
            if existing is not None:
                _check_key(signing, existing)
                ctx.outputs["signing_key_ready"] = "yes"
                return UNCHANGED
            created = keys.create_ec_key(
                signing.key,
                curve=KeyCurveName.p_256,
                key_operations=[KeyOperation.sign, KeyOperation.verify],
                hardware_protected=False,
                tags={"purpose": "release-manifest-signing", "managed-by": "llmops-infra-bootstrap"},
            )
            _check_key(signing, created)
            ctx.outputs["signing_key_ready"] = "yes"
            return CREATED
        except HttpResponseError as exc:
            if exc.status_code != 403:
                raise
            if _inner_code(exc) != RBAC_REFUSAL:
                raise _refusal(signing, exc, "read or create the key") from None
            if not granted:
                granted = True
                if not _grant_officer(ctx, signing):
                    return SKIPPED
            if not waits:
                raise EngineError(
                    f"Key Vault Crypto Officer on {signing.vault} was granted but is not in effect yet (role "
                    "assignments can take up to 10 minutes): run the same command again in a few minutes"
                ) from None
            time.sleep(waits.pop(0))


def _grant_officer(ctx: BootstrapContext, signing: SigningSpec) -> bool:
    """Grant whoever runs bootstrap Key Vault Crypto Officer on the vault; False (and an administrator task)
    when their object id is unknown or they may not assign roles."""
    runner = ctx.clients.signed_in_object_id()
    grant = (
        f"az role assignment create --assignee-object-id <your object id> --role 'Key Vault Crypto Officer' "
        f"--scope '{signing.vault_id()}'"
    )
    if runner is None or _grant(ctx, signing.vault_id(), runner, KEY_VAULT_CRYPTO_OFFICER, "User") == SKIPPED:
        ctx.admin.append(
            f"the signing key {signing.key} could not be created: you may not create keys in {signing.vault} nor "
            f"grant yourself the right. Have an administrator grant you Key Vault Crypto Officer on the vault "
            f"({grant}), then rerun bootstrap"
        )
        return False
    ctx.admin.append(
        f"you were granted Key Vault Crypto Officer on the signing vault {signing.vault} to create its key; remove "
        f"it unless you administer that key: az role assignment delete --assignee {runner} --role "
        f"'Key Vault Crypto Officer' --scope '{signing.vault_id()}'"
    )
    return True


# --------------------------------------------------------------------------- who may sign


def _signer_access(ctx: BootstrapContext) -> str:
    signing = _signing(ctx)
    principal = ctx.outputs["principal_id"]
    if not ctx.outputs.get("signing_key_ready"):
        return SKIPPED  # no key to grant on yet: the administrator's list says what to do first
    outcome = _grant(ctx, signing.key_scope(), principal, KEY_VAULT_CRYPTO_USER, "ServicePrincipal")
    if outcome == SKIPPED:
        ctx.admin.append(
            f"grant Key Vault Crypto User to principal {principal} on the signing key only (you may not assign "
            f"roles): az role assignment create --assignee-object-id {principal} --assignee-principal-type "
            f"ServicePrincipal --role 'Key Vault Crypto User' --scope '{signing.key_scope()}'"
        )
    return outcome


def signing_steps(spec: BootstrapSpec) -> list[Step]:
    signing = spec.signing
    if signing is None:
        return []
    chain = " -> ".join(signing.chain)
    where = f"{signing.resource_group} of {signing.owner}"
    firewall = (
        "public networks denied except "
        + (", ".join(spec.allow_ips) or "the --allow-ip ranges (none given)")
        + (" and the chain's runner subnets once they exist" if signing.runner_subnets else "")
        if signing.private
        else "reachable from any network, Entra ID sign-in only"
    )
    steps = []
    if (signing.subscription_id, signing.resource_group) != (spec.subscription_id, spec.resource_group):
        steps.append(
            Step(
                "Azure",
                f"resource group {where} in {signing.location} (subscription {signing.subscription_id}): it holds the "
                f"signing vault of the promotion chain {chain}",
                _owner_group,
            )
        )
    return [
        *steps,
        Step(
            "Azure",
            f"Key Vault {signing.vault} in {where} for release signing (chain {chain}): RBAC authorization, soft "
            f"delete ({SIGNING_SOFT_DELETE_DAYS} days) and purge protection; {firewall}",
            _vault,
        ),
        Step(
            "Azure",
            f"key {signing.key} in {signing.vault}: EC P-256 (ES256), operations sign and verify, not exportable; "
            "created once, never read back beyond its public part",
            _key,
        ),
        Step(
            "Azure",
            f"Key Vault Crypto User for {spec.identity} on the key {signing.key} only (sign and verify manifests)",
            _signer_access,
        ),
    ]


def _owner_group(ctx: BootstrapContext) -> str:
    spec, signing = ctx.spec, _signing(ctx)
    groups = ctx.clients.resources(signing.subscription_id).resource_groups
    if groups.check_existence(signing.resource_group):
        return UNCHANGED
    groups.create_or_update(signing.resource_group, {"location": signing.location, "tags": spec.tags})
    return CREATED


def hosted_warning(spec: BootstrapSpec) -> list[str]:
    """Administrator tasks the signing vault's network rules imply (hosted runners cannot reach a private vault)."""
    signing = spec.signing
    if signing is None or not signing.private or not signing.hosted:
        return []
    return [
        f"the signing vault {signing.vault} denies public networks (the chain has a private environment), and "
        f"{', '.join(signing.hosted)} deploy from hosted runners: enable ci.runners there, or add those runners' "
        "addresses with --allow-ip, or their release and promote cannot sign"
    ]
