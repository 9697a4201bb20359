"""MON-01 … MON-04."""

from llmops_infra.policies.testing import Fixture, stack_violations, violations

DIAG = "azure-native:monitor:DiagnosticSetting"
VAULT = "azure-native:keyvault:Vault"
SA = "azure-native:storage:StorageAccount"
LAW = "azure-native:operationalinsights:Workspace"
AI = "azure-native:applicationinsights:Component"
ALERT = "azure-native:monitor:MetricAlert"
PROM = "azure-native:alertsmanagement:PrometheusRuleGroup"
ACCOUNT = "azure-native:cognitiveservices:Account"
POOL = "azure-native:containerservice:AgentPool"
MC = "azure-native:containerservice:ManagedCluster"
LOGS = {"workspaceId": "/x/log", "logs": [{"categoryGroup": "allLogs", "enabled": True}]}
SA_ID = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/st1"


def test_mon_01_diagnostics_coverage():
    assert stack_violations("MON-01", [Fixture(VAULT, "kv"), Fixture(DIAG, "d", LOGS, ["kv"])]) == []
    # A blob-service setting covers its account through the account's id.
    blob = {**LOGS, "resourceUri": SA_ID + "/blobServices/default"}
    assert stack_violations("MON-01", [Fixture(SA, "st", {"id": SA_ID}), Fixture(DIAG, "d", blob)]) == []
    metrics_only = {"workspaceId": "/x/log", "metrics": [{"category": "AllMetrics", "enabled": True}]}
    found = stack_violations("MON-01", [Fixture(VAULT, "kv"), Fixture(DIAG, "d", metrics_only, ["kv"])])
    assert found and "Vault kv sends no logs" in found[0]


def test_mon_02_retention_by_scope():
    assert violations("MON-02", LAW, {"retentionInDays": 30}, {"scope": "dev"}) == []
    assert "at least 90" in violations("MON-02", LAW, {"retentionInDays": 30}, {"scope": "prod"})[0]
    assert violations("MON-02", LAW, {}, {"scope": "dev"})


def test_mon_03_workspace_based_app_insights():
    assert violations("MON-03", AI, {"workspaceResourceId": "/x/log", "disableLocalAuth": True}) == []
    assert len(violations("MON-03", AI, {"applicationType": "web"})) == 2


def test_mon_04_endpoint_and_gpu_alerts():
    openai = Fixture(ACCOUNT, "oai", {"kind": "OpenAI"})
    wired = Fixture(ALERT, "a", {"actions": [{"actionGroupId": "/x/ag"}]}, ["oai"])
    assert stack_violations("MON-04", [openai, wired]) == []
    unwired = Fixture(ALERT, "a", {"actions": []}, ["oai"])
    assert "no alert" in stack_violations("MON-04", [openai, unwired])[0]
    cluster = Fixture(MC, "aks", {"resourceName": "aks-1"})
    gpu_pool = Fixture(POOL, "gpu", {"vmSize": "Standard_NC4as_T4_v3"}, ["aks"])
    assert "ManagedCluster aks" in stack_violations("MON-04", [cluster, gpu_pool])[0]
    prom = Fixture(PROM, "gpu-rules", {"clusterName": "aks-1", "rules": [{"actions": [{"actionGroupId": "/x/ag"}]}]})
    assert stack_violations("MON-04", [cluster, gpu_pool, prom]) == []


UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # an output not known at preview (a new workspace's id)
QUERY_ALERT = "azure-native:monitor:ScheduledQueryRule"


def test_mon_01_03_04_ids_unknown_at_preview_count_as_wired():
    """At the first preview every id is unknown: the wiring is judged, not skipped (and not passed blindly)."""
    pending = {**LOGS, "workspaceId": UNKNOWN}
    assert stack_violations("MON-01", [Fixture(VAULT, "kv"), Fixture(DIAG, "d", pending, ["kv"])]) == []
    no_workspace = {"logs": LOGS["logs"]}
    assert (
        "Vault kv sends no logs"
        in stack_violations("MON-01", [Fixture(VAULT, "kv"), Fixture(DIAG, "d", no_workspace, ["kv"])])[0]
    )
    assert violations("MON-03", AI, {"workspaceResourceId": UNKNOWN, "disableLocalAuth": True}) == []
    assert "classic" in violations("MON-03", AI, {"disableLocalAuth": True})[0]
    openai = Fixture(ACCOUNT, "oai", {"kind": "OpenAI"})
    for alert in (
        Fixture(ALERT, "a", {"actions": [{"actionGroupId": UNKNOWN}]}, ["oai"]),
        Fixture(QUERY_ALERT, "q", {"actions": {"actionGroups": [UNKNOWN]}}, ["oai"]),
    ):
        assert stack_violations("MON-04", [openai, alert]) == [], alert.type
    empty = Fixture(QUERY_ALERT, "q", {"actions": {"actionGroups": []}}, ["oai"])
    assert "no alert" in stack_violations("MON-04", [openai, empty])[0]


DCR = "azure-native:monitor:DataCollectionRule"
DCE = "azure-native:monitor:DataCollectionEndpoint"
AMPLS = "azure-native:monitor:PrivateLinkScope"
SCOPED = "azure-native:monitor:PrivateLinkScopedResource"
DCE_ID = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Insights/dataCollectionEndpoints/dce-ci"
PRIVATE_ONLY = Fixture(AMPLS, "ampls", {"accessModeSettings": {"ingestionAccessMode": "PrivateOnly"}})


def test_mon_05_violating_a_rule_without_an_endpoint_under_private_only_ingestion():
    """Container Insights' rule as it was: no dataCollectionEndpointId while the scope is PrivateOnly."""
    rule = Fixture(DCR, "cluster-ci-dcr", {"kind": "Linux", "destinations": {"logAnalytics": [{"name": "ci"}]}})
    [found] = stack_violations("MON-05", [PRIVATE_ONLY, rule])
    assert "cluster-ci-dcr names no data collection endpoint" in found
    # The same holds when the workspace itself refuses public ingestion (no scope in the stack).
    closed = Fixture(LAW, "log", {"publicNetworkAccessForIngestion": "Disabled"})
    assert stack_violations("MON-05", [closed, rule])


def test_mon_05_violating_an_endpoint_outside_the_scope():
    endpoint = Fixture(DCE, "dce", {"id": DCE_ID})
    rule = Fixture(DCR, "cluster-ci-dcr", {"dataCollectionEndpointId": DCE_ID}, ["dce"])
    [found] = stack_violations("MON-05", [PRIVATE_ONLY, endpoint, rule])
    assert "endpoint dce, which is not in the private link scope" in found


def test_mon_05_compliant_a_rule_through_a_scoped_endpoint():
    endpoint = Fixture(DCE, "dce", {"id": DCE_ID})
    member = Fixture(SCOPED, "dce-ampls", {"linkedResourceId": DCE_ID, "scopeName": "ampls"}, ["dce"])
    rule = Fixture(DCR, "cluster-ci-dcr", {"dataCollectionEndpointId": DCE_ID}, ["dce"])
    assert stack_violations("MON-05", [PRIVATE_ONLY, endpoint, member, rule]) == []
    # An id unknown at the first preview is wiring, judged through the dependency.
    pending = Fixture(DCR, "cluster-ci-dcr", {"dataCollectionEndpointId": UNKNOWN}, ["dce"])
    assert stack_violations("MON-05", [PRIVATE_ONLY, endpoint, member, pending]) == []


def test_mon_05_does_not_apply_to_open_ingestion():
    open_scope = Fixture(AMPLS, "ampls", {"accessModeSettings": {"ingestionAccessMode": "Open"}})
    rule = Fixture(DCR, "cluster-ci-dcr", {"kind": "Linux"})
    assert stack_violations("MON-05", [open_scope, rule]) == []
