"""Pulumi mocks whose answers look like Azure's, so that wiring between components resolves.

Ids are ARM resource ids, identities get principal and client ids, vaults get URIs, clusters
get OIDC issuer URLs. Every generated value derives from the resource's URN, so the same
program gives the same plan, byte for byte. Types not listed get an ARM id and their inputs.
Extend `OUTPUTS` (type token -> function) when a component needs another computed output.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pulumi

from llmops_infra.offline.mock_app_tier import app_tier_outputs
from llmops_infra.offline.mock_calls import CALLS, stable_uuid
from llmops_infra.offline.mock_gateway import GATEWAY_NAME_KEYS, GATEWAY_PARENTS, GATEWAY_SEGMENTS, gateway_outputs

# azure-native module -> ARM provider namespace (where the module name alone is not enough).
NAMESPACES: dict[str, str] = {
    "resources": "Microsoft.Resources",
    "keyvault": "Microsoft.KeyVault",
    "network": "Microsoft.Network",
    "managedidentity": "Microsoft.ManagedIdentity",
    "authorization": "Microsoft.Authorization",
    "operationalinsights": "Microsoft.OperationalInsights",
    "insights": "Microsoft.Insights",
    "applicationinsights": "Microsoft.Insights",
    "monitor": "Microsoft.Insights",
    "alertsmanagement": "Microsoft.AlertsManagement",
    "dashboard": "Microsoft.Dashboard",
    "consumption": "Microsoft.Consumption",
    "containerregistry": "Microsoft.ContainerRegistry",
    "containerservice": "Microsoft.ContainerService",
    "storage": "Microsoft.Storage",
    "cognitiveservices": "Microsoft.CognitiveServices",
    "machinelearningservices": "Microsoft.MachineLearningServices",
    "privatedns": "Microsoft.Network",
    "apimanagement": "Microsoft.ApiManagement",
    "app": "Microsoft.App",
    "cosmosdb": "Microsoft.DocumentDB",
}

# ARM resource-type segments that differ from the SDK class name.
SEGMENTS: dict[str, str] = {
    "azure-native:privatedns:PrivateZone": "privateDnsZones",
    # ARM type Microsoft.Storage/storageAccounts/blobServices/containers (role scopes name it).
    "azure-native:storage:BlobContainer": "containers",
    "azure-native:machinelearningservices:ModelVersion": "versions",
    "azure-native:machinelearningservices:EnvironmentVersion": "versions",
    **GATEWAY_SEGMENTS,
    "azure-native:search:Service": "searchServices",
    "azure-native:cosmosdb:SqlResourceSqlDatabase": "sqlDatabases",
}

# Child resources: their ARM id nests under the parent named by an input, as Azure's does
# (type -> chain of (parent name input, parent segment), outermost first).
PARENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "azure-native:machinelearningservices:OnlineEndpoint": (("workspaceName", "workspaces"),),
    "azure-native:machinelearningservices:OnlineDeployment": (
        ("workspaceName", "workspaces"),
        ("endpointName", "onlineEndpoints"),
    ),
    "azure-native:machinelearningservices:ModelVersion": (("workspaceName", "workspaces"), ("name", "models")),
    "azure-native:machinelearningservices:EnvironmentVersion": (
        ("workspaceName", "workspaces"),
        ("name", "environments"),
    ),
    "azure-native:cognitiveservices:Deployment": (("accountName", "accounts"),),
    "azure-native:cognitiveservices:RaiPolicy": (("accountName", "accounts"),),
    "azure-native:cognitiveservices:Project": (("accountName", "accounts"),),
    "azure-native:cosmosdb:SqlResourceSqlDatabase": (("accountName", "databaseAccounts"),),
    "azure-native:containerservice:AgentPool": (("resourceName", "managedClusters"),),
    "azure-native:containerservice:MaintenanceConfiguration": (("resourceName", "managedClusters"),),
    **GATEWAY_PARENTS,
    "azure-native:storage:BlobContainer": (("accountName", "storageAccounts"), ("", "blobServices/default")),
    "azure-native:managedidentity:FederatedIdentityCredential": (("resourceName", "userAssignedIdentities"),),
    "azure-native:network:PrivateDnsZoneGroup": (("privateEndpointName", "privateEndpoints"),),
    "azure-native:privatedns:VirtualNetworkLink": (("privateZoneName", "privateDnsZones"),),
}

# Input property that carries the Azure name, by type token (else the logical name is used).
NAME_KEYS = (
    # A child's own name key comes before its parent's (deploymentName before accountName).
    *GATEWAY_NAME_KEYS,
    "deploymentName",
    "raiPolicyName",
    "privateDnsZoneGroupName",
    "containerName",
    "virtualNetworkLinkName",
    "agentPoolName",
    "configName",
    "endpointName",
    "federatedIdentityCredentialResourceName",
    "resourceGroupName",
    "vaultName",
    "resourceName",
    "accountName",
    "registryName",
    "workspaceName",
    "virtualNetworkName",
    "subnetName",
    "networkSecurityGroupName",
    "privateEndpointName",
    "privateZoneName",
    "virtualNetworkLinkName",
    "actionGroupName",
    "ruleName",
    "budgetName",
    "agentPoolName",
    "roleAssignmentName",
    "azureMonitorWorkspaceName",
    "dataCollectionRuleName",
    "dataCollectionEndpointName",
    "name",
    # After "name": a scoped resource's own name comes before its scope's.
    "scopeName",
    # An asset version (its "name" is the parent asset's).
    "version",
)


class AzureMocks(pulumi.runtime.Mocks):
    """Answers resource registrations and invokes the way Azure would, deterministically."""

    def __init__(
        self, subscription_id: str, tenant_id: str, location: str, stack_outputs: dict[str, Any] | None = None
    ) -> None:
        self.subscription_id = subscription_id
        self.tenant_id = tenant_id
        self.location = location
        self.stack_outputs = stack_outputs or {}
        """What a StackReference reads (the platform plan's outputs, for the workload stack)."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == "pulumi:pulumi:StackReference":  # a read, not a registration
            name = dict(args.inputs).get("name", args.name)
            return name, {"name": name, "outputs": dict(self.stack_outputs), "secretOutputNames": []}
        if not args.custom:
            return None, {}
        inputs = dict(args.inputs)
        if args.typ.startswith("pulumi:providers:"):
            return stable_uuid(args.typ, args.name), inputs
        name = _azure_name(args.typ, args.name, inputs)
        resource_id = (
            self.arm_id(args.typ, name, inputs)
            if args.typ.startswith("azure-native:")
            else (f"{args.typ.split(':')[-1].lower()}-{stable_uuid(args.typ, args.name)[:8]}")
        )
        state = {**inputs, "name": inputs.get("name", name), "id": resource_id}
        if args.typ.startswith("azure-native:"):
            state.setdefault("location", self.location)
        extra = OUTPUTS.get(args.typ)
        if extra:
            state.update(extra(self, name, resource_id, inputs))
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        handler = CALLS.get(args.token)
        if handler:
            # The SDK iterates the failures: an empty list, never None.
            return handler(self, dict(args.args)), []
        return {}, []

    def arm_id(self, typ: str, name: str, inputs: dict[str, Any]) -> str:
        _, module, kind = typ.split(":")
        sub = f"/subscriptions/{self.subscription_id}"
        if typ == "azure-native:resources:ResourceGroup":
            return f"{sub}/resourceGroups/{name}"
        namespace = NAMESPACES.get(module.split("/")[0], f"Microsoft.{module.capitalize()}")
        segment = SEGMENTS.get(typ) or _plural(kind[0].lower() + kind[1:])
        scope = inputs.get("scope")
        if isinstance(scope, str) and scope.startswith("/"):
            return f"{scope}/providers/{namespace}/{segment}/{name}"
        rg = inputs.get("resourceGroupName")
        base = f"{sub}/resourceGroups/{rg}" if isinstance(rg, str) else sub
        path = ""
        for key, parent_segment in PARENTS.get(typ, ()):
            parent = inputs.get(key) if key else None
            path += f"/{parent_segment}/{parent}" if key else f"/{parent_segment}"
        return f"{base}/providers/{namespace}{path}/{segment}/{name}"


def _plural(word: str) -> str:
    """ARM resource-type segments are English plurals: registry -> registries, vault -> vaults."""
    if word.endswith("s"):
        return word
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def _azure_name(typ: str, logical: str, inputs: dict[str, Any]) -> str:
    parent_keys = {key for key, _ in PARENTS.get(typ, ())}
    for key in NAME_KEYS:
        value = inputs.get(key)
        if isinstance(value, str) and value and key != "resourceGroupName" and key not in parent_keys:
            return value
    group = inputs.get("resourceGroupName")
    if typ == "azure-native:resources:ResourceGroup" and isinstance(group, str):
        return group
    return re.sub(r"[^A-Za-z0-9-]", "-", logical)


# ----------------------------------------------------------------------------- computed outputs

OutputFn = Callable[[AzureMocks, str, str, dict[str, Any]], dict[str, Any]]


def _identity(m: AzureMocks, name: str, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "principalId": stable_uuid(rid, "principal"),
        "clientId": stable_uuid(rid, "client"),
        "tenantId": m.tenant_id,
    }


def _system_identity(m: AzureMocks, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    identity = dict(inputs.get("identity") or {})
    if "SystemAssigned" in str(identity.get("type", "")):
        identity.update({"principalId": stable_uuid(rid, "principal"), "tenantId": m.tenant_id})
    return {"identity": identity} if identity else {}


def _vault(m: AzureMocks, name: str, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    props = dict(inputs.get("properties") or {})
    props["vaultUri"] = f"https://{name}.vault.azure.net/"
    return {"properties": props}


def _workspace(m: AzureMocks, name: str, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"customerId": stable_uuid(rid, "customer")}


def _cognitive_account(m: AzureMocks, name: str, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    props = dict(inputs.get("properties") or {})
    sub = props.get("customSubDomainName") or name
    suffix = "openai.azure.com" if inputs.get("kind") == "OpenAI" else "cognitiveservices.azure.com"
    props["endpoint"] = f"https://{sub}.{suffix}/"
    return {"properties": props, **_system_identity(m, rid, inputs)}


def _registry(m: AzureMocks, name: str, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"loginServer": f"{name.lower()}.azurecr.io", **_system_identity(m, rid, inputs)}


def _storage(m: AzureMocks, name: str, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {"primaryEndpoints": {"blob": f"https://{name}.blob.core.windows.net/"}}


def _cluster(m: AzureMocks, name: str, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    oidc = {
        **(inputs.get("oidcIssuerProfile") or {}),
        "issuerURL": f"https://{m.location}.oic.prod-aks.azure.com/{m.tenant_id}/{stable_uuid(rid, 'oidc')}/",
    }
    kubelet = {
        "kubeletidentity": {
            "objectId": stable_uuid(rid, "kubelet"),
            "clientId": stable_uuid(rid, "kubelet-client"),
            "resourceId": f"{rid}-agentpool",
        }
    }
    return {
        "oidcIssuerProfile": oidc,
        "identityProfile": kubelet,
        "fqdn": f"{inputs.get('dnsPrefix', name)}.hcp.{m.location}.azmk8s.io",
        "privateFQDN": f"{inputs.get('dnsPrefix', name)}.privatelink.{m.location}.azmk8s.io",
        **_system_identity(m, rid, inputs),
    }


def _app_insights(m: AzureMocks, name: str, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    key = stable_uuid(rid, "ikey")
    return {
        "instrumentationKey": key,
        "connectionString": f"InstrumentationKey={key};IngestionEndpoint=https://{m.location}.in.applicationinsights.azure.com/",
        "appId": stable_uuid(rid, "app"),
    }


def _monitor_workspace(m: AzureMocks, name: str, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "defaultIngestionSettings": {
            "dataCollectionEndpointResourceId": f"{rid}/dce",
            "dataCollectionRuleResourceId": f"{rid}/dcr",
        },
        "metrics": {"prometheusQueryEndpoint": f"https://{name}.{m.location}.prometheus.monitor.azure.com"},
    }


def _ml_workspace(m: AzureMocks, name: str, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    return {
        "workspaceId": stable_uuid(rid, "ws"),
        "discoveryUrl": f"https://{m.location}.api.azureml.ms/discovery",
        **_system_identity(m, rid, inputs),
    }


def _online_endpoint(m: AzureMocks, name: str, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    props = dict(inputs.get("onlineEndpointProperties") or inputs.get("properties") or {})
    props["scoringUri"] = f"https://{name}.{m.location}.inference.ml.azure.com/score"
    # The SDK reads the URI from `properties.scoringUri` (OnlineEndpointPropertiesResponse).
    return {**_system_identity(m, rid, inputs), "properties": props, "scoringUri": props["scoringUri"]}


def _grafana(m: AzureMocks, name: str, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    props = dict(inputs.get("properties") or {})
    props["endpoint"] = f"https://{name}.{m.location}.grafana.azure.com"
    return {"properties": props, **_system_identity(m, rid, inputs)}


def _user_assigned(m: AzureMocks, name: str, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """ARM answers user-assigned identities as a map of id -> {principalId, clientId}; the input is a list of ids."""
    identity = inputs.get("identity")
    if not isinstance(identity, dict) or not isinstance(identity.get("userAssignedIdentities"), list):
        return {}
    ids = identity["userAssignedIdentities"]
    mapped = {i: {"principalId": stable_uuid(i, "principal"), "clientId": stable_uuid(i, "client")} for i in ids}
    return {"identity": {**identity, "userAssignedIdentities": mapped}}


def _public_ip(m: AzureMocks, name: str, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """A static address Azure allocates on create: a stable one from the documentation range 198.51.100.0/24."""
    return {"ipAddress": f"198.51.100.{int(stable_uuid(rid, 'ip')[:2], 16) % 254 + 1}"}


OUTPUTS: dict[str, OutputFn] = {
    "azure-native:network:PublicIPAddress": _public_ip,
    "azure-native:app:Job": _user_assigned,
    "azure-native:managedidentity:UserAssignedIdentity": _identity,
    "azure-native:keyvault:Vault": _vault,
    "azure-native:operationalinsights:Workspace": _workspace,
    "azure-native:cognitiveservices:Account": _cognitive_account,
    "azure-native:containerregistry:Registry": _registry,
    "azure-native:storage:StorageAccount": _storage,
    "azure-native:containerservice:ManagedCluster": _cluster,
    "azure-native:applicationinsights:Component": _app_insights,
    "azure-native:monitor:AzureMonitorWorkspace": _monitor_workspace,
    "azure-native:machinelearningservices:Workspace": _ml_workspace,
    "azure-native:machinelearningservices:OnlineEndpoint": _online_endpoint,
    "azure-native:dashboard:Grafana": _grafana,
}
OUTPUTS.update(app_tier_outputs(_system_identity, _user_assigned))
OUTPUTS.update(gateway_outputs(_system_identity))
