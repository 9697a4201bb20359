"""Azure ML: a private workspace and managed online endpoints that serve prompt flows blue/green.

Flow reference: a deployment slot serves flow version `flow_version` of its endpoint as two
workspace assets that the flow's publishing pipeline registers before `up`:
model `<endpoint>-flow` and environment `<endpoint>-flow-env`, both at version `flow_version`.
The deployment points at them by ARM id (`<workspace id>/models/<endpoint>-flow/versions/<v>`),
the form the ARM API takes (the `azureml:name:version` shorthand is resolved by the CLI only).

Identity: each endpoint has a system-assigned identity. Azure ML grants it what it needs to
pull the model and image from the workspace's storage and registry; this component grants it
"Cognitive Services OpenAI User" on the OpenAI account (flows call the models) and
"Cognitive Services User" on the Content Safety account (flows screen text), each scoped to
that one account. The managed network only lets flows out through private endpoints to
those two accounts (AllowOnlyApprovedOutbound).

Blue/green: see `live_traffic`. A rollout is two updates: add the green slot at 0 %, then
move traffic; retiring a slot is the reverse (0 %, then remove it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import machinelearningservices as ml
from pulumi_azure_native import monitor

from llmops_infra.components.alerts import metric_alert
from llmops_infra.components.diagnostics import diagnostic_setting
from llmops_infra.components.private_endpoint import PrivateEndpoint, PrivateEndpointArgs
from llmops_infra.components.roles import RoleGrant, assign_role

ENDPOINT_NAMESPACE = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
PRIVATE_LINK_GROUP = "amlworkspace"


@dataclass(frozen=True, kw_only=True)
class FlowSlot:
    """One deployment (blue, green) of an endpoint."""

    name: str
    flow_version: str
    instance_type: str
    instance_count: int
    traffic_percent: int


@dataclass(frozen=True, kw_only=True)
class FlowEndpoint:
    """A managed online endpoint and its slots."""

    key: str
    """Name in the configuration (logical names, asset names)."""
    endpoint_name: str
    """Azure name: unique in the region (from the Namer's "ml_online_endpoint")."""
    slots: list[FlowSlot]


@dataclass(frozen=True, kw_only=True)
class MlEndpointsArgs:
    resource_group_name: pulumi.Input[str]
    location: pulumi.Input[str]
    workspace_name: str
    subscription_id: str
    key_vault_id: pulumi.Input[str]
    storage_account_id: pulumi.Input[str]
    container_registry_id: pulumi.Input[str]
    app_insights_id: pulumi.Input[str]
    log_analytics_workspace_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    """Subnet of the workspace's private endpoint."""
    dns_zone_ids: list[pulumi.Input[str]]
    """privatelink.api.azureml.ms and privatelink.notebooks.azure.net."""
    allowed_instance_types: list[str]
    max_instances: int
    """Cap on instances per deployment."""
    endpoints: list[FlowEndpoint] = field(default_factory=list)
    openai_account_id: pulumi.Input[str] | None = None
    """Default: endpoints get no OpenAI access and no outbound rule to it."""
    content_safety_account_id: pulumi.Input[str] | None = None
    """Default: endpoints get no Content Safety access and no outbound rule to it."""
    action_group_id: pulumi.Input[str] | None = None
    """Where latency and error alerts go. Default: no alerts (tests only)."""
    allow_public_network_access: bool = False
    """Dangerous. Default: the workspace and endpoints are reachable only privately."""
    private_endpoint_name: str | None = None
    """Azure name of the workspace's private endpoint; default: `pep-<workspace name>`."""
    latency_threshold_ms: float = 5_000
    error_threshold: float = 5
    """5xx responses per 15 minutes that raise an alert."""

    def __post_init__(self) -> None:
        if not self.dns_zone_ids:
            raise ValueError("ml workspace: dns_zone_ids is empty: pass the api.azureml.ms and notebooks zones")
        names = [e.key for e in self.endpoints]
        if len(set(names)) != len(names):
            raise ValueError(f"ml endpoints: names {names} repeat: endpoint names must be unique")
        for ep in self.endpoints:
            if not ep.slots:
                raise ValueError(f"ml endpoint {ep.key}: no deployments: add a blue deployment")
            total = sum(s.traffic_percent for s in ep.slots)
            if total not in (0, 100):
                raise ValueError(f"ml endpoint {ep.key}: traffic_percent sums to {total}: the split must sum to 100 "
                                 "(or to 0 for a new endpoint's first rollout)")
            for slot in ep.slots:
                where = f"ml endpoint {ep.key}.{slot.name}"
                if slot.instance_type not in self.allowed_instance_types:
                    raise ValueError(f"{where}: instance_type {slot.instance_type} is not in allowed_instance_types "
                                     f"{self.allowed_instance_types}")
                if not 1 <= slot.instance_count <= self.max_instances:
                    raise ValueError(f"{where}: instance_count {slot.instance_count} is outside 1-{self.max_instances} "
                                     "(max_instances)")


class MlEndpoints(pulumi.ComponentResource):
    """An Azure ML workspace (private, managed network) with blue/green online endpoints.

    Children: the workspace, its private endpoint and diagnostics; per endpoint: the endpoint,
    its deployments (each after the previous), diagnostics, role assignments and alerts.
    """

    workspace_id: pulumi.Output[str]
    workspace_name: pulumi.Output[str]
    scoring_uris: dict[str, pulumi.Output[str]]
    """Endpoint key -> scoring URI (plain dict of Outputs)."""
    endpoint_principal_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: MlEndpointsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:ai:MlEndpoints", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        public = "Enabled" if args.allow_public_network_access else "Disabled"
        workspace = ml.Workspace(
            f"{name}-workspace",
            workspace_name=args.workspace_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind="Default",
            sku=ml.SkuArgs(name="Basic", tier="Basic"),
            identity=ml.ManagedServiceIdentityArgs(type="SystemAssigned"),
            public_network_access=public,
            allow_public_access_when_behind_vnet=False,
            managed_network=ml.ManagedNetworkSettingsArgs(
                isolation_mode="AllowOnlyApprovedOutbound",
                outbound_rules=_outbound_rules(args) or None,
            ),
            key_vault=args.key_vault_id,
            storage_account=args.storage_account_id,
            container_registry=args.container_registry_id,
            application_insights=args.app_insights_id,
            # The estate's storage refuses shared keys: datastores authenticate with identities.
            system_datastores_auth_mode="Identity",
            v1_legacy_mode=False,
            opts=child,
        )
        PrivateEndpoint(
            f"{name}-pe",
            PrivateEndpointArgs(
                resource_group_name=args.resource_group_name,
                subnet_id=args.subnet_id,
                target_resource_id=workspace.id,
                group_id=PRIVATE_LINK_GROUP,
                dns_zone_ids=args.dns_zone_ids,
                endpoint_name=args.private_endpoint_name or f"pep-{args.workspace_name}",
            ),
            opts=child,
        )
        diagnostic_setting(name, resource_id=workspace.id, workspace_id=args.log_analytics_workspace_id, parent=self)
        self.scoring_uris = {}
        self.endpoint_principal_ids = {}
        for ep in args.endpoints:
            endpoint = self._endpoint(name, args, workspace, ep, public)
            self.scoring_uris[ep.key] = endpoint.properties.apply(lambda p: p.scoring_uri)
            self.endpoint_principal_ids[ep.key] = endpoint.identity.apply(lambda i: i.principal_id if i else "")
        self.workspace_id = workspace.id
        self.workspace_name = workspace.name
        self.register_outputs({"workspace_id": self.workspace_id, "scoring_uris": self.scoring_uris})

    def _endpoint(self, name: str, args: MlEndpointsArgs, workspace: ml.Workspace, ep: FlowEndpoint,
                  public: str) -> ml.OnlineEndpoint:
        base = f"{name}-{ep.key}"
        endpoint = ml.OnlineEndpoint(
            f"{base}-endpoint",
            endpoint_name=ep.endpoint_name,
            workspace_name=workspace.name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            identity=ml.ManagedServiceIdentityArgs(type="SystemAssigned"),
            properties=ml.OnlineEndpointPropertiesArgs(
                auth_mode="AADToken",
                public_network_access=public,
                traffic=live_traffic(ep.slots),
                description=f"Prompt flow {ep.key}",
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        previous: list[pulumi.Resource] = []
        for slot in ep.slots:
            asset = f"{ep.key}-flow"
            deployment = ml.OnlineDeployment(
                f"{base}-{slot.name}",
                deployment_name=slot.name,
                endpoint_name=endpoint.name,
                workspace_name=workspace.name,
                resource_group_name=args.resource_group_name,
                location=args.location,
                sku=ml.SkuArgs(name="Default", capacity=slot.instance_count),
                properties=ml.ManagedOnlineDeploymentArgs(
                    endpoint_compute_type="Managed",
                    instance_type=slot.instance_type,
                    scale_settings=ml.DefaultScaleSettingsArgs(scale_type="Default"),
                    egress_public_network_access="Disabled",
                    app_insights_enabled=True,
                    model=workspace.id.apply(lambda ws, a=asset, v=slot.flow_version: f"{ws}/models/{a}/versions/{v}"),
                    environment_id=workspace.id.apply(
                        lambda ws, a=asset, v=slot.flow_version: f"{ws}/environments/{a}-env/versions/{v}"),
                    environment_variables={"PROMPTFLOW_RUN_MODE": "serving"},
                    description=f"{ep.key} flow {slot.flow_version} ({slot.name})",
                ),
                # One deployment operation at a time per endpoint: Azure ML rejects concurrent ones.
                opts=pulumi.ResourceOptions(parent=self, depends_on=previous[-1:]),
            )
            previous.append(deployment)
        diagnostic_setting(base, resource_id=endpoint.id, workspace_id=args.log_analytics_workspace_id, parent=self)
        principal = endpoint.identity.apply(lambda i: i.principal_id if i else "")
        grants = [("openai", args.openai_account_id, "Cognitive Services OpenAI User"),
                  ("content-safety", args.content_safety_account_id, "Cognitive Services User")]
        for target, scope, role in grants:
            if scope is None:
                continue
            assign_role(f"{base}-{target}-user",
                        RoleGrant(principal_id=principal, role=role, scope=scope,
                                  description=f"online endpoint {ep.key} calls {target}"),
                        subscription_id=args.subscription_id, parent=self)
        if args.action_group_id is not None:
            _alerts(base, args, ep, endpoint.id, args.action_group_id, parent=self)
        return endpoint


def live_traffic(slots: list[FlowSlot]) -> dict[str, int]:
    """The endpoint's traffic map: slots that receive traffic; slots at 0 % are left out.

    Azure refuses an endpoint whose traffic names a deployment that does not exist, and the
    endpoint is updated before its new deployments are created. So a slot joins at 0 %
    (created, not in the map), and traffic moves to it in the next update; a new endpoint's
    first rollout has every slot at 0 (empty map), then the split is set.
    """
    return {slot.name: slot.traffic_percent for slot in slots if slot.traffic_percent > 0}


def _outbound_rules(args: MlEndpointsArgs) -> dict[str, ml.PrivateEndpointOutboundRuleArgs]:
    """Private-endpoint outbound rules from the managed network to the AI accounts flows call."""
    targets = {"openai": args.openai_account_id, "content-safety": args.content_safety_account_id}
    return {
        f"pe-{key}": ml.PrivateEndpointOutboundRuleArgs(
            type="PrivateEndpoint",
            category="UserDefined",
            destination=ml.PrivateEndpointDestinationArgs(service_resource_id=rid, subresource_target="account",
                                                          spark_enabled=False),
        )
        for key, rid in targets.items() if rid is not None
    }


def _alerts(base: str, args: MlEndpointsArgs, ep: FlowEndpoint, endpoint_id: pulumi.Input[str],
            action_group_id: pulumi.Input[str], parent: pulumi.Resource) -> None:
    """P99 latency (`RequestLatency_P99`, ms) and 5xx responses (`RequestsPerMinute` filtered
    on dimension `statusCodeClass` = 5xx) of one online endpoint."""
    metric_alert(f"{base}-alert-latency", rule_name=f"alrt-{ep.endpoint_name}-latency",
                 resource_group_name=args.resource_group_name, scopes=[endpoint_id],
                 metric_name="RequestLatency_P99", metric_namespace=ENDPOINT_NAMESPACE, aggregation="Average",
                 threshold=args.latency_threshold_ms, window_size="PT15M", evaluation_frequency="PT5M",
                 description=f"{ep.key}: P99 request latency above {args.latency_threshold_ms:g} ms",
                 action_group_id=action_group_id, parent=parent)
    # Written here, not with alerts.metric_alert: the error count needs a dimension filter.
    monitor.MetricAlert(
        f"{base}-alert-errors",
        rule_name=f"alrt-{ep.endpoint_name}-errors",
        resource_group_name=args.resource_group_name,
        location="global",
        description=f"{ep.key}: more than {args.error_threshold:g} server errors (5xx) in 15 minutes",
        severity=1,
        enabled=True,
        auto_mitigate=True,
        scopes=[endpoint_id],
        window_size="PT15M",
        evaluation_frequency="PT5M",
        criteria=monitor.MetricAlertSingleResourceMultipleMetricCriteriaArgs(
            odata_type="Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria",
            all_of=[monitor.MetricCriteriaArgs(
                criterion_type="StaticThresholdCriterion",
                name="RequestsPerMinute-5xx",
                metric_name="RequestsPerMinute",
                metric_namespace=ENDPOINT_NAMESPACE,
                operator="GreaterThan",
                threshold=args.error_threshold,
                time_aggregation="Total",
                dimensions=[monitor.MetricDimensionArgs(name="statusCodeClass", operator="Include", values=["5xx"])],
            )],
        ),
        actions=[monitor.MetricAlertActionArgs(action_group_id=action_group_id)],
        opts=pulumi.ResourceOptions(parent=parent),
    )
