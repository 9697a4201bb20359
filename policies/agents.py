"""AI-09: the Agent Service's standard setup keeps agent data in private stores reached with Entra tokens.

- Every Foundry connection (project or account) authenticates with Entra (`authType` AAD, or a managed
  identity), never with a key, a SAS, a password or a token kept in the connection.
- Every project capability host names exactly one connection for each of threads, files and vectors (the
  service accepts a single, non-empty value for each: Learn, "Set up private networking for Foundry Agent
  Service", troubleshooting, read 2026-12-02); each connection is a connection of the same project, in this
  stack, whose `metadata.ResourceId` is a store of this stack with public network access disabled (and, for a
  storage account, shared keys off).
- The Foundry account of a project with a capability host injects the agents into a subnet of the estate
  (`networkInjections`, scenario agent, not the Microsoft-managed network).

Wire names are the SDK's inputs: `properties.authType` on connections, `projectCapabilityHostProperties` on
project capability hosts, `properties.networkInjections` on the account.
"""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_policy import PolicyResource, Severity

from llmops_infra.policies.framework import Params, Report, get, is_true, items, same, stack_rule
from llmops_infra.policies.graph import Graph

ACCOUNT = "azure-native:cognitiveservices:Account"
PROJECT_CONNECTION = "azure-native:cognitiveservices:ProjectConnection"
ACCOUNT_CONNECTION = "azure-native:cognitiveservices:AccountConnection"
PROJECT_HOST = "azure-native:cognitiveservices:ProjectCapabilityHost"
STORES = {
    "azure-native:cosmosdb:DatabaseAccount": "Cosmos DB",
    "azure-native:storage:StorageAccount": "storage account",
    "azure-native:search:Service": "AI Search",
}
ENTRA_AUTH = ("AAD", "ManagedIdentity")
HOST_LISTS = {
    "threadStorageConnections": "thread storage",
    "storageConnections": "file storage",
    "vectorStoreConnections": "vector store",
}


def _store_problem(store: PolicyResource) -> str | None:
    if not same(get(store.props, "publicNetworkAccess"), "Disabled"):
        return "is reachable from public networks"
    if (
        store.resource_type == "azure-native:storage:StorageAccount"
        and get(store.props, "allowSharedKeyAccess") is not False
    ):
        return "accepts shared keys"
    return None


def _injected(account: PolicyResource) -> bool:
    for injection in items(get(account.props, "properties.networkInjections")):
        if (
            same(get(injection, "scenario"), "agent")
            and get(injection, "subnetArmId")
            and not is_true(get(injection, "useMicrosoftManagedNetwork"))
        ):
            return True
    return False


@stack_rule(
    "AI-09",
    "agent-stores-private-entra",
    scope="A",
    severity=Severity.HIGH,
    description="Foundry agents: connections authenticate with Entra, never keys; each project capability host "
    "names one connection each for threads, files and vectors, to private stores of the estate; the account "
    "injects the agents into the estate's VNet.",
    remediation="Give every connection properties.authType AAD; name one connection per list on the capability host, "
    "each a connection of the same project whose metadata.ResourceId is a Cosmos DB account, storage account or "
    "AI Search service with publicNetworkAccess Disabled (storage: allowSharedKeyAccess false); set "
    "properties.networkInjections [{scenario: agent, subnetArmId: <agent subnet>}] on the Foundry account.",
)
def agent_stores_private(resources: Sequence[PolicyResource], report: Report, params: Params) -> None:
    graph = Graph(resources)
    for conn in graph.of_type(PROJECT_CONNECTION, ACCOUNT_CONNECTION):
        auth = get(conn.props, "properties.authType")
        if not any(same(auth, ok) for ok in ENTRA_AUTH) or get(conn.props, "properties.credentials"):
            report(
                f"Connection {conn.name} authenticates with {auth!r}, not Entra: a key in a connection "
                "reaches the store unaudited and outlives its holder.",
                conn.urn,
            )
    stores = {Graph.resource_id(s): s for s in graph.of_type(*STORES)}
    for host in graph.of_type(PROJECT_HOST):
        project = str(get(host.props, "projectName") or "")
        connections = {
            str(get(c.props, "connectionName")): c
            for c in graph.of_type(PROJECT_CONNECTION)
            if same(get(c.props, "projectName"), project)
            and same(get(c.props, "accountName"), get(host.props, "accountName"))
        }
        for key, what in HOST_LISTS.items():
            names = items(get(host.props, f"projectCapabilityHostProperties.{key}"))
            if len(names) != 1:
                report(
                    f"Capability host {host.name} names {len(names)} {what} connection(s): the service takes one.",
                    host.urn,
                )
                continue
            named = connections.get(str(names[0]))
            if named is None:
                report(
                    f"Capability host {host.name}: {what} connection {names[0]!r} is not a connection of "
                    f"project {project} in this stack: its store cannot be checked.",
                    host.urn,
                )
                continue
            target = str(get(named.props, "properties.metadata.ResourceId") or "").lower()
            store = stores.get(target)
            if store is None:
                report(
                    f"Capability host {host.name}: {what} connection {names[0]!r} points outside the estate's stores.",
                    host.urn,
                )
            elif problem := _store_problem(store):
                report(
                    f"Capability host {host.name} keeps agent {what} in {STORES[store.resource_type]} "
                    f"{store.name}, which {problem}.",
                    host.urn,
                )
        account = next(
            (a for a in graph.of_type(ACCOUNT) if same(get(a.props, "accountName"), get(host.props, "accountName"))),
            None,
        )
        if account is not None and not _injected(account):
            report(
                f"Capability host {host.name}: Foundry account {account.name} does not inject its agents into "
                "the estate's VNet (properties.networkInjections, scenario agent).",
                host.urn,
            )
