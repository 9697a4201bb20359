"""AI-09: agent connections with Entra only, capability hosts on private stores, agents injected into the VNet."""

from __future__ import annotations

from llmops_infra.policies.testing import Fixture, stack_violations

RG = "/subscriptions/s/resourceGroups/rg/providers"
COSMOS_ID = f"{RG}/Microsoft.DocumentDB/databaseAccounts/cosmos-x"
STORAGE_ID = f"{RG}/Microsoft.Storage/storageAccounts/stagents"
SEARCH_ID = f"{RG}/Microsoft.Search/searchServices/srch-x"
CONNECTIONS = {"cosmos-threads": COSMOS_ID, "storage-files": STORAGE_ID, "search-vectors": SEARCH_ID}


def _connection(name: str, target: str, auth: str = "AAD") -> Fixture:
    props = {
        "accountName": "oai-x",
        "projectName": "chat",
        "connectionName": name,
        "properties": {"authType": auth, "metadata": {"ApiType": "Azure", "ResourceId": target}},
    }
    return Fixture("azure-native:cognitiveservices:ProjectConnection", f"conn-{name}", props)


def _estate(
    *, cosmos_public: bool = False, shared_keys: bool = False, injected: bool = True, auth: str = "AAD"
) -> list[Fixture]:
    account = {"accountName": "oai-x", "kind": "AIServices", "properties": {}}
    if injected:
        account["properties"]["networkInjections"] = [
            {"scenario": "agent", "subnetArmId": f"{RG}/Microsoft.Network/virtualNetworks/v/subnets/agents"}
        ]
    host = {
        "accountName": "oai-x",
        "projectName": "chat",
        "projectCapabilityHostProperties": {
            "threadStorageConnections": ["cosmos-threads"],
            "storageConnections": ["storage-files"],
            "vectorStoreConnections": ["search-vectors"],
        },
    }
    return [
        Fixture("azure-native:cognitiveservices:Account", "account", account),
        Fixture(
            "azure-native:cosmosdb:DatabaseAccount",
            "cosmos",
            {"id": COSMOS_ID, "publicNetworkAccess": "Enabled" if cosmos_public else "Disabled"},
        ),
        Fixture(
            "azure-native:storage:StorageAccount",
            "storage",
            {"id": STORAGE_ID, "publicNetworkAccess": "Disabled", "allowSharedKeyAccess": shared_keys},
        ),
        Fixture("azure-native:search:Service", "search", {"id": SEARCH_ID, "publicNetworkAccess": "Disabled"}),
        *[_connection(n, t, auth if n == "search-vectors" else "AAD") for n, t in CONNECTIONS.items()],
        Fixture("azure-native:cognitiveservices:ProjectCapabilityHost", "host", host),
    ]


def test_ai_09_compliant_private_entra_agent_setup():
    assert stack_violations("AI-09", _estate()) == []


def test_ai_09_a_key_connection_fails():
    [found] = stack_violations("AI-09", _estate(auth="ApiKey"))
    assert "conn-search-vectors" in found and "'ApiKey', not Entra" in found
    account_key = _connection("other", STORAGE_ID, auth="AccountKey")
    assert stack_violations("AI-09", [account_key])


def test_ai_09_a_capability_host_on_a_public_store_fails():
    [found] = stack_violations("AI-09", _estate(cosmos_public=True))
    assert "thread storage in Cosmos DB cosmos, which is reachable from public networks" in found
    [keys] = stack_violations("AI-09", _estate(shared_keys=True))
    assert "storage account storage, which accepts shared keys" in keys


def test_ai_09_connections_outside_the_estate_or_missing_fail():
    fixtures = [f for f in _estate() if f.name != "search"]
    [outside] = stack_violations("AI-09", fixtures)
    assert "points outside the estate's stores" in outside
    fixtures = [f for f in _estate() if f.name != "conn-cosmos-threads"]
    [missing] = stack_violations("AI-09", fixtures)
    assert "'cosmos-threads' is not a connection of project chat" in missing


def test_ai_09_two_thread_stores_or_none_fail():
    fixtures = _estate()
    fixtures[-1].props["projectCapabilityHostProperties"]["threadStorageConnections"] = ["a", "b"]
    del fixtures[-1].props["projectCapabilityHostProperties"]["vectorStoreConnections"]
    found = stack_violations("AI-09", fixtures)
    assert len(found) == 2 and "names 2 thread storage" in found[0] and "names 0 vector store" in found[1]


def test_ai_09_agents_outside_the_vnet_fail():
    [found] = stack_violations("AI-09", _estate(injected=False))
    assert "does not inject its agents" in found


def test_ai_09_shipped_estates_pass(plans):
    for env in ("dev", "prod"):
        plan = plans(env)
        fixtures = [
            Fixture(r.type, r.name, {**r.props, "id": r.outputs.get("id")})
            for r in plan.resources
            if r.custom and r.type.startswith("azure-native:")
        ]
        assert any(f.type.endswith("ProjectCapabilityHost") for f in fixtures)
        assert stack_violations("AI-09", fixtures) == [], env
