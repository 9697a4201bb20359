"""Monitoring: workspace, App Insights, Prometheus, Grafana, action group, alerts helper."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmops_infra.plan import SECRET_MARKER, Plan

SUB = "11111111-1111-4111-8111-111111111111"
REPO = Path(__file__).resolve().parent.parent
WEBHOOK = "https://chat.example.com/hooks/T000/B000/not-a-real-token"


def _one(plan: Plan, type_: str, name: str):
    found = [r for r in plan.of_type(type_) if r.name == name]
    assert len(found) == 1, f"{type_} {name}: {len(found)} found"
    return found[0]


def _synth(program) -> Plan:
    from llmops_infra.stacks.mocks import AzureMocks
    from llmops_infra.stacks.synth import synthesize

    return synthesize(program, environment="test", project="llmops",
                      mocks=AzureMocks(SUB, "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "eastus"))


@pytest.mark.parametrize("env,retention", [("dev", 30), ("prod", 90)])
def test_workspace_retention_and_entra_only_ingestion(plans, env, retention):
    workspace = _one(plans(env), "azure-native:operationalinsights:Workspace", "monitoring-log")
    assert workspace.props["retentionInDays"] == retention
    assert workspace.props["sku"] == {"name": "PerGB2018"}
    assert workspace.props["features"]["disableLocalAuth"] is True
    assert plans(env).outputs["log_analytics_workspace_id"] == workspace.outputs["id"]


def test_app_insights_is_workspace_based_without_local_auth(plans):
    plan = plans("prod")
    workspace_id = _one(plan, "azure-native:operationalinsights:Workspace", "monitoring-log").outputs["id"]
    insights = _one(plan, "azure-native:applicationinsights:Component", "monitoring-appi")
    assert insights.props["workspaceResourceId"] == workspace_id
    assert insights.props["ingestionMode"] == "LogAnalytics"
    assert insights.props["disableLocalAuth"] is True


def test_grafana_is_private_keyless_and_reads_prometheus(plans):
    plan = plans("dev")
    amw = _one(plan, "azure-native:monitor:AzureMonitorWorkspace", "monitoring-amw")
    grafana = _one(plan, "azure-native:dashboard:Grafana", "monitoring-grafana")
    props = grafana.props["properties"]
    assert grafana.props["identity"] == {"type": "SystemAssigned"}
    assert props["apiKey"] == "Disabled" and props["publicNetworkAccess"] == "Disabled"
    assert props["grafanaIntegrations"]["azureMonitorWorkspaceIntegrations"] == [
        {"azureMonitorWorkspaceResourceId": amw.outputs["id"]}]
    reader = _one(plan, "azure-native:authorization:RoleAssignment", "monitoring-grafana-monitoring-data-reader")
    assert reader.props["principalId"] == grafana.outputs["identity"]["principalId"]
    assert reader.props["scope"] == amw.outputs["id"]
    endpoint = _one(plan, "azure-native:network:PrivateEndpoint", "grafana-pe-pep")
    connection = endpoint.props["privateLinkServiceConnections"][0]
    assert connection["privateLinkServiceId"] == grafana.outputs["id"] and connection["groupIds"] == ["grafana"]


def test_action_group_emails_and_no_webhook_without_the_env_var(plans):
    group = _one(plans("dev"), "azure-native:monitor:ActionGroup", "monitoring-ag")
    assert group.props["location"] == "global" and group.props["enabled"] is True
    assert [r["emailAddress"] for r in group.props["emailReceivers"]] == ["llmops-oncall@contoso.com"]
    assert len(group.props["groupShortName"]) <= 12
    assert not group.props.get("webhookReceivers")


def test_chat_webhook_comes_from_the_environment_as_a_secret(monkeypatch):
    from llmops_infra.stacks.loader import load_environment
    from llmops_infra.stacks.planning import plan_config

    monkeypatch.setenv("LLMOPS_CHAT_WEBHOOK_URL", WEBHOOK)
    plan = plan_config(load_environment("dev", REPO))
    group = _one(plan, "azure-native:monitor:ActionGroup", "monitoring-ag")
    # The secret URL makes the whole receiver list secret: present, but never readable.
    assert group.props["webhookReceivers"] == SECRET_MARKER
    assert "not-a-real-token" not in plan.to_json()


def test_a_webhook_that_is_not_https_is_refused_without_echoing_it():
    from llmops_infra.stacks.errors import ConfigError
    from llmops_infra.stacks.stage_security import chat_webhook_url

    with pytest.raises(ConfigError) as caught:
        chat_webhook_url("HOOK", {"HOOK": "http://chat.example.com/secret-token"})
    assert "HOOK" in str(caught.value) and "secret-token" not in str(caught.value)
    assert chat_webhook_url("HOOK", {}) is None
    assert chat_webhook_url(None, {"HOOK": WEBHOOK}) is None


def test_monitoring_without_grafana_has_no_grafana():
    from llmops_infra.components.monitoring import Monitoring, MonitoringArgs

    def program():
        m = Monitoring("monitoring", MonitoringArgs(
            resource_group_name="rg", location="eastus", workspace_name="log-t", app_insights_name="appi-t",
            monitor_workspace_name="amw-t", action_group_name="ag-t", action_group_short_name="t",
            alert_emails=["a@example.com"]))
        assert m.grafana_id is None

    plan = _synth(program)
    assert plan.of_type("azure-native:dashboard:Grafana") == []
    assert len(plan.of_type("azure-native:monitor:AzureMonitorWorkspace")) == 1


def test_monitoring_args_reject_bad_values():
    from llmops_infra.components.monitoring import MonitoringArgs

    base = dict(resource_group_name="rg", location="eastus", workspace_name="w", app_insights_name="a",
                monitor_workspace_name="m", action_group_name="g", action_group_short_name="s",
                alert_emails=["a@example.com"])
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
        metric_alert("gpu-saturation", resource_group_name="rg", scopes=["/subscriptions/x/cluster"],
                     metric_name="node_gpu_utilization", threshold=90, action_group_id="/ag/id", parent=parent,
                     severity=2)

    alert = _one(_synth(program), "azure-native:monitor:MetricAlert", "gpu-saturation")
    assert alert.props["location"] == "global" and alert.props["ruleName"] == "gpu-saturation"
    assert alert.props["scopes"] == ["/subscriptions/x/cluster"]
    criterion = alert.props["criteria"]["allOf"][0]
    assert (criterion["metricName"], criterion["operator"], criterion["threshold"]) == ("node_gpu_utilization",
                                                                                         "GreaterThan", 90)
    assert alert.props["criteria"]["odataType"] == "Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria"
    assert alert.props["actions"] == [{"actionGroupId": "/ag/id"}]
    with pytest.raises(ValueError, match="exactly one scope"):
        metric_alert("x", resource_group_name="rg", scopes=[], metric_name="m", threshold=1,
                     action_group_id="/ag", parent=None)
