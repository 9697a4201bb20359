"""Azure ML rules (ML-01 … ML-03): private workspaces, token-authenticated private endpoints,
isolated and capped online deployments.

Workspace keeps settings at the top level; OnlineEndpoint and OnlineDeployment in `properties`.
"""

from __future__ import annotations

from pulumi_policy import ResourceValidationArgs, Severity

from llmops_infra.policies.framework import Params, Report, expect, get, resource_rule, same

WORKSPACE = "azure-native:machinelearningservices:Workspace"
ONLINE_ENDPOINT = "azure-native:machinelearningservices:OnlineEndpoint"
ONLINE_DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"


@resource_rule(
    "ML-01",
    "private-workspace",
    scope="P",
    severity=Severity.HIGH,
    types=[WORKSPACE],
    description="ML workspaces are private, with a managed network that allows only approved outbound.",
    remediation="Set publicNetworkAccess: Disabled and managedNetwork.isolationMode: AllowOnlyApprovedOutbound.",
)
def ml_workspace(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    expect(
        args.props,
        report,
        ("publicNetworkAccess", ("Disabled",), "The workspace is reachable from public networks."),
        (
            "managedNetwork.isolationMode",
            ("AllowOnlyApprovedOutbound",),
            "The managed network does not restrict outbound traffic to approved destinations.",
        ),
    )


@resource_rule(
    "ML-02",
    "endpoint-token-auth",
    scope="P",
    severity=Severity.HIGH,
    types=[ONLINE_ENDPOINT],
    description="Online endpoints use Entra tokens (AADToken/AMLToken), not keys, and are private.",
    remediation="Set properties.authMode: AADToken and properties.publicNetworkAccess: Disabled.",
)
def ml_endpoint(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    mode = get(args.props, "properties.authMode")
    if not same(mode, "AADToken", "AMLToken"):
        report(f"The endpoint authenticates with {mode or 'keys (default)'}: keys are shared and unaudited.")
    if not same(get(args.props, "properties.publicNetworkAccess"), "Disabled"):
        report("The endpoint is reachable from public networks.")


@resource_rule(
    "ML-03",
    "deployment-isolation",
    scope="A",
    severity=Severity.MEDIUM,
    types=[ONLINE_DEPLOYMENT],
    params=["allowed_ml_instance_types", "max_ml_instances"],
    description="Online deployments: no public egress, App Insights on, an allowed instance type, "
    "within the instance cap.",
    remediation="Set properties.egressPublicNetworkAccess: Disabled, appInsightsEnabled: true, an "
    "instance type from ml.allowed_instance_types and sku.capacity within ml.max_instances.",
)
def ml_deployment(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if not same(get(args.props, "properties.egressPublicNetworkAccess"), "Disabled"):
        report("The deployment may send traffic to the internet.")
    if get(args.props, "properties.appInsightsEnabled") is not True:
        report("Application Insights is off: requests and failures go unobserved.")
    allowed = {str(s).lower() for s in params["allowed_ml_instance_types"]}
    kind = get(args.props, "properties.endpointComputeType", "Managed")
    instance = get(args.props, "properties.instanceType")
    if same(kind, "Managed") and str(instance).lower() not in allowed:
        report(
            f"Instance type {instance} is not on the allow-list "
            f"({', '.join(params['allowed_ml_instance_types']) or 'empty'})."
        )
    capacity = get(args.props, "sku.capacity", 1)
    if isinstance(capacity, (int, float)) and capacity > params["max_ml_instances"]:
        report(f"The deployment runs {capacity} instances; the cap is {params['max_ml_instances']}.")
