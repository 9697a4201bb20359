"""The Azure Monitor platform metrics the estate alerts on, with the aggregations each supports.

Every `alerts.metric_alert` is checked against this table when the plan is built: an alert on a
metric that does not exist, or with an aggregation the metric does not offer (`Total` on the ML
endpoints' `RequestsPerMinute`, which offers only `Average`), is refused before Azure sees it.
Rows are copied from Microsoft's generated "Supported metrics" reference, read on 2026-12-01.
"""

from __future__ import annotations

from typing import NamedTuple

SOURCE = "https://learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/"
READ = "2026-12-01"


class MetricInfo(NamedTuple):
    aggregations: tuple[str, ...]
    unit: str


_ML = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
_AI = "Microsoft.CognitiveServices/accounts"
_KV = "Microsoft.KeyVault/vaults"
_APIM = "Microsoft.ApiManagement/service"
_FW = "Microsoft.Network/azureFirewalls"

SUPPORTED: dict[str, dict[str, MetricInfo]] = {
    # microsoft-machinelearningservices-workspaces-onlineendpoints-metrics (MicrosoftDocs/azure-reference-other)
    _ML: {
        "ConnectionsActive": MetricInfo(("Average",), "Count"),
        "DataCollectionErrorsPerMinute": MetricInfo(("Minimum", "Maximum", "Average"), "Count"),
        "DataCollectionEventsPerMinute": MetricInfo(("Minimum", "Maximum", "Average"), "Count"),
        "NetworkBytes": MetricInfo(("Average",), "BytesPerSecond"),
        "NewConnectionsPerSecond": MetricInfo(("Average",), "CountPerSecond"),
        "RequestLatency": MetricInfo(("Average",), "Milliseconds"),
        "RequestLatency_P50": MetricInfo(("Average",), "Milliseconds"),
        "RequestLatency_P90": MetricInfo(("Average",), "Milliseconds"),
        "RequestLatency_P95": MetricInfo(("Average",), "Milliseconds"),
        "RequestLatency_P99": MetricInfo(("Average",), "Milliseconds"),
        "RequestsPerMinute": MetricInfo(("Average",), "Count"),
    },
    # microsoft-cognitiveservices-accounts-metrics (the Azure OpenAI rows)
    _AI: {
        "ActiveTokens": MetricInfo(("Minimum", "Maximum", "Average", "Total"), "Count"),
        "AzureOpenAIRequests": MetricInfo(("Total",), "Count"),
        "AzureOpenAITimeToResponse": MetricInfo(("Minimum", "Maximum", "Average"), "MilliSeconds"),
        "AzureOpenAIProvisionedManagedUtilizationV2": MetricInfo(("Minimum", "Maximum", "Average"), "Percent"),
        "GeneratedTokens": MetricInfo(("Total",), "Count"),
        "ProcessedPromptTokens": MetricInfo(("Total",), "Count"),
        "RAIHarmfulRequests": MetricInfo(("Total",), "Count"),
        "RAIRejectedRequests": MetricInfo(("Total",), "Count"),
        "TokenTransaction": MetricInfo(("Total",), "Count"),
    },
    # microsoft-keyvault-vaults-metrics
    _KV: {
        "Availability": MetricInfo(("Average",), "Percent"),
        "SaturationShoebox": MetricInfo(("Average",), "Percent"),
        "ServiceApiHit": MetricInfo(("Count",), "Count"),
        "ServiceApiLatency": MetricInfo(("Average",), "MilliSeconds"),
        "ServiceApiResult": MetricInfo(("Count",), "Count"),
    },
    # microsoft-apimanagement-service-metrics (the gateway)
    _APIM: {
        "BackendDuration": MetricInfo(("Average", "Maximum", "Minimum"), "MilliSeconds"),
        "Capacity": MetricInfo(("Average", "Maximum"), "Percent"),
        "Duration": MetricInfo(("Average", "Maximum", "Minimum"), "MilliSeconds"),
        "Requests": MetricInfo(("Total", "Maximum", "Minimum"), "Count"),
    },
    # microsoft-network-azurefirewalls-metrics (egress)
    _FW: {
        "ApplicationRuleHit": MetricInfo(("Total",), "Count"),
        "DataProcessed": MetricInfo(("Total",), "Bytes"),
        "FirewallHealth": MetricInfo(("Average",), "Percent"),
        "FirewallLatencyPng": MetricInfo(("Average",), "Milliseconds"),
        "NetworkRuleHit": MetricInfo(("Total",), "Count"),
        "SNATPortUtilization": MetricInfo(("Average", "Maximum"), "Percent"),
    },
}


def metric_problem(namespace: str | None, metric: str, aggregation: str) -> str | None:
    """Why an alert on (namespace, metric, aggregation) would be wrong; None when the table supports it."""
    if not namespace:
        return f"metric {metric}: name its metric_namespace (one of {sorted(SUPPORTED)}) so it can be checked"
    table = next((rows for ns, rows in SUPPORTED.items() if ns.lower() == namespace.lower()), None)
    if table is None:
        return f"metric namespace {namespace} is not in the supported-metrics table (components/monitor_metrics.py): add its rows with their source"
    info = table.get(metric)
    if info is None:
        return f"{namespace} has no metric {metric} (known: {', '.join(sorted(table))})"
    if aggregation not in info.aggregations:
        return f"{namespace} {metric} supports {'/'.join(info.aggregations)}, not {aggregation} (source: {SOURCE}, read {READ})"
    return None
