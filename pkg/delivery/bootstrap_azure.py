"""Bootstrap steps on Azure Resource Manager: state storage, the deployer identity, its federation.

Bodies are ARM's wire format (what the REST reference documents); the azure-mgmt clients
send them, retry, and follow long-running operations. Each step reads first and writes only
what differs, so a rerun is safe at any point.

The state account: StorageV2, zone-redundant, HTTPS and TLS 1.2 only, no shared keys (Entra
ID only: the Pulumi azblob backend and llmops-infra sign in with the pipeline identity), no
public blob access, blob versioning and soft delete for blobs and containers (a deleted or
overwritten checkpoint can be restored). Where the environment is private, the firewall
denies public networks except --allow-ip ranges and, once it exists, the runners' subnet.
"""

from __future__ import annotations

import uuid
from typing import Any

from llmops_infra.delivery.bootstrap_spec import (
    FEDERATION_AUDIENCE,
    GITHUB_ISSUER,
    SOFT_DELETE_DAYS,
    STORAGE_BLOB_DATA_CONTRIBUTOR,
    BootstrapSpec,
)
from llmops_infra.delivery.bootstrap_steps import CREATED, SKIPPED, UNCHANGED, UPDATED, BootstrapContext, Step

NETWORK_API_VERSION = "2024-05-01"


def _missing(exc: Exception) -> bool:
    from azure.core.exceptions import ResourceNotFoundError

    return isinstance(exc, ResourceNotFoundError)


def _get(call: Any, *args: Any) -> Any | None:
    """The resource, or None when ARM answers 404."""
    try:
        return call(*args)
    except Exception as exc:
        if _missing(exc):
            return None
        raise


def _account_body(spec: BootstrapSpec, subnet_exists: bool) -> dict[str, Any]:
    acls: dict[str, Any] = {"defaultAction": "Allow", "bypass": "AzureServices"}
    if spec.private:
        acls = {
            "defaultAction": "Deny",
            "bypass": "AzureServices",
            "ipRules": [{"value": cidr, "action": "Allow"} for cidr in spec.allow_ips],
            "virtualNetworkRules": (
                [{"id": spec.runner_subnet_id, "action": "Allow"}] if spec.runner_subnet_id and subnet_exists else []
            ),
        }
    return {
        "allowBlobPublicAccess": False,
        "allowSharedKeyAccess": False,
        "defaultToOAuthAuthentication": True,
        "supportsHttpsTrafficOnly": True,
        "minimumTlsVersion": "TLS1_2",
        "allowCrossTenantReplication": False,
        "publicNetworkAccess": "Enabled",
        "networkAcls": acls,
    }


def _drift(current: dict[str, Any], desired: dict[str, Any]) -> list[str]:
    """Keys of `desired` whose values differ in `current` (lists compared as sets of their items)."""
    changed = []
    for key, value in desired.items():
        have, want = current.get(key), value
        if key == "networkAcls":
            have = {k: (have or {}).get(k, [] if isinstance(v, list) else None) for k, v in value.items()}
            have = {k: sorted(map(repr, v)) if isinstance(v, list) else v for k, v in have.items()}
            want = {k: sorted(map(repr, v)) if isinstance(v, list) else v for k, v in value.items()}
        if have != want:
            changed.append(key)
    return changed


def _resource_group(ctx: BootstrapContext) -> str:
    spec, client = ctx.spec, ctx.clients.resources()
    if client.resource_groups.check_existence(spec.resource_group):
        return UNCHANGED
    client.resource_groups.create_or_update(spec.resource_group, {"location": spec.location, "tags": spec.tags})
    return CREATED


def _subnet_exists(ctx: BootstrapContext) -> bool:
    subnet = ctx.spec.runner_subnet_id
    if not subnet:
        return False
    resources = ctx.clients.resources().resources
    found = _get(lambda: resources.get_by_id(subnet, api_version=NETWORK_API_VERSION))
    if found is None:
        ctx.admin.append(
            f"the runner subnet does not exist yet: after the first deployment, rerun `llmops-infra bootstrap "
            f"{ctx.spec.environment}` so that the state account admits it"
        )
    return found is not None


def _storage_account(ctx: BootstrapContext) -> str:
    spec, client = ctx.spec, ctx.clients.storage()
    desired = _account_body(spec, _subnet_exists(ctx))
    current = _get(client.storage_accounts.get_properties, spec.resource_group, spec.storage_account)
    if current is None:
        body = {
            "location": spec.location,
            "kind": "StorageV2",
            "sku": {"name": "Standard_ZRS"},
            "tags": spec.tags,
            "properties": {**desired, "accessTier": "Hot"},
        }
        client.storage_accounts.begin_create(spec.resource_group, spec.storage_account, body).result()
        return CREATED
    changed = _drift(current.as_dict().get("properties", {}), desired)
    if not changed:
        return UNCHANGED
    client.storage_accounts.update(
        spec.resource_group, spec.storage_account, {"properties": {k: desired[k] for k in changed}}
    )
    return UPDATED


def _blob_service(ctx: BootstrapContext) -> str:
    spec, client = ctx.spec, ctx.clients.storage()
    desired = {
        "isVersioningEnabled": True,
        "deleteRetentionPolicy": {"enabled": True, "days": SOFT_DELETE_DAYS},
        "containerDeleteRetentionPolicy": {"enabled": True, "days": SOFT_DELETE_DAYS},
    }
    current = client.blob_services.get_service_properties(spec.resource_group, spec.storage_account)
    props = current.as_dict().get("properties", {}) if current is not None else {}
    if not _drift(props, desired):
        return UNCHANGED
    client.blob_services.set_service_properties(spec.resource_group, spec.storage_account, {"properties": desired})
    return UPDATED


def _container(ctx: BootstrapContext) -> str:
    spec, client = ctx.spec, ctx.clients.storage()
    if _get(client.blob_containers.get, spec.resource_group, spec.storage_account, spec.container) is not None:
        return UNCHANGED
    client.blob_containers.create(
        spec.resource_group, spec.storage_account, spec.container, {"properties": {"publicAccess": "None"}}
    )
    return CREATED


def state_steps(spec: BootstrapSpec) -> list[Step]:
    firewall = (
        "public networks denied except "
        + (", ".join(spec.allow_ips) or "none")
        + (" and the runner subnet once it exists" if spec.runner_subnet_id else "")
        if spec.private
        else "reachable from any network, Entra ID sign-in only"
    )
    return [
        Step("Azure", f"resource group {spec.resource_group} in {spec.location}", _resource_group),
        Step(
            "Azure",
            f"storage account {spec.storage_account} (StorageV2, ZRS, TLS 1.2, no shared keys, no public blobs; "
            f"{firewall})",
            _storage_account,
        ),
        Step(
            "Azure",
            f"blob versioning and soft delete ({SOFT_DELETE_DAYS} days, blobs and containers) on {spec.storage_account}",
            _blob_service,
        ),
        Step("Azure", f"private container {spec.container} for the Pulumi state ({spec.state_url})", _container),
    ]


def _identity(ctx: BootstrapContext) -> str:
    spec, client = ctx.spec, ctx.clients.msi()
    current = _get(client.user_assigned_identities.get, spec.resource_group, spec.identity)
    outcome = UNCHANGED
    if current is None:
        current = client.user_assigned_identities.create_or_update(
            spec.resource_group, spec.identity, {"location": spec.location, "tags": spec.tags}
        )
        outcome = CREATED
    ctx.outputs["client_id"] = current.client_id
    ctx.outputs["principal_id"] = current.principal_id
    return outcome


def _state_access(ctx: BootstrapContext) -> str:
    """Storage Blob Data Contributor on the state container only; an administrator grants it if we may not."""
    from azure.core.exceptions import HttpResponseError

    spec, client = ctx.spec, ctx.clients.authorization()
    principal = ctx.outputs["principal_id"]
    scope = spec.container_scope()
    name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{scope}|{principal}|{STORAGE_BLOB_DATA_CONTRIBUTOR}"))
    role = f"/subscriptions/{spec.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{STORAGE_BLOB_DATA_CONTRIBUTOR}"
    try:
        if _get(client.role_assignments.get, scope, name) is not None:
            return UNCHANGED
        client.role_assignments.create(
            scope,
            name,
            {"properties": {"roleDefinitionId": role, "principalId": principal, "principalType": "ServicePrincipal"}},
        )
    except HttpResponseError as exc:
        if exc.status_code != 403:
            raise
        ctx.admin.append(
            f"grant Storage Blob Data Contributor to principal {principal} on {scope} (you may not assign roles): "
            f"az role assignment create --assignee-object-id {principal} --assignee-principal-type ServicePrincipal "
            f"--role 'Storage Blob Data Contributor' --scope '{scope}'"
        )
        return SKIPPED
    return CREATED


def identity_steps(spec: BootstrapSpec) -> list[Step]:
    return [
        Step(
            "Azure", f"user-assigned identity {spec.identity} (the pipeline's deployer; no secret can exist)", _identity
        ),
        Step(
            "Azure",
            f"Storage Blob Data Contributor for {spec.identity} on the container {spec.container} only",
            _state_access,
        ),
    ]


def _federate(ctx: BootstrapContext, name: str, issuer: str, subject: str) -> str:
    spec, client = ctx.spec, ctx.clients.msi()
    desired = {"issuer": issuer, "subject": subject, "audiences": [FEDERATION_AUDIENCE]}
    current = _get(client.federated_identity_credentials.get, spec.resource_group, spec.identity, name)
    if current is not None:
        props = current.serialize(keep_readonly=True).get("properties", {})
        if all(props.get(k) == v for k, v in desired.items()):
            return UNCHANGED
    client.federated_identity_credentials.create_or_update(
        spec.resource_group, spec.identity, name, {"properties": desired}
    )
    return CREATED if current is None else UPDATED


def github_subject(spec: BootstrapSpec) -> str:
    return f"repo:{spec.github_repository}:environment:{spec.github_environment}"


def github_federation_steps(spec: BootstrapSpec) -> list[Step]:
    subject = github_subject(spec)
    return [
        Step(
            "Azure",
            f"federated credential github-{spec.environment} on {spec.identity}: issuer {GITHUB_ISSUER}, subject {subject}",
            lambda ctx: _federate(ctx, f"github-{spec.environment}", GITHUB_ISSUER, subject),
        )
    ]


def ado_federation_steps(spec: BootstrapSpec) -> list[Step]:
    def run(ctx: BootstrapContext) -> str:
        return _federate(ctx, f"azure-devops-{spec.environment}", ctx.outputs["ado_issuer"], ctx.outputs["ado_subject"])

    return [
        Step(
            "Azure",
            f"federated credential azure-devops-{spec.environment} on {spec.identity}: the issuer and subject Azure "
            f"DevOps reports for the service connection {spec.ado_service_connection}",
            run,
        )
    ]
