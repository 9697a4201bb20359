"""Monitoring: workspace, App Insights, Prometheus, Grafana, action group, alerts helper."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import SUB, one, synth

from llmops_infra.plan import SECRET_MARKER, Plan

REPO = Path(__file__).resolve().parent.parent
WEBHOOK = "https://chat.example.com/hooks/T000/B000/not-a-real-token"


@pytest.mark.parametrize("env,retention", [("dev", 30), ("prod", 90)])
def test_workspace_retention_and_entra_only_ingestion(plans, env, retention):
    workspace = one(plans(env), "azure-native:operationalinsights:Workspace", "monitoring-log")
    assert workspace.props["retentionInDays"] == retention
    assert workspace.props["sku"] == {"name": "PerGB2018"}
    assert workspace.props["features"]["disableLocalAuth"] is True
    assert plans(env).outputs["log_analytics_workspace_id"] == workspace.outputs["id"]


def test_app_insights_is_workspace_based_without_local_auth(plans):
    plan = plans("prod")
    workspace_id = one(plan, "azure-native:operationalinsights:Workspace", "monitoring-log").outputs["id"]
    insights = one(plan, "azure-native:applicationinsights:Component", "monitoring-appi")
    assert insights.props["workspaceResourceId"] == workspace_id
    assert insights.props["ingestionMode"] == "LogAnalytics"
    assert insights.props["disableLocalAuth"] is True


def test_grafana_is_private_keyless_and_reads_prometheus(plans):
    plan = plans("dev")
    amw = one(plan, "azure-native:monitor:AzureMonitorWorkspace", "monitoring-amw")
    grafana = one(plan, "azure-native:dashboard:Grafana", "monitoring-grafana")
    props = grafana.props["properties"]
    assert grafana.props["identity"] == {"type": "SystemAssigned"}
    assert props["apiKey"] == "Disabled" and props["publicNetworkAccess"] == "Disabled"
    assert props["grafanaIntegrations"]["azureMonitorWorkspaceIntegrations"] == [
        {"azureMonitorWorkspaceResourceId": amw.outputs["id"]}
    ]
    reader = one(plan, "azure-native:authorization:RoleAssignment", "monitoring-grafana-monitoring-data-reader")
    assert reader.props["principalId"] == grafana.outputs["identity"]["principalId"]
    assert reader.props["scope"] == amw.outputs["id"]
    endpoint = one(plan, "azure-native:network:PrivateEndpoint", "grafana-pe-pep")
    connection = endpoint.props["privateLinkServiceConnections"][0]
    assert connection["privateLinkServiceId"] == grafana.outputs["id"] and connection["groupIds"] == ["grafana"]


def test_action_group_emails_and_no_webhook_without_the_env_var(plans):
    group = one(plans("dev"), "azure-native:monitor:ActionGroup", "monitoring-ag")
    assert group.props["location"] == "global" and group.props["enabled"] is True
    assert [r["emailAddress"] for r in group.props["emailReceivers"]] == ["llmops-oncall@contoso.com"]
    assert len(group.props["groupShortName"]) <= 12
    assert not group.props.get("webhookReceivers")


def test_chat_webhook_comes_from_the_environment_as_a_secret(monkeypatch):
    from llmops_infra.config.loader import load_environment
    from llmops_infra.offline.planning import plan_config

    monkeypatch.setenv("LLMOPS_CHAT_WEBHOOK_URL", WEBHOOK)
    plan = plan_config(load_environment("dev", REPO))
    group = one(plan, "azure-native:monitor:ActionGroup", "monitoring-ag")
    # The secret URL makes the whole receiver list secret: present, but never readable.
    assert group.props["webhookReceivers"] == SECRET_MARKER
    assert "not-a-real-token" not in plan.to_json()


def test_a_webhook_that_is_not_https_is_refused_without_echoing_it():
    from llmops_infra.errors import ConfigError
    from llmops_infra.stacks.stage_security import chat_webhook_url

    with pytest.raises(ConfigError) as caught:
        chat_webhook_url("HOOK", {"HOOK": "http://chat.example.com/secret-token"})
    assert "HOOK" in str(caught.value) and "secret-token" not in str(caught.value)
    assert chat_webhook_url("HOOK", {}) is None
    assert chat_webhook_url(None, {"HOOK": WEBHOOK}) is None


def test_monitoring_without_grafana_has_no_grafana():
    from llmops_infra.components.monitoring import Monitoring, MonitoringArgs

    def program():
        m = Monitoring(
            "monitoring",
            MonitoringArgs(
                resource_group_name="rg",
                location="eastus",
                workspace_name="log-t",
                app_insights_name="appi-t",
                monitor_workspace_name="amw-t",
                action_group_name="ag-t",
                action_group_short_name="t",
                alert_emails=["a@example.com"],
            ),
        )
        assert m.grafana_id is None

    plan = synth(program)
    assert plan.of_type("azure-native:dashboard:Grafana") == []
    assert len(plan.of_type("azure-native:monitor:AzureMonitorWorkspace")) == 1


def test_monitoring_args_reject_bad_values():
    from llmops_infra.components.monitoring import MonitoringArgs

    base = {
        "resource_group_name": "rg",
        "location": "eastus",
        "workspace_name": "w",
        "app_insights_name": "a",
        "monitor_workspace_name": "m",
        "action_group_name": "g",
        "action_group_short_name": "s",
        "alert_emails": ["a@example.com"],
    }
    with pytest.raises(ValueError, match="log_retention_days"):
        MonitoringArgs(**{**base, "log_retention_days": 7})
    with pytest.raises(ValueError, match="1-12 characters"):
        MonitoringArgs(**{**base, "action_group_short_name": "much-too-long-name"})
    with pytest.raises(ValueError, match="alert_emails is empty"):
        MonitoringArgs(**{**base, "alert_emails": []})


def test_metric_alert_helper():
    import pulumi

    from llmops_infra.components.alerts import metric_alert

    def program():
        parent = pulumi.ComponentResource("llmops:test:Parent", "parent")
        metric_alert(
            "gpu-saturation",
            resource_group_name="rg",
            scopes=["/subscriptions/x/vault"],
            metric_name="Availability",
            metric_namespace="Microsoft.KeyVault/vaults",
            threshold=90,
            action_group_id="/ag/id",
            parent=parent,
            severity=2,
        )

    alert = one(synth(program), "azure-native:monitor:MetricAlert", "gpu-saturation")
    assert alert.props["location"] == "global" and alert.props["ruleName"] == "gpu-saturation"
    assert alert.props["scopes"] == ["/subscriptions/x/vault"]
    criterion = alert.props["criteria"]["allOf"][0]
    assert (criterion["metricName"], criterion["operator"], criterion["threshold"]) == (
        "Availability",
        "GreaterThan",
        90,
    )
    assert alert.props["criteria"]["odataType"] == "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"
    assert alert.props["actions"] == [{"actionGroupId": "/ag/id"}]
    with pytest.raises(ValueError, match="exactly one scope"):
        metric_alert(
            "x", resource_group_name="rg", scopes=[], metric_name="m", threshold=1, action_group_id="/ag", parent=None
        )


def _public_monitoring_plan() -> Plan:
    from llmops_infra.config.loader import load_environment
    from llmops_infra.offline.planning import plan_config

    config = load_environment("dev", REPO)
    monitoring = config.monitoring.model_copy(update={"allow_public_network_access": True})
    return plan_config(config.model_copy(update={"monitoring": monitoring}))


@pytest.mark.parametrize(
    "env,public,mode",
    [
        ("prod", "Disabled", "PrivateOnly"),
        ("staging", "Disabled", "PrivateOnly"),
        ("dev", "Disabled", "PrivateOnly"),
        ("dev-public", "Enabled", "Open"),
    ],
)
def test_logs_and_telemetry_go_through_the_private_link_scope(plans, env, public, mode):
    plan = _public_monitoring_plan() if env == "dev-public" else plans(env)
    env = env.removesuffix("-public")
    workspace = one(plan, "azure-native:operationalinsights:Workspace", "monitoring-log")
    insights = one(plan, "azure-native:applicationinsights:Component", "monitoring-appi")
    for resource in (workspace, insights):
        assert (resource.props["publicNetworkAccessForIngestion"], resource.props["publicNetworkAccessForQuery"]) == (
            public,
            public,
        ), resource.name
    scope = one(plan, "azure-native:monitor:PrivateLinkScope", "monitoring-ampls")
    assert scope.props["accessModeSettings"] == {"ingestionAccessMode": mode, "queryAccessMode": mode}
    assert scope.props["location"] == "global"
    assert scope.props["scopeName"] == f"ampls-llmops-{env}-" + ("eus" if env == "dev" else "eus2")
    scoped = {r.props["linkedResourceId"]: r for r in plan.of_type("azure-native:monitor:PrivateLinkScopedResource")}
    # The cluster's data collection endpoints (Prometheus, Container Insights) join the scope too (compute stage).
    endpoints = plan.of_type("azure-native:monitor:DataCollectionEndpoint")
    assert len(endpoints) == 2
    assert set(scoped) == {workspace.outputs["id"], insights.outputs["id"], *(e.outputs["id"] for e in endpoints)}
    assert {e.props["networkAcls"]["publicNetworkAccess"] for e in endpoints} == {public}
    assert {r.props["scopeName"] for r in scoped.values()} == {scope.props["scopeName"]}
    # The PromQL query endpoint follows the same switch.
    amw = one(plan, "azure-native:monitor:AzureMonitorWorkspace", "monitoring-amw")
    assert amw.props["publicNetworkAccess"] == public


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_data_collection_rule_sends_through_a_scoped_endpoint(plans, env):
    """Under PrivateOnly ingestion the agents reach Azure Monitor only through endpoints in the scope (MON-05)."""
    plan = plans(env)
    endpoints = {e.outputs["id"]: e for e in plan.of_type("azure-native:monitor:DataCollectionEndpoint")}
    scoped = {r.props["linkedResourceId"] for r in plan.of_type("azure-native:monitor:PrivateLinkScopedResource")}
    rules = plan.of_type("azure-native:monitor:DataCollectionRule")
    assert {r.name for r in rules} == {"cluster-prom-dcr", "cluster-ci-dcr"}
    for rule in rules:
        assert rule.props["dataCollectionEndpointId"] in endpoints, rule.name
        assert rule.props["dataCollectionEndpointId"] in scoped, rule.name
    ci = next(r for r in rules if r.name == "cluster-ci-dcr")
    assert endpoints[ci.props["dataCollectionEndpointId"]].props["dataCollectionEndpointName"].startswith("dce-ci-")


def test_the_prometheus_query_endpoint_is_private_and_grafana_reaches_it_privately(plans):
    plan = plans("prod")
    amw = one(plan, "azure-native:monitor:AzureMonitorWorkspace", "monitoring-amw")
    endpoint = one(plan, "azure-native:network:PrivateEndpoint", "prometheus-pe-pep")
    connection = endpoint.props["privateLinkServiceConnections"][0]
    assert connection["privateLinkServiceId"] == amw.outputs["id"] and connection["groupIds"] == ["prometheusMetrics"]
    zones = {z.outputs["id"]: z.props["privateZoneName"] for z in plan.of_type("azure-native:privatedns:PrivateZone")}
    group = one(plan, "azure-native:network:PrivateDnsZoneGroup", "prometheus-pe-dns")
    assert [zones[c["privateDnsZoneId"]] for c in group.props["privateDnsZoneConfigs"]] == [
        "privatelink.eastus2.prometheus.monitor.azure.com"
    ]
    managed = one(plan, "azure-native:dashboard:ManagedPrivateEndpoint", "monitoring-grafana-amw-mpe")
    assert managed.props["privateLinkResourceId"] == amw.outputs["id"]
    assert managed.props["groupIds"] == ["prometheusMetrics"]
    assert managed.props["privateLinkServiceUrl"] == amw.outputs["metrics"]["prometheusQueryEndpoint"].removeprefix(
        "https://"
    )


def test_a_public_monitoring_config_keeps_the_query_endpoint_public():
    plan = _public_monitoring_plan()
    assert not [e for e in plan.of_type("azure-native:network:PrivateEndpoint") if e.name == "prometheus-pe-pep"]
    assert not plan.of_type("azure-native:dashboard:ManagedPrivateEndpoint")


def test_the_scope_has_a_private_endpoint_registered_in_every_azure_monitor_zone(plans):
    plan = plans("prod")
    scope = one(plan, "azure-native:monitor:PrivateLinkScope", "monitoring-ampls")
    endpoint = one(plan, "azure-native:network:PrivateEndpoint", "monitor-pe-pep")
    connection = endpoint.props["privateLinkServiceConnections"][0]
    assert connection["privateLinkServiceId"] == scope.outputs["id"] and connection["groupIds"] == ["azuremonitor"]
    assert endpoint.props["privateEndpointName"] == "pep-llmops-prod-eus2-monitor"
    zones = {z.outputs["id"]: z.props["privateZoneName"] for z in plan.of_type("azure-native:privatedns:PrivateZone")}
    group = one(plan, "azure-native:network:PrivateDnsZoneGroup", "monitor-pe-dns")
    assert sorted(zones[c["privateDnsZoneId"]] for c in group.props["privateDnsZoneConfigs"]) == sorted(
        [
            "privatelink.monitor.azure.com",
            "privatelink.oms.opinsights.azure.com",
            "privatelink.ods.opinsights.azure.com",
            "privatelink.agentsvc.azure-automation.net",
            "privatelink.blob.core.windows.net",
        ]
    )


def test_scope_resource_brings_a_data_collection_endpoint_into_the_scope():
    import pulumi

    from llmops_infra.components.monitoring import scope_resource

    def program():
        parent = pulumi.ComponentResource("llmops:test:Parent", "parent")
        scope_resource(
            "cluster-prom-dce-ampls",
            scope_name="ampls-t",
            resource_group_name="rg",
            resource_id="/subscriptions/x/resourceGroups/rg/providers/Microsoft.Insights/dataCollectionEndpoints/d",
            parent=parent,
        )

    scoped = one(synth(program), "azure-native:monitor:PrivateLinkScopedResource", "cluster-prom-dce-ampls")
    assert scoped.props["scopeName"] == "ampls-t" and scoped.props["kind"] == "Resource"
    assert scoped.props["linkedResourceId"].endswith("/dataCollectionEndpoints/d")


def _grafana_admin_plan(groups: list[str], grafana: bool = True) -> Plan:
    from llmops_infra.config.loader import load_environment
    from llmops_infra.offline.planning import plan_config

    config = load_environment("dev", REPO)
    monitoring = config.monitoring.model_copy(update={"grafana_admin_group_object_ids": groups, "grafana": grafana})
    return plan_config(config.model_copy(update={"monitoring": monitoring}))


def test_grafana_admin_groups_get_grafana_admin_on_grafana_only():
    from llmops_infra.components.roles import ROLES

    groups = ["0b5f1c9e-1111-4a2b-8c3d-111111111111", "0b5f1c9e-2222-4a2b-8c3d-222222222222"]
    plan = _grafana_admin_plan(groups)
    grafana = one(plan, "azure-native:dashboard:Grafana", "monitoring-grafana")
    admins = [
        a
        for a in plan.of_type("azure-native:authorization:RoleAssignment")
        if a.props["roleDefinitionId"].endswith("/" + ROLES["Grafana Admin"])
    ]
    assert ROLES["Grafana Admin"] == "22926164-76b3-42b3-bc55-97df8dab3e41"
    assert sorted(a.props["principalId"] for a in admins) == groups
    for assignment in admins:
        assert assignment.props["scope"] == grafana.outputs["id"]
        assert assignment.props["principalType"] == "Group"
        assert assignment.props["roleDefinitionId"] == (
            f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{ROLES['Grafana Admin']}"
        )


def test_no_grafana_admin_by_default(plans):
    from llmops_infra.components.roles import ROLES

    assert not [
        a
        for a in plans("dev").of_type("azure-native:authorization:RoleAssignment")
        if a.props["roleDefinitionId"].endswith("/" + ROLES["Grafana Admin"])
    ]


def test_monitoring_config_private_by_default_and_admins_need_grafana():
    from pydantic import ValidationError

    from llmops_infra.config.models import MonitoringConfig

    config = MonitoringConfig(alert_emails=["a@example.com"])
    assert config.allow_public_network_access is False and config.grafana_admin_group_object_ids == []
    with pytest.raises(ValidationError, match="grafana_admin_group_object_ids has no effect without Grafana"):
        MonitoringConfig(
            alert_emails=["a@example.com"],
            grafana=False,
            grafana_admin_group_object_ids=["0b5f1c9e-1111-4a2b-8c3d-111111111111"],
        )
    with pytest.raises(ValidationError, match="appears twice"):
        MonitoringConfig(
            alert_emails=["a@example.com"], grafana_admin_group_object_ids=["0b5f1c9e-1111-4a2b-8c3d-111111111111"] * 2
        )
    with pytest.raises(ValidationError, match="pattern"):
        MonitoringConfig(alert_emails=["a@example.com"], grafana_admin_group_object_ids=["platform-admins"])
