"""How the mocks name and nest the AI gateway's and the firewall's resources (as ARM's ids do).

API Management children live under the service (`.../service/<name>/apis/<apiId>`), policies and
operations under their API or product. Kept apart from `mocks.py` (modules stay under 400 lines).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

GATEWAY_NAME_KEYS: tuple[str, ...] = (
    # a policy or an operation before its API or product, a link before both, the service last
    "relativeRecordSetName",
    "savedSearchId",
    "sid",  # a subscription (to a product)
    "secretName",  # a Key Vault secret (before its vault)
    "policyId",
    "operationId",
    "apiLinkId",
    "apiId",
    "productId",
    "backendId",
    "namedValueId",
    "loggerId",
    "diagnosticId",
    "id",  # a policy fragment's id (its path parameter is named id)
    "serviceName",
    # egress
    "routeName",
    "routeTableName",
    "ruleCollectionGroupName",
    "firewallPolicyName",
    "azureFirewallName",
    "publicIpAddressName",
)

_SERVICE = ("serviceName", "service")

GATEWAY_PARENTS: dict[str, tuple[tuple[str, str], ...]] = {
    **{
        f"azure-native:apimanagement:{kind}": (_SERVICE,)
        for kind in (
            "Api",
            "Backend",
            "Product",
            "NamedValue",
            "Logger",
            "Diagnostic",
            "PolicyFragment",
            "Subscription",
        )
    },
    "azure-native:keyvault:Secret": (("vaultName", "vaults"),),
    "azure-native:privatedns:PrivateRecordSet": (("privateZoneName", "privateDnsZones"),),
    "azure-native:operationalinsights:SavedSearch": (("workspaceName", "workspaces"),),
    "azure-native:apimanagement:ApiPolicy": (_SERVICE, ("apiId", "apis")),
    "azure-native:apimanagement:ApiOperation": (_SERVICE, ("apiId", "apis")),
    "azure-native:apimanagement:ProductPolicy": (_SERVICE, ("productId", "products")),
    "azure-native:apimanagement:ProductApiLink": (_SERVICE, ("productId", "products")),
}

GATEWAY_SEGMENTS: dict[str, str] = {
    "azure-native:apimanagement:ApiManagementService": "service",
    "azure-native:apimanagement:ApiPolicy": "policies",
    "azure-native:apimanagement:ProductPolicy": "policies",
    "azure-native:apimanagement:ApiOperation": "operations",
    "azure-native:apimanagement:ProductApiLink": "apiLinks",
    "azure-native:apimanagement:PolicyFragment": "policyFragments",
    "azure-native:privatedns:PrivateRecordSet": "A",
    "azure-native:operationalinsights:SavedSearch": "savedSearches",
}


def gateway_outputs(
    system_identity: Callable[[Any, str, dict[str, Any]], dict[str, Any]],
) -> dict[str, Callable[[Any, str, str, dict[str, Any]], dict[str, Any]]]:
    """What Azure answers for the gateway and the firewall; `mocks.py` passes its identity helper in."""

    def api_management(m: Any, name: str, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """A system identity, the gateway URL (<name>.azure-api.net) and, internal, a private VIP (documentation range)."""
        vip = {"privateIPAddresses": ["192.0.2.5"]} if inputs.get("virtualNetworkType") == "Internal" else {}
        return {**system_identity(m, rid, inputs), "gatewayUrl": f"https://{name}.azure-api.net", **vip}

    def firewall(m: Any, name: str, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """Azure gives the firewall the fourth address of AzureFirewallSubnet; the mock reports a documentation one."""
        configs = [dict(c, privateIPAddress="192.0.2.4") for c in inputs.get("ipConfigurations") or []]
        return {"ipConfigurations": configs}

    def vault_secret(m: Any, name: str, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """A secret's URIs (versionless and with a version), as ARM answers for a secret: never its value."""
        base = f"https://{inputs.get('vaultName')}.vault.azure.net/secrets/{name}"
        version = rid.rsplit("/", 1)[-1][:8]
        return {"properties": {"secretUri": base, "secretUriWithVersion": f"{base}/{version}"}}

    return {
        "azure-native:keyvault:Secret": vault_secret,
        "azure-native:apimanagement:ApiManagementService": api_management,
        "azure-native:network:AzureFirewall": firewall,
    }
