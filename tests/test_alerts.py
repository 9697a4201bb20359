"""metric_alert: dimension filters (the one way to alert on part of a metric's series)."""

from __future__ import annotations

import pulumi
import pytest
from helpers import SUB, synth

from llmops_infra.components.alerts import metric_alert

SCOPE = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai"


def _criterion(**kwargs) -> dict:
    def program():
        parent = pulumi.ComponentResource("llmops:test:Parent", "parent")
        metric_alert(
            "alert",
            resource_group_name="rg",
            scopes=[SCOPE],
            metric_name="AzureOpenAIRequests",
            threshold=5,
            action_group_id="/ag/id",
            parent=parent,
            aggregation="Total",
            metric_namespace="Microsoft.CognitiveServices/accounts",
            **kwargs,
        )

    plan = synth(program)
    [alert] = plan.of_type("azure-native:monitor:MetricAlert")
    [criterion] = alert.props["criteria"]["allOf"]
    return criterion


def test_dimension_filters_become_criteria_dimensions_in_order():
    criterion = _criterion(
        dimensions=[("StatusCode", "Include", ["500", "503"]), ("ModelDeploymentName", "Exclude", ["mini"])]
    )
    assert criterion["dimensions"] == [
        {"name": "StatusCode", "operator": "Include", "values": ["500", "503"]},
        {"name": "ModelDeploymentName", "operator": "Exclude", "values": ["mini"]},
    ]
    assert (criterion["metricName"], criterion["timeAggregation"], criterion["threshold"]) == (
        "AzureOpenAIRequests",
        "Total",
        5,
    )


def test_without_dimensions_the_whole_metric_is_judged():
    assert "dimensions" not in _criterion()


@pytest.mark.parametrize(
    ("dimension", "message"),
    [
        (("StatusCode", "In", ["500"]), "must be Include or Exclude"),
        (("StatusCode", "Include", []), "has no values"),
    ],
)
def test_bad_dimension_filters_are_rejected(dimension, message):
    with pytest.raises(ValueError, match=message):
        metric_alert(
            "x",
            resource_group_name="rg",
            scopes=[SCOPE],
            metric_name="AzureOpenAIRequests",
            metric_namespace="Microsoft.CognitiveServices/accounts",
            aggregation="Total",
            threshold=1,
            action_group_id="/ag",
            parent=None,
            dimensions=[dimension],
        )


@pytest.mark.parametrize(
    ("namespace", "metric", "aggregation", "message"),
    [
        (
            "Microsoft.MachineLearningServices/workspaces/onlineEndpoints",
            "RequestsPerMinute",
            "Total",
            "RequestsPerMinute supports Average, not Total",
        ),
        ("Microsoft.CognitiveServices/accounts", "Requests", "Total", "has no metric Requests"),
        (None, "Availability", "Average", "name its metric_namespace"),
        ("Microsoft.Web/sites", "Http5xx", "Total", "not in the supported-metrics table"),
    ],
)
def test_alerts_are_checked_against_the_supported_metrics_table(namespace, metric, aggregation, message):
    with pytest.raises(ValueError, match=message):
        metric_alert(
            "x",
            resource_group_name="rg",
            scopes=[SCOPE],
            metric_name=metric,
            metric_namespace=namespace,
            aggregation=aggregation,
            threshold=1,
            action_group_id="/ag",
            parent=None,
        )
