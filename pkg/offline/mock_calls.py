"""What the mocks answer to invokes (functions such as getClientConfig or listSecrets), as Azure would.

Kept apart from `mocks.py` (modules stay under 400 lines); `stable_uuid` lives here because both use it.
Each handler gets the `AzureMocks` instance (its subscription, tenant and location) and the invoke's arguments.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable
from typing import Any

from llmops_infra.offline.mock_app_tier import APP_TIER_CALLS


def stable_uuid(*parts: str) -> str:
    return str(uuid.UUID(hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32], version=4))


def _client_config(m: Any, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "subscriptionId": m.subscription_id,
        "tenantId": m.tenant_id,
        "objectId": stable_uuid(m.subscription_id, "deployer"),
        "clientId": stable_uuid(m.subscription_id, "deployer-client"),
    }


def _kubeconfig(m: Any, args: dict[str, Any]) -> dict[str, Any]:
    name = args.get("resourceName", "cluster")
    config = (
        f"apiVersion: v1\nkind: Config\nclusters:\n- name: {name}\n  cluster:\n    server: https://{name}.hcp.{m.location}.azmk8s.io:443\n"
        f"contexts:\n- name: {name}\n  context: {{cluster: {name}, user: clusterUser}}\ncurrent-context: {name}\n"
        "users:\n- name: clusterUser\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n"
        "      command: kubelogin\n      args: [get-token, --login, azurecli, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630]\n"
    )
    return {"kubeconfigs": [{"name": "clusterUser", "value": base64.b64encode(config.encode()).decode()}]}


def _existing_identity(m: Any, args: dict[str, Any]) -> dict[str, Any]:
    """An identity created outside the stack (bootstrap's deployer), answered like ARM does."""
    group, name = args.get("resourceGroupName", "rg"), args.get("resourceName", "id")
    rid = (
        f"/subscriptions/{m.subscription_id}/resourceGroups/{group}/providers/"
        f"Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
    )
    return {
        "id": rid,
        "name": name,
        "location": m.location,
        "principalId": stable_uuid(rid, "principal"),
        "clientId": stable_uuid(rid, "client"),
        "tenantId": m.tenant_id,
        "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
    }


def _subscription_keys(m: Any, args: dict[str, Any]) -> dict[str, Any]:
    """API Management's listSecrets: two keys, derived from the subscription (fake, never a real key)."""
    sid = str(args.get("sid", "subscription"))
    return {
        "primaryKey": stable_uuid(sid, "primary").replace("-", ""),
        "secondaryKey": stable_uuid(sid, "secondary").replace("-", ""),
    }


CALLS: dict[str, Callable[[Any, dict[str, Any]], dict[str, Any]]] = APP_TIER_CALLS | {
    "azure-native:managedidentity:getUserAssignedIdentity": _existing_identity,
    "azure-native:authorization:getClientConfig": _client_config,
    "azure-native:containerservice:listManagedClusterUserCredentials": _kubeconfig,
    "azure-native:apimanagement:listSubscriptionSecrets": _subscription_keys,
}
