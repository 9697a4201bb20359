"""Monitoring rules (MON-01 … MON-05): diagnostics coverage, retention, App Insights, alerts, private ingestion."""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity

from llmops_infra.policies.aks import AGENT_POOL, CLUSTER
from llmops_infra.policies.framework import (
    Params,
    Report,
    get,
    gpu_size,
    items,
    present,
    prod,
    resource_rule,
    same,
    stack_rule,
)
from llmops_infra.policies.graph import Graph

DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"
LOG_WORKSPACE = "azure-native:operationalinsights:Workspace"
APP_INSIGHTS = "azure-native:applicationinsights:Component"
METRIC_ALERT = "azure-native:monitor:MetricAlert"
QUERY_ALERT = "azure-native:monitor:ScheduledQueryRule"
PROMETHEUS_RULES = "azure-native:alertsmanagement:PrometheusRuleGroup"
ACCOUNT = "azure-native:cognitiveservices:Account"
ONLINE_ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"

DIAGNOSED_TYPES = (
    "azure-native:keyvault:Vault",
    ACCOUNT,
    "azure-native:containerregistry:Registry",
    CLUSTER,
    "azure-native:storage:StorageAccount",
    "azure-native:machinelearningservices:Workspace",
)


def _sends_logs(setting: PolicyResource) -> bool:
    if not present(setting.props, "workspaceId"):
        return False
    for log in items(get(setting.props, "logs")):
        if get(log, "enabled") is True and (
            same(get(log, "categoryGroup"), "allLogs", "audit") or get(log, "category")
        ):
            return True
    return False


@stack_rule(
    "MON-01",
    "diagnostics-coverage",
    scope="P",
    severity=Severity.MEDIUM,
    description="Every Key Vault, Cognitive Services account, registry, cluster, storage account and "
    "ML workspace sends allLogs/audit to Log Analytics.",
    remediation="Add a DiagnosticSetting (categoryGroup allLogs, workspaceId set) for the resource; "
    "for storage accounts, on the blob service.",
)
def mon_diagnostics(resources: Sequence[PolicyResource], report: Report, params: Params) -> None:
    graph = Graph(resources)
    settings = [s for s in graph.of_type(DIAGNOSTIC_SETTING) if _sends_logs(s)]
    for target in graph.of_type(*DIAGNOSED_TYPES):
        # A setting on a sub-resource (storage blob service) refers to the account's id too.
        if not any(graph.refers(setting, target) for setting in settings):
            report(
                f"{target.resource_type.split(':')[-1]} {target.name} sends no logs to Log Analytics: "
                "access and failures leave no audit trail.",
                target.urn,
            )


@resource_rule(
    "MON-02",
    "log-retention",
    scope="A",
    severity=Severity.LOW,
    types=[LOG_WORKSPACE],
    params=["scope"],
    description="Log Analytics keeps logs at least 30 days (90 in prod).",
    remediation="Set retentionInDays: 30 or more (90 or more in prod).",
)
def mon_retention(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    days = get(args.props, "retentionInDays")
    floor = 90 if prod(params) else 30
    if not isinstance(days, (int, float)) or days < floor:
        report(f"Retention is {days if days is not None else 'unset'} days; at least {floor} are required here.")


@resource_rule(
    "MON-03",
    "app-insights-workspace",
    scope="A",
    severity=Severity.MEDIUM,
    types=[APP_INSIGHTS],
    description="Application Insights is workspace-based with local (key) auth off.",
    remediation="Set workspaceResourceId (ingestionMode LogAnalytics) and disableLocalAuth: true.",
)
def mon_app_insights(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if not present(args.props, "workspaceResourceId"):
        report("Application Insights is classic (no workspace): its data is outside Log Analytics.")
    if get(args.props, "disableLocalAuth") is not True:
        report("Instrumentation-key ingestion is on: anyone with the key can write telemetry.")


def _alert_wired(alert: PolicyResource) -> bool:
    actions = get(alert.props, "actions")
    if alert.resource_type == PROMETHEUS_RULES:
        return any(
            present(a, "actionGroupId")
            for rule in items(get(alert.props, "rules"))
            for a in items(get(rule, "actions"))
        )
    if items(actions):  # MetricAlert: a list of {actionGroupId}
        return any(present(a, "actionGroupId") for a in items(actions))
    return present(actions, "actionGroups")  # ScheduledQueryRule: {actionGroups: [...]}


@stack_rule(
    "MON-04",
    "endpoint-alerts",
    scope="P",
    severity=Severity.MEDIUM,
    description="Model endpoints and GPU pools have alerts wired to an action group.",
    remediation="Add metric alerts (latency, errors, token usage) on each model endpoint and GPU "
    "saturation alerts on the cluster, each with an action group.",
)
def mon_alerts(resources: Sequence[PolicyResource], report: Report, params: Params) -> None:
    graph = Graph(resources)
    alerts = [a for a in graph.of_type(METRIC_ALERT, QUERY_ALERT, PROMETHEUS_RULES) if _alert_wired(a)]
    targets = [r for r in graph.of_type(ACCOUNT) if same(get(r.props, "kind"), "OpenAI", "AIServices")]
    targets += graph.of_type(ONLINE_ENDPOINT)
    gpu = any(
        gpu_size(get(p, "vmSize")) for c in graph.of_type(CLUSTER) for p in items(get(c.props, "agentPoolProfiles"))
    )
    gpu = gpu or any(gpu_size(get(p.props, "vmSize")) for p in graph.of_type(AGENT_POOL))
    if gpu:
        targets += graph.of_type(CLUSTER)
    for target in targets:
        name = get(target.props, "resourceName")
        covered = any(graph.refers(a, target) or (name and get(a.props, "clusterName") == name) for a in alerts)
        if not covered:
            report(
                f"{target.resource_type.split(':')[-1]} {target.name} has no alert wired to an action group: "
                "failures and saturation go unnoticed.",
                target.urn,
            )


DATA_COLLECTION_RULE = "azure-native:monitor:DataCollectionRule"
DATA_COLLECTION_ENDPOINT = "azure-native:monitor:DataCollectionEndpoint"
PRIVATE_LINK_SCOPE = "azure-native:monitor:PrivateLinkScope"
SCOPED_RESOURCE = "azure-native:monitor:PrivateLinkScopedResource"


def private_only_ingestion(graph: Graph) -> bool:
    """Does any destination accept private ingestion only: a private link scope whose ingestion mode is
    PrivateOnly, or a Log Analytics workspace that refuses public ingestion?"""
    scopes = graph.of_type(PRIVATE_LINK_SCOPE)
    if any(same(get(s.props, "accessModeSettings.ingestionAccessMode"), "PrivateOnly") for s in scopes):
        return True
    return any(same(get(w.props, "publicNetworkAccessForIngestion"), "Disabled") for w in graph.of_type(LOG_WORKSPACE))


@stack_rule(
    "MON-05",
    "dcr-private-endpoint",
    scope="P",
    severity=Severity.HIGH,
    description="Under private-only ingestion, every data collection rule names a data collection endpoint in "
    "the Azure Monitor private link scope.",
    remediation="Create a data collection endpoint (public network access Disabled), add it to the private link "
    "scope (a PrivateLinkScopedResource) and set the rule's dataCollectionEndpointId to it.",
)
def mon_dcr_endpoints(resources: Sequence[PolicyResource], report: Report, params: Params) -> None:
    graph = Graph(resources)
    if not private_only_ingestion(graph):
        return
    endpoints = graph.of_type(DATA_COLLECTION_ENDPOINT)
    scoped = graph.of_type(SCOPED_RESOURCE)
    for rule in graph.of_type(DATA_COLLECTION_RULE):
        if not present(rule.props, "dataCollectionEndpointId"):
            report(
                f"DataCollectionRule {rule.name} names no data collection endpoint: with private-only ingestion its "
                "agents cannot send data anywhere, and the data is lost.",
                rule.urn,
            )
            continue
        # An endpoint outside this stack cannot be judged here; one inside it must be in the scope.
        for endpoint in (e for e in endpoints if graph.refers(rule, e)):
            if not any(graph.refers(member, endpoint) for member in scoped):
                report(
                    f"DataCollectionRule {rule.name} sends through endpoint {endpoint.name}, which is not in the "
                    "private link scope: agents in the VNet cannot reach it privately.",
                    rule.urn,
                )
