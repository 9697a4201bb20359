"""The AI gateway's alerts: server errors, throttling, latency and capacity (API Management's platform metrics
Requests, Duration and Capacity; see docs/gateway.md)."""

from __future__ import annotations

import pulumi

from llmops_infra.components.alerts import metric_alert

APIM_NAMESPACE = "Microsoft.ApiManagement/service"


def gateway_alerts(
    name: str,
    *,
    service_id: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    action_group_id: pulumi.Input[str],
    parent: pulumi.Resource,
) -> None:
    target = {
        "resource_group_name": resource_group_name,
        "scopes": [service_id],
        "metric_namespace": APIM_NAMESPACE,
        "action_group_id": action_group_id,
        "parent": parent,
    }
    metric_alert(
        f"{name}-5xx",
        metric_name="Requests",
        aggregation="Total",
        threshold=10,
        dimensions=[("GatewayResponseCodeCategory", "Include", ["5xx"])],
        severity=1,
        description="More than 10 server errors in 5 minutes at the AI gateway: a model backend is failing.",
        **target,  # type: ignore[arg-type]  # keys as metric_alert takes them
    )
    metric_alert(
        f"{name}-throttled",
        metric_name="Requests",
        aggregation="Total",
        threshold=50,
        dimensions=[("GatewayResponseCode", "Include", ["429"])],
        severity=2,
        description="More than 50 throttled calls in 5 minutes: a team hits its token limit or a backend its quota.",
        **target,  # type: ignore[arg-type]  # keys as metric_alert takes them
    )
    metric_alert(
        f"{name}-latency",
        metric_name="Duration",
        aggregation="Average",
        threshold=30000,
        severity=2,
        description="Average gateway duration above 30 s: model backends are slow.",
        **target,  # type: ignore[arg-type]  # keys as metric_alert takes them
    )
    metric_alert(
        f"{name}-capacity",
        metric_name="Capacity",
        aggregation="Average",
        threshold=80,
        severity=2,
        description="Gateway capacity above 80 %: add units.",
        **target,  # type: ignore[arg-type]  # keys as metric_alert takes them
    )
