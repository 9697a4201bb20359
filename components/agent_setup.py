"""The Foundry Agent Service's standard setup: each agent project keeps its data in the estate's own stores.

Per project that enables agents, in this order (foundry-samples infrastructure-setup-bicep/
15-private-network-standard-agent-setup, main.bicep and modules-network-secured/*; Learn "Set up standard
agent resources" and "Capability hosts"; all read 2026-12-02):

1. three project connections, Entra (`authType: AAD`) only, no key: Cosmos DB (thread storage), the agents'
   storage account (files), AI Search (vector stores); `metadata` names the resource (`ResourceId`);
2. the project identity's roles the capability host needs when it is created: Cosmos DB Operator on the
   Cosmos DB account, Storage Blob Data Contributor on the agents' storage account (narrowed by an ABAC
   condition to the project's own containers, whose names start with the project's workspace id), Search
   Index Data Contributor and Search Service Contributor on the search service;
3. the project capability host (`accounts/projects/capabilityHosts`, one per project: a second name at the
   same scope is a 409) naming the three connections, after 1 and 2 and after the previous project's host
   (writes to one account are serialized). It cannot be updated: a change is a replacement;
4. after the host (it creates the containers): Cosmos DB Built-in Data Contributor on the `enterprise_memory`
   database (database scope covers the three containers per project), and Storage Blob Data Owner under
   Microsoft's ABAC condition (blob tags only in the project's `*-azureml-agent` containers).

No account capability host: with `networkInjections` on the account (the private setup) the service creates
the account's host itself, and the private-network samples (bicep 15, terraform 15b) create none; one of
ours under another name would conflict (409). The project's workspace id (`properties.internalId`, not in
the SDK's Project outputs) is read with a generic GET of the project once it exists.

The SDK's project capability host (API 2025-06-01) has no `capabilityHostKind`: the REST spec of that
version has none on project hosts (the 2025-04-01-preview samples send `Agents`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_azure_native import cognitiveservices, resources

from llmops_infra.components.cosmos_store import CosmosStore
from llmops_infra.components.roles import RoleGrant, assign_role

THREAD_DATABASE = "enterprise_memory"
"""The database the Agent Service creates in the Cosmos DB account for threads and agent definitions."""
CAPABILITY_HOST = "agents"
CONNECTIONS = {"cosmos": "cosmos-threads", "storage": "storage-files", "search": "search-vectors"}
"""Store -> connection name (3-33 letters, digits, - and _: the connections' name pattern, API 2025-06-01)."""
PROJECT_API = "2025-06-01"
"""API version of the generic GET that reads a project's workspace id (the SDK's cognitiveservices version)."""
BLOB_ACTIONS = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs"


@dataclass(frozen=True, kw_only=True)
class AgentStores:
    """The estate's stores the agents use: all private, Entra-only, in the account's region."""

    search_service_id: pulumi.Input[str]
    search_endpoint: pulumi.Input[str]
    cosmos: CosmosStore
    storage_account_id: pulumi.Input[str]
    blob_endpoint: pulumi.Input[str]


@dataclass(frozen=True, kw_only=True)
class AgentSetupArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    """The region of the account, the VNet and every store (the private setup needs one region)."""
    subscription_id: str
    """Subscription of the role definitions."""
    account_name: pulumi.Input[str]
    """The Foundry resource (its `networkInjections` name the agent subnet)."""
    projects: Mapping[str, cognitiveservices.Project]
    """Project name -> project resource, for the projects that enable agents, in the order to set them up."""
    stores: AgentStores

    def __post_init__(self) -> None:
        if not self.projects:
            raise ValueError("agent setup: no project enables agents")


def workspace_guid(internal_id: str) -> str:
    """A project's `internalId` (32 hex digits) written as the GUID its container names start with."""
    raw = internal_id.replace("-", "").lower()
    if len(raw) != 32 or any(c not in "0123456789abcdef" for c in raw):
        raise ValueError(f"project internalId {internal_id!r} is not 32 hex digits")
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


def contributor_condition(workspace_id: str) -> str:
    """Storage Blob Data Contributor's blob actions only in containers whose names start with the project's id."""
    actions = " AND ".join(f"!(ActionMatches{{'{BLOB_ACTIONS}/{a}'}})" for a in ("read", "write", "delete"))
    extra = " AND ".join(f"!(ActionMatches{{'{BLOB_ACTIONS}/{a}/action'}})" for a in ("add", "move"))
    return (
        f"(({actions} AND {extra}) OR "
        f"(@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] "
        f"StringStartsWithIgnoreCase '{workspace_id}'))"
    )


def owner_condition(workspace_id: str) -> str:
    """Microsoft's condition on Storage Blob Data Owner: blob tags only in the project's agent containers."""
    tags = " AND ".join(
        f"!(ActionMatches{{'{BLOB_ACTIONS}/{a}'}})" for a in ("tags/read", "filter/action", "tags/write")
    )
    name = "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name]"
    return (
        f"(({tags}) OR ({name} StringStartsWithIgnoreCase '{workspace_id}' AND "
        f"{name} StringLikeIgnoreCase '*-azureml-agent'))"
    )


class AgentSetup(pulumi.ComponentResource):
    """Connections, roles and capability host of every agent project (see the module docstring).

    Children per project: three connections, six role assignments, one capability host, one Cosmos DB data
    role assignment.
    """

    capability_hosts: dict[str, cognitiveservices.ProjectCapabilityHost]

    def __init__(self, name: str, args: AgentSetupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:ai:AgentSetup", name, None, opts)
        self.capability_hosts = {}
        previous: list[pulumi.Resource] = []
        for project_name, project in args.projects.items():
            host = self._project(f"{name}-{project_name}", project_name, project, args, previous)
            self.capability_hosts[project_name] = host
            previous = [host]
        self.register_outputs({"capability_hosts": {k: v.id for k, v in self.capability_hosts.items()}})

    def _project(
        self,
        name: str,
        project_name: str,
        project: cognitiveservices.Project,
        args: AgentSetupArgs,
        previous: list[pulumi.Resource],
    ) -> cognitiveservices.ProjectCapabilityHost:
        stores = args.stores
        principal = project.identity.apply(lambda i: i.principal_id if i else "")
        workspace = _workspace_id(args, project_name, project)
        targets: dict[str, tuple[str, pulumi.Input[str], pulumi.Input[str]]] = {
            "cosmos": (
                cognitiveservices.ConnectionCategory.COSMOS_DB,
                stores.cosmos.endpoint,
                stores.cosmos.account_id,
            ),
            "storage": ("AzureStorageAccount", stores.blob_endpoint, stores.storage_account_id),
            "search": (
                cognitiveservices.ConnectionCategory.COGNITIVE_SEARCH,
                stores.search_endpoint,
                stores.search_service_id,
            ),
        }
        connections: list[pulumi.Resource] = [
            cognitiveservices.ProjectConnection(
                f"{name}-conn-{store}",
                account_name=args.account_name,
                project_name=project_name,
                resource_group_name=args.resource_group_name,
                connection_name=CONNECTIONS[store],
                properties=cognitiveservices.AADAuthTypeConnectionPropertiesArgs(
                    auth_type="AAD",
                    category=category,
                    target=target,
                    metadata={"ApiType": "Azure", "ResourceId": resource_id, "location": args.location},
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[project]),
            )
            for store, (category, target, resource_id) in targets.items()
        ]
        before = [
            ("cosmos-operator", "Cosmos DB Operator", stores.cosmos.account_id, None, "creates its thread containers"),
            (
                "blob-contributor",
                "Storage Blob Data Contributor",
                stores.storage_account_id,
                workspace.apply(contributor_condition),
                "reads and writes agent files, in its own containers only",
            ),
            ("search-index", "Search Index Data Contributor", stores.search_service_id, None, "loads vector stores"),
            ("search-service", "Search Service Contributor", stores.search_service_id, None, "creates its indexes"),
        ]
        grants: list[pulumi.Resource] = [
            assign_role(
                f"{name}-{key}",
                RoleGrant(
                    principal_id=principal,
                    role=role,
                    scope=scope,
                    condition=condition,
                    description=f"Foundry project {project_name} (agents): {what}.",
                ),
                subscription_id=args.subscription_id,
                parent=self,
            )
            for key, role, scope, condition, what in before
        ]
        host = cognitiveservices.ProjectCapabilityHost(
            f"{name}-capability-host",
            account_name=args.account_name,
            project_name=project_name,
            resource_group_name=args.resource_group_name,
            capability_host_name=CAPABILITY_HOST,
            project_capability_host_properties=cognitiveservices.ProjectCapabilityHostArgs(
                thread_storage_connections=[CONNECTIONS["cosmos"]],
                storage_connections=[CONNECTIONS["storage"]],
                vector_store_connections=[CONNECTIONS["search"]],
            ),
            # An update is refused (400): a change of connections replaces the host.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*connections, *grants, *previous], replace_on_changes=["*"]
            ),
        )
        stores.cosmos.data_role_assignment(
            f"{name}-threads-data",
            principal_id=principal,
            role="Cosmos DB Built-in Data Contributor",
            database=THREAD_DATABASE,
            parent=self,
            depends_on=[host],
        )
        owner = RoleGrant(
            principal_id=principal,
            role="Storage Blob Data Owner",
            scope=stores.storage_account_id,
            condition=workspace.apply(owner_condition),
            description=f"Foundry project {project_name} (agents): blob tags in its own agent containers only.",
        )
        assign_role(f"{name}-blob-owner", owner, subscription_id=args.subscription_id, parent=self, depends_on=[host])
        return host


def _workspace_id(args: AgentSetupArgs, project_name: str, project: cognitiveservices.Project) -> pulumi.Output[str]:
    """The project's workspace id as a GUID, read once the project exists (unknown in a preview that creates it)."""
    found = resources.get_resource_output(
        resource_group_name=args.resource_group_name,
        resource_provider_namespace="Microsoft.CognitiveServices",
        parent_resource_path=pulumi.Output.concat("accounts/", args.account_name),
        resource_type="projects",
        resource_name=project.id.apply(lambda _: project_name),
        api_version=PROJECT_API,
    )
    return found.properties.apply(_internal_id)


def _internal_id(properties: Any) -> str:
    value = properties.get("internalId") if isinstance(properties, Mapping) else None
    if not isinstance(value, str):
        raise ValueError("the Foundry project's properties carry no internalId: its containers cannot be named")
    return workspace_guid(value)
