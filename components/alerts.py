"""Metric alerts wired to the estate's action group: one call per signal worth waking for.

`metric_alert(...)` is the one way the estate makes a metric alert. A dimension filter narrows
the metric to some of its series: `dimensions=[("statusCodeClass", "Include", ["5xx"])]`
counts server errors only, `[("ModelDeploymentName", "Include", ["gpt-4o"])]` one deployment.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypedDict

import pulumi
from pulumi_azure_native import monitor

from llmops_infra.components.monitor_metrics import metric_problem

Operator = Literal["GreaterThan", "GreaterThanOrEqual", "LessThan", "LessThanOrEqual", "Equals"]
Aggregation = Literal["Average", "Minimum", "Maximum", "Total", "Count"]
DimensionOperator = Literal["Include", "Exclude"]
Dimension = tuple[str, DimensionOperator, Sequence[str]]
"""(dimension name, Include or Exclude, values): one filter of a metric's series."""


class AlertTarget(TypedDict):
    """What the alerts on one resource share: `metric_alert(name, metric_name=..., **target)`."""

    resource_group_name: pulumi.Input[str]
    scopes: list[pulumi.Input[str]]
    metric_namespace: str
    window_size: str
    evaluation_frequency: str
    action_group_id: pulumi.Input[str]
    parent: pulumi.Resource


def metric_alert(
    name: str,
    *,
    resource_group_name: pulumi.Input[str],
    scopes: list[pulumi.Input[str]],
    metric_name: str,
    threshold: float,
    action_group_id: pulumi.Input[str],
    parent: pulumi.Resource,
    operator: Operator = "GreaterThan",
    aggregation: Aggregation = "Average",
    metric_namespace: str | None = None,
    severity: int = 2,
    window_size: str = "PT5M",
    evaluation_frequency: str = "PT1M",
    description: str = "",
    rule_name: str | None = None,
    dimensions: Sequence[Dimension] = (),
) -> monitor.MetricAlert:
    """A static-threshold alert on one metric of one resource, notifying `action_group_id`.

    `name` is the logical name (and, without `rule_name`, the Azure name). Severity 0 is
    critical, 4 verbose. The alert resolves itself when the metric recovers. `dimensions`
    filters the metric's series (all filters apply); default: the metric over all series.
    """
    if len(scopes) != 1:
        raise ValueError(f"alert {name}: a single-resource metric alert needs exactly one scope, got {len(scopes)}")
    problem = metric_problem(metric_namespace, metric_name, aggregation)
    if problem:
        raise ValueError(f"alert {name}: {problem}")
    if not 0 <= severity <= 4:
        raise ValueError(f"alert {name}: severity {severity} must be 0 (critical) to 4 (verbose)")
    for dim_name, dim_operator, values in dimensions:
        if dim_operator not in ("Include", "Exclude"):
            raise ValueError(f"alert {name}: dimension {dim_name} operator {dim_operator!r} must be Include or Exclude")
        if not values:
            raise ValueError(
                f"alert {name}: dimension {dim_name} has no values: name the values to "
                f"{dim_operator.lower()}, or drop the filter"
            )
    return monitor.MetricAlert(
        name,
        rule_name=rule_name or name,
        resource_group_name=resource_group_name,
        location="global",
        description=description or f"{metric_name} {operator} {threshold}",
        severity=severity,
        enabled=True,
        auto_mitigate=True,
        scopes=scopes,
        window_size=window_size,
        evaluation_frequency=evaluation_frequency,
        criteria=monitor.MetricAlertSingleResourceMultipleMetricCriteriaArgs(
            odata_type="Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
            all_of=[
                monitor.MetricCriteriaArgs(
                    criterion_type="StaticThresholdCriterion",
                    name=metric_name.replace("/", "-")[:64],
                    metric_name=metric_name,
                    metric_namespace=metric_namespace,
                    operator=operator,
                    threshold=threshold,
                    time_aggregation=aggregation,
                    dimensions=[
                        monitor.MetricDimensionArgs(name=n, operator=o, values=[str(v) for v in values])
                        for n, o, values in dimensions
                    ]
                    or None,
                )
            ],
        ),
        actions=[monitor.MetricAlertActionArgs(action_group_id=action_group_id)],
        opts=pulumi.ResourceOptions(parent=parent),
    )
