"""Monitoring: Log Analytics, Application Insights, managed Prometheus, Grafana, alerting.

Everything the estate logs lands in one Log Analytics workspace; applications report to a
workspace-based Application Insights that only accepts Entra ID-authenticated telemetry;
both are scoped into an Azure Monitor Private Link Scope and, by default, refuse ingestion
and queries from public networks (agents in the VNet reach them through the scope's
private endpoint, which the network stage creates);
AKS sends Prometheus metrics (GPU, vLLM) to an Azure Monitor workspace that Grafana reads;
alerts go to one action group (email, and the team chat when a webhook is given).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import applicationinsights, dashboard, monitor, operationalinsights

from llmops_infra.components.diagnostics import diagnostic_setting
from llmops_infra.components.dns_zones import PROMETHEUS_GROUP


@dataclass(frozen=True, kw_only=True)
class MonitoringArgs:
    resource_group_name: pulumi.Input[str]
    location: pulumi.Input[str]
    workspace_name: str
    app_insights_name: str
    monitor_workspace_name: str
    action_group_name: str
    action_group_short_name: str
    """Shown in alert emails and texts; 1-12 characters."""
    alert_emails: list[str]
    log_retention_days: int = 30
    """Days the Log Analytics workspace keeps logs. Default: 30 days."""
    grafana_name: str | None = None
    """Default: no Grafana. With a name, a Standard Managed Grafana reads the Prometheus data."""
    chat_webhook_url: pulumi.Input[str] | None = None
    """The team chat's incoming webhook (it carries a token: pass a secret). Default: email only."""
    allow_local_auth: bool = False
    """Dangerous. Default: the workspace and App Insights accept only Entra ID-authenticated data."""
    allow_public_network_access: bool = False
    """Dangerous. Default: the workspace and App Insights take ingestion and queries only through
    the private link scope, whose access mode is PrivateOnly, and the Azure Monitor workspace's PromQL
    endpoint answers only through private endpoints. With it, all are also reachable from public
    networks (e.g. portal queries from outside the VNet) and the scope's mode is Open."""
    private_link_scope_name: str | None = None
    """Azure name of the Azure Monitor Private Link Scope. Default: `ampls-` + the workspace name."""

    def __post_init__(self) -> None:
        if not 30 <= self.log_retention_days <= 730:
            raise ValueError(f"monitoring: log_retention_days ({self.log_retention_days}) must be 30-730")
        if not self.alert_emails:
            raise ValueError("monitoring: alert_emails is empty: list who receives alerts")
        if not 1 <= len(self.action_group_short_name) <= 12:
            raise ValueError(
                f"monitoring: action group short name {self.action_group_short_name!r} must be 1-12 characters"
            )


class Monitoring(pulumi.ComponentResource):
    """The estate's observability backbone.

    Children: the Log Analytics workspace (and its own audit diagnostics), the workspace-based
    Application Insights, the Azure Monitor workspace, the Managed Grafana (optional, with a
    managed private endpoint to the Azure Monitor workspace when that is private) and the action
    group.
    """

    log_analytics_workspace_id: pulumi.Output[str]
    app_insights_id: pulumi.Output[str]
    app_insights_connection_string: pulumi.Output[str]
    monitor_workspace_id: pulumi.Output[str]
    monitor_workspace_public_network_access: str
    """Disabled (default) or Enabled: whether the PromQL endpoint answers outside private endpoints."""
    prometheus_query_endpoint: pulumi.Output[str]
    """PromQL endpoint of the Azure Monitor workspace (Entra-authenticated), e.g. for KEDA."""
    action_group_id: pulumi.Output[str]
    grafana_id: pulumi.Output[str] | None
    grafana_principal_id: pulumi.Output[str] | None
    private_link_scope_id: pulumi.Output[str]
    private_link_scope_name: pulumi.Output[str]
    """Pass to `scope_resource` to bring another resource (e.g. a data collection endpoint) into the scope."""
    private_link_scope_access_mode: str
    """PrivateOnly (default) or Open: the ingestion and query access mode of the scope."""

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:monitoring:Monitoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        public = "Enabled" if args.allow_public_network_access else "Disabled"
        workspace = operationalinsights.Workspace(
            f"{name}-log",
            workspace_name=args.workspace_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku=operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
            retention_in_days=args.log_retention_days,
            public_network_access_for_ingestion=public,
            public_network_access_for_query=public,
            # Shared keys off: agents (AMA, Container Insights with useAADAuth) use Entra ID.
            features=operationalinsights.WorkspaceFeaturesArgs(
                disable_local_auth=not args.allow_local_auth,
                enable_log_access_using_only_resource_permissions=True,
            ),
            opts=child,
        )
        # The workspace's own audit log: who queried what.
        diagnostic_setting(f"{name}-log", resource_id=workspace.id, workspace_id=workspace.id, parent=self)

        insights = applicationinsights.Component(
            f"{name}-appi",
            resource_name_=args.app_insights_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind="web",
            application_type="web",
            workspace_resource_id=workspace.id,
            ingestion_mode="LogAnalytics",
            disable_local_auth=not args.allow_local_auth,
            public_network_access_for_ingestion=public,
            public_network_access_for_query=public,
            opts=child,
        )
        # PrivateOnly: clients in the VNet reach only the resources scoped here, through the endpoint.
        mode = "Open" if args.allow_public_network_access else "PrivateOnly"
        scope = monitor.PrivateLinkScope(
            f"{name}-ampls",
            scope_name=args.private_link_scope_name or f"ampls-{args.workspace_name}",
            resource_group_name=args.resource_group_name,
            location="global",
            access_mode_settings=monitor.AccessModeSettingsArgs(ingestion_access_mode=mode, query_access_mode=mode),
            opts=child,
        )
        self.private_link_scope_id = scope.id
        self.private_link_scope_name = scope.name
        self.private_link_scope_access_mode = mode
        for role, resource_id in (("log", workspace.id), ("appi", insights.id)):
            scope_resource(
                f"{name}-ampls-{role}",
                scope_name=scope.name,
                resource_id=resource_id,
                resource_group_name=args.resource_group_name,
                parent=self,
            )
        # The PromQL query endpoint follows the same rule: private unless public access is allowed. KEDA
        # reaches it through the workspace's private endpoint (the network stage creates it), Grafana
        # through a managed private endpoint below. Ingestion goes through the data collection endpoints.
        prometheus = monitor.AzureMonitorWorkspace(
            f"{name}-amw",
            azure_monitor_workspace_name=args.monitor_workspace_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            public_network_access=public,
            opts=child,
        )
        self.monitor_workspace_public_network_access = public

        self.grafana_id = None
        self.grafana_principal_id = None
        if args.grafana_name:
            grafana = dashboard.Grafana(
                f"{name}-grafana",
                workspace_name=args.grafana_name,
                resource_group_name=args.resource_group_name,
                location=args.location,
                sku=dashboard.ResourceSkuArgs(name="Standard"),
                identity=dashboard.ManagedServiceIdentityArgs(type="SystemAssigned"),
                properties=dashboard.ManagedGrafanaPropertiesArgs(
                    api_key="Disabled",
                    public_network_access="Disabled",
                    deterministic_outbound_ip="Disabled",
                    grafana_integrations=dashboard.GrafanaIntegrationsArgs(
                        azure_monitor_workspace_integrations=[
                            dashboard.AzureMonitorWorkspaceIntegrationArgs(
                                azure_monitor_workspace_resource_id=prometheus.id,
                            )
                        ],
                    ),
                ),
                opts=child,
            )
            self.grafana_id = grafana.id
            self.grafana_principal_id = grafana.identity.apply(_grafana_principal_id)
            if not args.allow_public_network_access:
                # Managed Grafana queries the workspace over Microsoft's backbone only through a managed
                # private endpoint (learn.microsoft.com/azure/azure-monitor/metrics/
                # azure-monitor-workspace-private-endpoint, read 2026-12-01). Its connection waits for an
                # approval on the workspace's Networking page: a one-time administrator step.
                query_host = prometheus.metrics.apply(_query_host)
                dashboard.ManagedPrivateEndpoint(
                    f"{name}-grafana-amw-mpe",
                    managed_private_endpoint_name="amw-query",
                    workspace_name=grafana.name,
                    resource_group_name=args.resource_group_name,
                    location=args.location,
                    group_ids=[PROMETHEUS_GROUP],
                    private_link_resource_id=prometheus.id,
                    private_link_resource_region=args.location,
                    private_link_service_url=query_host,
                    request_message="Managed Grafana queries managed Prometheus privately.",
                    opts=child,
                )

        webhooks = []
        if args.chat_webhook_url is not None:
            webhooks.append(
                monitor.WebhookReceiverArgs(
                    name="chat",
                    service_uri=pulumi.Output.secret(args.chat_webhook_url),
                    use_common_alert_schema=True,
                )
            )
        group = monitor.ActionGroup(
            f"{name}-ag",
            action_group_name=args.action_group_name,
            group_short_name=args.action_group_short_name,
            resource_group_name=args.resource_group_name,
            location="global",
            enabled=True,
            email_receivers=[
                monitor.MicrosoftCommonEmailReceiverArgs(
                    name=f"email-{i}", email_address=email, use_common_alert_schema=True
                )
                for i, email in enumerate(args.alert_emails)
            ],
            webhook_receivers=webhooks or None,
            opts=child,
        )

        self.log_analytics_workspace_id = workspace.id
        self.app_insights_id = insights.id
        self.app_insights_connection_string = pulumi.Output.secret(insights.connection_string)
        self.monitor_workspace_id = prometheus.id
        self.prometheus_query_endpoint = prometheus.metrics.apply(_query_endpoint)
        self.action_group_id = group.id
        self.register_outputs(
            {
                "log_analytics_workspace_id": self.log_analytics_workspace_id,
                "app_insights_id": self.app_insights_id,
                "monitor_workspace_id": self.monitor_workspace_id,
                "action_group_id": self.action_group_id,
                "private_link_scope_id": self.private_link_scope_id,
            }
        )


def scope_resource(
    name: str,
    *,
    scope_name: pulumi.Input[str],
    resource_id: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    parent: pulumi.Resource,
) -> monitor.PrivateLinkScopedResource:
    """Bring a Log Analytics workspace, Application Insights component or data collection endpoint
    into the Azure Monitor Private Link Scope `scope_name` (in the same resource group), so that
    clients in the VNet reach it through the scope's private endpoint."""
    return monitor.PrivateLinkScopedResource(
        name,
        name=name,
        scope_name=scope_name,
        resource_group_name=resource_group_name,
        linked_resource_id=resource_id,
        kind="Resource",
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _grafana_principal_id(identity: dashboard.outputs.ManagedServiceIdentityResponse | None) -> str:
    """Grafana's system identity (created with it, so Azure reports its principal after creation)."""
    if identity is None or not identity.principal_id:
        raise ValueError("Managed Grafana reported no system-assigned identity principal id")
    return identity.principal_id


def _query_endpoint(metrics: monitor.outputs.AzureMonitorWorkspaceResponseMetrics | None) -> str:
    """The workspace's PromQL endpoint (Azure reports it once the workspace exists)."""
    if metrics is None or not metrics.prometheus_query_endpoint:
        raise ValueError("the Azure Monitor workspace reported no Prometheus query endpoint")
    return metrics.prometheus_query_endpoint


def _query_host(metrics: monitor.outputs.AzureMonitorWorkspaceResponseMetrics | None) -> str:
    """The PromQL endpoint's host: what a Grafana managed private endpoint names as its service URL."""
    return _query_endpoint(metrics).removeprefix("https://")
