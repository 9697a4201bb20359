"""Prometheus alert rules for the GPU cluster, evaluated by Azure Monitor on managed Prometheus.

The rules read what the cluster already exports: DCGM metrics from the GPU runtime and vLLM's
own metrics from each inference service. Each alert notifies the estate's action group.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import alertsmanagement


@dataclass(frozen=True)
class GpuAlert:
    alert: str
    expression: str
    duration: str
    severity: int
    summary: str


GPU_ALERTS: tuple[GpuAlert, ...] = (
    GpuAlert(
        "GpuSaturated",
        "avg by (Hostname) (DCGM_FI_DEV_GPU_UTIL) > 90",
        "PT15M",
        2,
        "GPU utilisation above 90 % for 15 minutes: add replicas or raise the pool's max_nodes.",
    ),
    GpuAlert(
        "GpuMemoryNearlyFull",
        "max by (Hostname) (DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE)) > 0.95",
        "PT10M",
        2,
        "GPU memory above 95 %: requests may fail with out-of-memory errors.",
    ),
    GpuAlert(
        "GpuXidErrors",
        "max by (Hostname) (DCGM_FI_DEV_XID_ERRORS) > 0",
        "PT5M",
        1,
        "The GPU driver reported an Xid error: the node may need to be drained.",
    ),
    GpuAlert(
        "InferenceQueueBacklog",
        "sum by (namespace) (vllm:num_requests_waiting) > 20",
        "PT10M",
        2,
        "More than 20 requests waiting: the service is saturated at its replica ceiling.",
    ),
)


def gpu_alert_rules(
    name: str,
    *,
    cluster_name: str,
    cluster_id: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    monitor_workspace_id: pulumi.Input[str],
    action_group_id: pulumi.Input[str],
    parent: pulumi.Resource,
) -> alertsmanagement.PrometheusRuleGroup:
    """A rule group scoped to the cluster's metrics in the Azure Monitor workspace."""
    return alertsmanagement.PrometheusRuleGroup(
        f"{name}-gpu-alerts",
        rule_group_name=f"prom-gpu-{cluster_name}"[:260],
        resource_group_name=resource_group_name,
        cluster_name=cluster_name,
        scopes=[monitor_workspace_id, cluster_id],
        description="GPU saturation, GPU memory, Xid errors and inference queue backlog.",
        enabled=True,
        interval="PT1M",
        rules=[
            alertsmanagement.PrometheusRuleArgs(
                alert=rule.alert,
                expression=rule.expression,
                for_=rule.duration,
                severity=rule.severity,
                enabled=True,
                annotations={"summary": rule.summary},
                actions=[alertsmanagement.PrometheusRuleGroupActionArgs(action_group_id=action_group_id)],
                resolve_configuration=alertsmanagement.PrometheusRuleResolveConfigurationArgs(
                    auto_resolved=True, time_to_resolve="PT10M"
                ),
            )
            for rule in GPU_ALERTS
        ],
        tags={},
        opts=pulumi.ResourceOptions(parent=parent),
    )
