"""Data collection for an AKS cluster: managed Prometheus and Container Insights.

Turning on `azureMonitorProfile.metrics` and the `omsagent` add-on only deploys the agents;
what they collect and where it goes is defined by data collection rules associated with
the cluster. This is what `az aks create --enable-azure-monitor-metrics` and
`--enable-addons monitoring` create behind the scenes, declared here so that the stack owns
it:

- Prometheus: a data collection endpoint, a rule forwarding the `Microsoft-PrometheusMetrics`
  stream to the Azure Monitor workspace, and two associations (endpoint, rule).
- Container Insights (Entra auth, no workspace key): a data collection endpoint for log
  ingestion, a rule sending the ContainerInsights extension's default stream group to Log
  Analytics through that endpoint, and its association.

Both endpoints join the Azure Monitor Private Link Scope: "When using AMA with AMPLS, all of your
Data Collection Rules must use Data Collection Endpoints. Those DCEs must be added to the AMPLS
configuration using private link" (learn.microsoft.com/azure/azure-monitor/containers/
kubernetes-monitoring-firewall, read 2026-12-01). Microsoft's own onboarding template gives
Container Insights an ingestion endpoint of its own beside the configuration-access one
(microsoft/Docker-Provider scripts/onboarding/aks/onboarding-msi-terraform/main.tf, ci_prod).
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import monitor

PROMETHEUS_STREAM = "Microsoft-PrometheusMetrics"
CONTAINER_INSIGHTS_STREAM = "Microsoft-ContainerInsights-Group-Default"


def prometheus_collection(
    name: str,
    *,
    cluster_name: str,
    cluster_id: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    monitor_workspace_id: pulumi.Input[str],
    parent: pulumi.Resource,
    private_link_scope_name: pulumi.Input[str] | None = None,
    public_network_access: bool = False,
) -> monitor.DataCollectionRule:
    """Managed Prometheus scraping for the cluster, written to the Azure Monitor workspace.

    The endpoint carries both metric ingestion and the agents' configuration access. It refuses
    public traffic unless `public_network_access`; with a private link scope it joins the scope,
    which is how the agents in the VNet reach it once the scope is PrivateOnly.
    """
    child = pulumi.ResourceOptions(parent=parent)
    endpoint = collection_endpoint(
        f"{name}-prom",
        endpoint_name=f"dce-prom-{cluster_name}"[:44],
        resource_group_name=resource_group_name,
        parent=parent,
        private_link_scope_name=private_link_scope_name,
        public_network_access=public_network_access,
    )
    rule = monitor.DataCollectionRule(
        f"{name}-prom-dcr",
        data_collection_rule_name=f"dcr-prom-{cluster_name}"[:64],
        resource_group_name=resource_group_name,
        kind="Linux",
        data_collection_endpoint_id=endpoint.id,
        data_sources=monitor.DataCollectionRuleDataSourcesArgs(
            prometheus_forwarder=[
                monitor.PrometheusForwarderDataSourceArgs(
                    name="PrometheusDataSource",
                    streams=[PROMETHEUS_STREAM],
                    label_include_filter={},
                )
            ],
        ),
        destinations=monitor.DataCollectionRuleDestinationsArgs(
            monitoring_accounts=[
                monitor.MonitoringAccountDestinationArgs(
                    name="MonitoringAccount",
                    account_resource_id=monitor_workspace_id,
                )
            ],
        ),
        data_flows=[monitor.DataFlowArgs(streams=[PROMETHEUS_STREAM], destinations=["MonitoringAccount"])],
        tags={},
        opts=child,
    )
    # The endpoint association must be named configurationAccessEndpoint.
    monitor.DataCollectionRuleAssociation(
        f"{name}-prom-dce-assoc",
        association_name="configurationAccessEndpoint",
        resource_uri=cluster_id,
        data_collection_endpoint_id=endpoint.id,
        opts=child,
    )
    monitor.DataCollectionRuleAssociation(
        f"{name}-prom-dcr-assoc",
        association_name=f"dcra-prom-{cluster_name}"[:64],
        resource_uri=cluster_id,
        data_collection_rule_id=rule.id,
        opts=child,
    )
    return rule


def collection_endpoint(
    name: str,
    *,
    endpoint_name: str,
    resource_group_name: pulumi.Input[str],
    parent: pulumi.Resource,
    private_link_scope_name: pulumi.Input[str] | None,
    public_network_access: bool,
) -> monitor.DataCollectionEndpoint:
    """A Linux data collection endpoint that refuses public traffic unless `public_network_access`; with a
    private link scope it joins the scope, which is how agents in the VNet reach it once the scope is
    PrivateOnly."""
    from llmops_infra.components.monitoring import scope_resource

    endpoint = monitor.DataCollectionEndpoint(
        f"{name}-dce",
        data_collection_endpoint_name=endpoint_name,
        resource_group_name=resource_group_name,
        kind="Linux",
        network_acls=monitor.DataCollectionEndpointNetworkAclsArgs(
            public_network_access="Enabled" if public_network_access else "Disabled"
        ),
        tags={},
        opts=pulumi.ResourceOptions(parent=parent),
    )
    if private_link_scope_name is not None:
        scope_resource(
            f"{name}-dce-ampls",
            scope_name=private_link_scope_name,
            resource_id=endpoint.id,
            resource_group_name=resource_group_name,
            parent=parent,
        )
    return endpoint


def container_insights_collection(
    name: str,
    *,
    cluster_name: str,
    cluster_id: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    log_analytics_workspace_id: pulumi.Input[str],
    parent: pulumi.Resource,
    private_link_scope_name: pulumi.Input[str] | None = None,
    public_network_access: bool = False,
) -> monitor.DataCollectionRule:
    """Container logs, inventory and performance data to Log Analytics (Entra-authenticated agent), sent
    through a data collection endpoint of its own (in the private link scope when one is given)."""
    child = pulumi.ResourceOptions(parent=parent)
    endpoint = collection_endpoint(
        f"{name}-ci",
        endpoint_name=f"dce-ci-{cluster_name}"[:44],
        resource_group_name=resource_group_name,
        parent=parent,
        private_link_scope_name=private_link_scope_name,
        public_network_access=public_network_access,
    )
    rule = monitor.DataCollectionRule(
        f"{name}-ci-dcr",
        data_collection_rule_name=f"dcr-ci-{cluster_name}"[:64],
        resource_group_name=resource_group_name,
        kind="Linux",
        data_collection_endpoint_id=endpoint.id,
        data_sources=monitor.DataCollectionRuleDataSourcesArgs(
            extensions=[
                monitor.ExtensionDataSourceArgs(
                    name="ContainerInsightsExtension",
                    extension_name="ContainerInsights",
                    streams=[CONTAINER_INSIGHTS_STREAM],
                    extension_settings={
                        "dataCollectionSettings": {
                            "interval": "1m",
                            "namespaceFilteringMode": "Off",
                            "enableContainerLogV2": True,
                        }
                    },
                )
            ],
        ),
        destinations=monitor.DataCollectionRuleDestinationsArgs(
            log_analytics=[
                monitor.LogAnalyticsDestinationArgs(
                    name="ciworkspace",
                    workspace_resource_id=log_analytics_workspace_id,
                )
            ],
        ),
        data_flows=[monitor.DataFlowArgs(streams=[CONTAINER_INSIGHTS_STREAM], destinations=["ciworkspace"])],
        tags={},
        opts=child,
    )
    monitor.DataCollectionRuleAssociation(
        f"{name}-ci-dcr-assoc",
        association_name="ContainerInsightsExtension",
        resource_uri=cluster_id,
        data_collection_rule_id=rule.id,
        opts=child,
    )
    return rule
