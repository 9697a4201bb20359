"""Diagnostic settings: every resource that has logs sends them to Log Analytics."""

from __future__ import annotations

import pulumi
from pulumi_azure_native import monitor


def diagnostic_setting(
    name: str,
    *,
    resource_id: pulumi.Input[str],
    workspace_id: pulumi.Input[str],
    parent: pulumi.Resource,
    logs: bool = True,
    metrics: bool = True,
) -> monitor.DiagnosticSetting:
    """Send `resource_id`'s logs (category group allLogs) and metrics to the workspace.

    `logs=False` is for resource types that only emit metrics (e.g. a storage account itself).
    """
    return monitor.DiagnosticSetting(
        f"{name}-diag",
        name="to-log-analytics",
        resource_uri=resource_id,
        workspace_id=workspace_id,
        log_analytics_destination_type="Dedicated",
        logs=[monitor.DiagnosticsLogSettingsArgs(category_group="allLogs", enabled=True)] if logs else None,
        metrics=[monitor.DiagnosticsMetricSettingsArgs(category="AllMetrics", enabled=True)] if metrics else None,
        opts=pulumi.ResourceOptions(parent=parent),
    )
