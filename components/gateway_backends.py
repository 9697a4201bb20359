"""A gateway backend with the estate's circuit breaker (API Management backends, API 2024-05-01).

Five server errors (5xx) or throttles (429) within a minute open the breaker for a minute, honouring the
backend's Retry-After (learn.microsoft.com/azure/api-management/backends, circuit breaker, read 2026-12-01).
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import apimanagement as apim


def circuit_breaker_backend(
    resource_name: str,
    *,
    backend_id: str,
    service_name: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    url: pulumi.Input[str],
    title: str,
    opts: pulumi.ResourceOptions,
) -> apim.Backend:
    """One HTTP backend at `url` with the circuit breaker."""
    return apim.Backend(
        resource_name,
        backend_id=backend_id,
        service_name=service_name,
        resource_group_name=resource_group_name,
        url=url,
        protocol="http",
        title=title,
        circuit_breaker=apim.BackendCircuitBreakerArgs(
            rules=[
                apim.CircuitBreakerRuleArgs(
                    name="server-errors-and-throttling",
                    failure_condition=apim.CircuitBreakerFailureConditionArgs(
                        count=5,
                        interval="PT1M",
                        status_code_ranges=[
                            apim.FailureStatusCodeRangeArgs(min=429, max=429),
                            apim.FailureStatusCodeRangeArgs(min=500, max=599),
                        ],
                    ),
                    trip_duration="PT1M",
                    accept_retry_after=True,
                )
            ]
        ),
        opts=opts,
    )
