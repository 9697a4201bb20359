"""AI-08, APP-01, APP-02, SRCH-01, COS-01: each rule with a compliant and a violating fixture, and the shipped estate."""

from llmops_infra.policies.testing import Fixture, stack_violations, violations

ACCOUNT = "azure-native:cognitiveservices:Account"
PROJECT = "azure-native:cognitiveservices:Project"
ENV = "azure-native:app:ManagedEnvironment"
APP = "azure-native:app:ContainerApp"
DIAG = "azure-native:monitor:DiagnosticSetting"
SEARCH = "azure-native:search:Service"
COSMOS = "azure-native:cosmosdb:DatabaseAccount"
PE = "azure-native:network:PrivateEndpoint"
DIGEST = "sha256:" + "ab" * 32
INTERNAL_ENV = {
    "vnetConfiguration": {"infrastructureSubnetId": "/s/snet-apps", "internal": True},
    "publicNetworkAccess": "Disabled",
    "appLogsConfiguration": {"destination": "azure-monitor"},
}
GOOD_APP = {
    "configuration": {
        "ingress": {"external": True, "targetPort": 80},
        "registries": [{"server": "crllmops.azurecr.io", "identity": "/id"}],
    },
    "template": {
        "containers": [
            {"image": f"crllmops.azurecr.io/teams/chat@{DIGEST}", "env": [{"name": "AZURE_CLIENT_ID", "value": "x"}]}
        ]
    },
}


def _pe(group: str) -> Fixture:
    return Fixture(PE, "pe", {"privateLinkServiceConnections": [{"groupIds": [group]}]}, depends_on=["svc"])


def test_ai_08_foundry_private_entra():
    good = {"kind": "AIServices", "properties": {"disableLocalAuth": True, "publicNetworkAccess": "Disabled"}}
    assert violations("AI-08", ACCOUNT, good) == []
    assert violations("AI-08", PROJECT, {"identity": {"type": "SystemAssigned"}}) == []
    assert len(violations("AI-08", ACCOUNT, {"kind": "AIServices", "properties": {}})) == 2
    assert len(violations("AI-08", PROJECT, {})) == 1
    assert violations("AI-08", ACCOUNT, {"kind": "ContentSafety", "properties": {}}) == []  # AI-01/02 judge those


def test_app_01_environment_internal_with_logs():
    env = Fixture(ENV, "env", INTERNAL_ENV)
    diag = Fixture(DIAG, "diag", {"workspaceId": "/w"}, depends_on=["env"])
    assert stack_violations("APP-01", [env, diag]) == []
    found = stack_violations("APP-01", [Fixture(ENV, "env", {"vnetConfiguration": {"internal": False}})])
    assert len(found) == 3 and "not internal" in found[0] and "no Log Analytics" in found[2]


def test_app_02_container_app_hardened():
    env = Fixture(ENV, "env", INTERNAL_ENV)
    ok = Fixture(APP, "app", GOOD_APP, depends_on=["env"])
    assert stack_violations("APP-02", [env, ok]) == []
    bad = {
        "configuration": {
            "ingress": {"external": True},
            "registries": [{"server": "docker.io", "passwordSecretRef": "pw"}],
            "secrets": [{"name": "db", "value": "s3cr3t-value"}],
        },
        "template": {
            "containers": [{"image": "docker.io/nginx:latest", "env": [{"name": "API_KEY", "value": "k3y-value"}]}]
        },
    }
    found = stack_violations("APP-02", [Fixture(ENV, "env", {}), Fixture(APP, "app", bad, depends_on=["env"])])
    assert len(found) == 6, found
    assert "s3cr3t-value" not in " ".join(found) and "k3y-value" not in " ".join(found)


def test_srch_01_search_private_entra():
    svc = Fixture(SEARCH, "svc", {"disableLocalAuth": True, "publicNetworkAccess": "Disabled"})
    assert stack_violations("SRCH-01", [svc, _pe("searchService")]) == []
    assert len(stack_violations("SRCH-01", [Fixture(SEARCH, "svc", {"publicNetworkAccess": "Enabled"})])) == 3


def test_cos_01_cosmos_private_entra_backup():
    good = {"disableLocalAuth": True, "publicNetworkAccess": "Disabled", "backupPolicy": {"type": "Continuous"}}
    assert stack_violations("COS-01", [Fixture(COSMOS, "svc", good), _pe("Sql")], {"scope": "prod"}) == []
    periodic = {**good, "backupPolicy": {"type": "Periodic"}}
    assert stack_violations("COS-01", [Fixture(COSMOS, "svc", periodic), _pe("Sql")], {"scope": "dev"}) == []
    found = stack_violations("COS-01", [Fixture(COSMOS, "svc", {"backupPolicy": {"type": "Periodic"}})])
    assert len(found) == 4 and "continuous backup" in found[3]


def test_the_shipped_app_tier_passes_its_rules(plans):
    plan = plans("prod")
    types = {r.type for r in plan.custom_resources()}
    assert {ENV, APP, SEARCH, COSMOS, PROJECT} <= types
    [foundry] = [r for r in plan.custom_resources() if r.type == ACCOUNT and r.props.get("kind") == "AIServices"]
    assert violations("AI-08", ACCOUNT, foundry.props) == []
    [app] = [r for r in plan.custom_resources() if r.type == APP]
    traffic = app.props["configuration"]["ingress"]["traffic"]
    assert [(t["revisionName"].rsplit("--", 1)[1], t["weight"]) for t in traffic] == [("blue", 90), ("green", 10)]
    assert app.props["configuration"]["activeRevisionsMode"] == "Multiple"
    assert app.props["template"]["revisionSuffix"] == "green"
