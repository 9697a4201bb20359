"""AgentSetup: Entra-only connections, the roles before the capability host, the data roles after it, in order."""

from __future__ import annotations

import pytest
from helpers import SUB, one, synth

from llmops_infra.components.agent_setup import (
    CONNECTIONS,
    THREAD_DATABASE,
    AgentSetup,
    AgentSetupArgs,
    AgentStores,
    contributor_condition,
    owner_condition,
    workspace_guid,
)
from llmops_infra.components.roles import ROLES

CONNECTION = "azure-native:cognitiveservices:ProjectConnection"
HOST = "azure-native:cognitiveservices:ProjectCapabilityHost"
ASSIGNMENT = "azure-native:authorization:RoleAssignment"
COSMOS_ASSIGNMENT = "azure-native:cosmosdb:SqlResourceSqlRoleAssignment"
RG = f"/subscriptions/{SUB}/resourceGroups/rg"


def _program(projects: tuple[str, ...] = ("chat", "search")):
    def program() -> None:
        from pulumi_azure_native import cognitiveservices

        from llmops_infra.components.cosmos_store import CosmosStore, CosmosStoreArgs

        cosmos = CosmosStore(
            "cosmos",
            CosmosStoreArgs(
                resource_group_name="rg",
                location="eastus",
                subnet_id=f"{RG}/providers/Microsoft.Network/virtualNetworks/v/subnets/pe",
                log_analytics_workspace_id="/w",
                dns_zone_ids=["/z"],
                account_name="cosmos-x",
                throughput=1000,
                total_throughput_limit=7000,
            ),
        )
        built = {
            name: cognitiveservices.Project(
                f"project-{name}",
                project_name=name,
                account_name="oai-x",
                resource_group_name="rg",
                identity=cognitiveservices.IdentityArgs(type="SystemAssigned"),
            )
            for name in projects
        }
        AgentSetup(
            "agents",
            AgentSetupArgs(
                resource_group_name="rg",
                location="eastus",
                subscription_id=SUB,
                account_name="oai-x",
                projects=built,
                stores=AgentStores(
                    search_service_id=f"{RG}/providers/Microsoft.Search/searchServices/srch-x",
                    search_endpoint="https://srch-x.search.windows.net",
                    cosmos=cosmos,
                    storage_account_id=f"{RG}/providers/Microsoft.Storage/storageAccounts/stagents",
                    blob_endpoint="https://stagents.blob.core.windows.net/",
                ),
            ),
        )

    return program


@pytest.fixture(scope="module")
def plan():
    return synth(_program())


def test_connections_use_entra_and_name_their_store(plan):
    connections = [r for r in plan.of_type(CONNECTION) if r.name.startswith("agents-chat-")]
    assert sorted(c.props["connectionName"] for c in connections) == sorted(CONNECTIONS.values())
    for conn in connections:
        props = conn.props["properties"]
        assert props["authType"] == "AAD" and "credentials" not in props
        assert props["metadata"]["ResourceId"].startswith(RG) and props["metadata"]["ApiType"] == "Azure"
        assert conn.props["projectName"] == "chat" and conn.props["accountName"] == "oai-x"
    search = one(plan, CONNECTION, "agents-chat-conn-search")
    assert search.props["properties"]["category"] == "CognitiveSearch"
    assert search.props["properties"]["target"] == "https://srch-x.search.windows.net"
    assert one(plan, CONNECTION, "agents-chat-conn-cosmos").props["properties"]["category"] == "CosmosDb"
    storage = one(plan, CONNECTION, "agents-chat-conn-storage").props["properties"]
    assert storage["category"] == "AzureStorageAccount" and storage["target"].startswith("https://stagents.blob")


def test_capability_host_names_the_connections(plan):
    host = one(plan, HOST, "agents-chat-capability-host")
    assert host.props["capabilityHostName"] == "agents" and host.props["projectName"] == "chat"
    assert host.props["projectCapabilityHostProperties"] == {
        "threadStorageConnections": ["cosmos-threads"],
        "storageConnections": ["storage-files"],
        "vectorStoreConnections": ["search-vectors"],
    }


def _assignments(plan, project: str) -> dict[str, object]:
    by_role = {guid: name for name, guid in ROLES.items()}
    found = {}
    for r in plan.of_type(ASSIGNMENT):
        if r.name.startswith(f"agents-{project}-"):
            found[by_role[r.props["roleDefinitionId"].rsplit("/", 1)[1]]] = r
    return found


def test_roles_before_the_host_and_data_roles_after_it(plan):
    host = one(plan, HOST, "agents-chat-capability-host")
    grants = _assignments(plan, "chat")
    before = ["Cosmos DB Operator", "Storage Blob Data Contributor", "Search Index Data Contributor"]
    before.append("Search Service Contributor")
    for role in before:
        assert grants[role].urn in host.dependencies, role
        assert grants[role].props["principalType"] == "ServicePrincipal"
    for conn in plan.of_type(CONNECTION):
        if conn.name.startswith("agents-chat-"):
            assert conn.urn in host.dependencies
    owner = grants["Storage Blob Data Owner"]
    assert host.urn in owner.dependencies and owner.props["conditionVersion"] == "2.0"
    assert "*-azureml-agent" in owner.props["condition"]
    data = one(plan, COSMOS_ASSIGNMENT, "agents-chat-threads-data")
    assert host.urn in data.dependencies
    assert data.props["scope"].endswith(f"/databaseAccounts/cosmos-x/dbs/{THREAD_DATABASE}")
    assert data.props["roleDefinitionId"].endswith("/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002")


def test_blob_roles_are_narrowed_to_the_projects_containers(plan):
    grants = _assignments(plan, "chat")
    contributor = grants["Storage Blob Data Contributor"]
    condition = contributor.props["condition"]
    guid = condition.split("StringStartsWithIgnoreCase '", 1)[1].split("'", 1)[0]
    assert workspace_guid(guid) == guid  # the project's workspace id, read from the project
    assert guid in grants["Storage Blob Data Owner"].props["condition"]
    other = _assignments(plan, "search")["Storage Blob Data Contributor"].props["condition"]
    assert guid not in other  # each project its own containers


def test_capability_hosts_are_created_one_after_another(plan):
    first = one(plan, HOST, "agents-chat-capability-host")
    second = one(plan, HOST, "agents-search-capability-host")
    assert first.urn in second.dependencies


def test_the_account_wide_throughput_cap_is_set():
    plan = synth(_program(("chat",)))
    account = one(plan, "azure-native:cosmosdb:DatabaseAccount", "cosmos-account")
    assert account.props["capacity"] == {"totalThroughputLimit": 7000}


def test_workspace_guid_and_conditions():
    assert workspace_guid("0123456789ABCDEF0123456789abcdef") == "01234567-89ab-cdef-0123-456789abcdef"
    with pytest.raises(ValueError, match="32 hex digits"):
        workspace_guid("not-an-id")
    condition = contributor_condition("01234567-89ab-cdef-0123-456789abcdef")
    for action in ("blobs/read'", "blobs/write'", "blobs/delete'", "blobs/add/action'", "blobs/move/action'"):
        assert action in condition
    assert condition.count("(") == condition.count(")")
    assert owner_condition("x").count("(") == owner_condition("x").count(")")


def test_no_project_is_refused():
    with pytest.raises(ValueError, match="no project enables agents"):
        AgentSetupArgs(
            resource_group_name="rg",
            location="eastus",
            subscription_id=SUB,
            account_name="a",
            projects={},
            stores=None,  # type: ignore[arg-type]
        )


def test_shipped_dev_injects_the_agents_into_their_own_delegated_subnet(plans):
    plan = plans("dev")
    account = next(r for r in plan.of_type("azure-native:cognitiveservices:Account") if r.name == "openai-account")
    [injection] = account.props["properties"]["networkInjections"]
    assert injection["scenario"] == "agent" and injection["useMicrosoftManagedNetwork"] is False
    assert injection["subnetArmId"].endswith("/subnets/snet-llmops-dev-eus-agents")
    vnet = next(iter(plan.of_type("azure-native:network:VirtualNetwork")))
    [subnet] = [s for s in vnet.props["subnets"] if s["name"] == "snet-llmops-dev-eus-agents"]
    assert subnet["addressPrefix"] == "10.20.25.0/24"
    assert [d["serviceName"] for d in subnet["delegations"]] == ["Microsoft.App/environments"]
    storage = next(r for r in plan.of_type("azure-native:storage:StorageAccount") if r.name == "agent_storage-st")
    assert storage.props["allowSharedKeyAccess"] is False and storage.props["publicNetworkAccess"] == "Disabled"
    assert not [r for r in plan.of_type("azure-native:storage:BlobContainer") if r.name.startswith("agent_storage")]
    assert not plan.of_type("azure-native:cognitiveservices:AccountCapabilityHost")
