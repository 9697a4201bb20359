"""Azure ML: a private workspace and the managed online endpoints that serve prompt flows.

This is the platform's half (Azure resources that change rarely): the workspace, its private
endpoint and diagnostics, and per endpoint the `OnlineEndpoint`, its diagnostics, role grants
and alerts. What an endpoint serves (model and environment versions, the blue/green
deployments and the traffic split) is the workload stack's `MlDeployments`
(components/ml_deployments.py): it runs after the bootstrap has imported the flow image, and it
registers each version before a deployment references it, so a first `up` never points at an
unregistered version.

Identity: each endpoint has a system-assigned identity. Azure ML grants it what it needs to
pull the model and image from the workspace's storage and registry; this component grants it
"Cognitive Services OpenAI User" on the OpenAI account (flows call the models) and
"Cognitive Services User" on the Content Safety account (flows screen text), each scoped to
that one account. The managed network only lets flows out through private endpoints to
those two accounts (AllowOnlyApprovedOutbound).

Traffic: Azure refuses an endpoint whose traffic map names a deployment that does not exist
yet, so the endpoint is created WITHOUT traffic and with `ignore_changes=["properties.traffic"]`;
the workload stack PUTs the same endpoint with its traffic through an ARM template after every
slot exists. Both declare the endpoint from one `EndpointShape` (`endpoint_shape`), so they
cannot disagree: an input that updates the endpoint here changes the template there, which
runs again in the same `up` (the workload stack runs after this one) and restores the map.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import pulumi
from pulumi_azure_native import machinelearningservices as ml

from llmops_infra.components.alerts import AlertTarget, metric_alert
from llmops_infra.components.diagnostics import diagnostic_setting
from llmops_infra.components.private_service import PrivateServiceArgs, make_private
from llmops_infra.components.roles import RoleGrant, assign_role

ENDPOINT_NAMESPACE = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
ENDPOINT_API_VERSION = "2025-12-01"
"""The API version the installed SDK's `OnlineEndpoint` uses: the template PUTs the same shape."""
ENDPOINT_KIND = "Managed"
PRIVATE_LINK_GROUP = "amlworkspace"
TEMPLATE_SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
MAX_REQUEST_TIMEOUT_S = 180
"""request_timeout_ms allows at most 180000 (learn.microsoft.com/azure/machine-learning/
reference-yaml-deployment-managed-online, RequestSettings, read 2026-12-01)."""


@dataclass(frozen=True, kw_only=True)
class FlowSlot:
    """One deployment (blue, green) of an endpoint."""

    name: str
    flow_version: str
    instance_type: str
    instance_count: int
    traffic_percent: int
    request_timeout_seconds: int = 90
    """Scoring timeout, at most 180 s. Default: 90 s (Azure's own default, 5 s, is too short for flows that
    call a model)."""
    workers: int = 4
    """Serving processes per instance (PROMPTFLOW_WORKER_NUM). Default: 4."""
    worker_threads: int = 1
    """Threads per process (PROMPTFLOW_WORKER_THREADS). Default: 1."""

    @property
    def max_concurrent_requests(self) -> int:
        """What one instance serves at once: Azure admits as many (its default is 1)."""
        return self.workers * self.worker_threads


@dataclass(frozen=True, kw_only=True)
class FlowEndpoint:
    """A managed online endpoint and its slots."""

    key: str
    """Name in the configuration (logical names, asset names)."""
    endpoint_name: str
    """Azure name: unique in the region (from the Namer's "ml_online_endpoint")."""
    slots: list[FlowSlot]


@dataclass(frozen=True, kw_only=True)
class MlEndpointsArgs(PrivateServiceArgs):
    """Placement of the workspace (`PrivateServiceArgs`), its linked resources, endpoints, callees.

    `allow_public_network_access` (dangerous) opens the workspace and its online endpoints alike;
    deployments never get public egress.
    """

    service: ClassVar[str] = "ml workspace"
    zones: ClassVar[str] = "privatelink.api.azureml.ms and privatelink.notebooks.azure.net"

    workspace_name: str
    subscription_id: str
    key_vault_id: pulumi.Input[str]
    storage_account_id: pulumi.Input[str]
    container_registry_id: pulumi.Input[str]
    app_insights_id: pulumi.Input[str]
    allowed_instance_types: list[str]
    max_instances: int
    """Cap on instances per deployment."""
    endpoints: list[FlowEndpoint] = field(default_factory=list)
    """The online endpoints of the workspace. Default: none, the workspace alone."""
    openai_account_id: pulumi.Input[str] | None = None
    """Default: endpoints get no OpenAI access and no outbound rule to it."""
    content_safety_account_id: pulumi.Input[str] | None = None
    """Default: endpoints get no Content Safety access and no outbound rule to it."""
    action_group_id: pulumi.Input[str] | None = None
    """Where latency and error alerts go. Default: no alerts (tests only)."""
    latency_threshold_ms: float = 5_000
    """P99 request latency (ms) above which an endpoint raises an alert. Default: 5 seconds."""
    error_threshold: float = 1
    """Server errors (5xx) per minute, averaged over 15 minutes, that raise an alert. Default: one a minute."""

    def __post_init__(self) -> None:
        super().__post_init__()
        check_endpoints(self.endpoints, self.allowed_instance_types, self.max_instances)


def check_endpoints(endpoints: list[FlowEndpoint], allowed_instance_types: list[str], max_instances: int) -> None:
    """Refuse endpoints Azure would refuse (or serve wrong), naming the endpoint and slot."""
    names = [e.key for e in endpoints]
    if len(set(names)) != len(names):
        raise ValueError(f"ml endpoints: names {names} repeat: endpoint names must be unique")
    for ep in endpoints:
        if not ep.slots:
            raise ValueError(f"ml endpoint {ep.key}: no deployments: add a blue deployment")
        total = sum(s.traffic_percent for s in ep.slots)
        if total not in (0, 100):
            raise ValueError(
                f"ml endpoint {ep.key}: traffic_percent sums to {total}: the split must sum to 100 "
                "(or to 0 for a new endpoint's first rollout)"
            )
        for slot in ep.slots:
            where = f"ml endpoint {ep.key}.{slot.name}"
            if slot.instance_type not in allowed_instance_types:
                raise ValueError(
                    f"{where}: instance_type {slot.instance_type} is not in allowed_instance_types "
                    f"{allowed_instance_types}"
                )
            if not 1 <= slot.instance_count <= max_instances:
                raise ValueError(
                    f"{where}: instance_count {slot.instance_count} is outside 1-{max_instances} (max_instances)"
                )
            if not 1 <= slot.request_timeout_seconds <= MAX_REQUEST_TIMEOUT_S:
                raise ValueError(
                    f"{where}: request_timeout_seconds {slot.request_timeout_seconds} is outside "
                    f"1-{MAX_REQUEST_TIMEOUT_S} (Azure's limit)"
                )


class MlEndpoints(pulumi.ComponentResource):
    """An Azure ML workspace (private, managed network) with its online endpoints.

    Children: the workspace, its private endpoint and diagnostics; per endpoint: the endpoint
    (no traffic of its own), diagnostics, role assignments and alerts. The deployments and the
    traffic split are `MlDeployments`' (the workload stack).
    """

    workspace_id: pulumi.Output[str]
    workspace_name: pulumi.Output[str]
    scoring_uris: dict[str, pulumi.Output[str]]
    """Endpoint key -> scoring URI (plain dict of Outputs)."""
    endpoint_principal_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: MlEndpointsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:ai:MlEndpoints", name, None, opts)
        public = args.public_network_access
        workspace = ml.Workspace(
            f"{name}-workspace",
            workspace_name=args.workspace_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind="Default",
            sku=ml.SkuArgs(name="Basic", tier=ml.SkuTier.BASIC),
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
            opts=pulumi.ResourceOptions(parent=self),
        )
        make_private(
            name,
            args,
            resource_id=workspace.id,
            group_id=PRIVATE_LINK_GROUP,
            service_name=args.workspace_name,
            parent=self,
        )
        self.scoring_uris = {}
        self.endpoint_principal_ids = {}
        for ep in args.endpoints:
            endpoint = self._endpoint(name, args, workspace, ep, public)
            self.scoring_uris[ep.key] = endpoint.properties.apply(lambda p: p.scoring_uri)
            self.endpoint_principal_ids[ep.key] = endpoint.identity.apply(lambda i: i.principal_id if i else "")
        self.workspace_id = workspace.id
        self.workspace_name = workspace.name
        self.register_outputs({"workspace_id": self.workspace_id, "scoring_uris": self.scoring_uris})

    def _endpoint(
        self, name: str, args: MlEndpointsArgs, workspace: ml.Workspace, ep: FlowEndpoint, public: str
    ) -> ml.OnlineEndpoint:
        base = f"{name}-{ep.key}"
        shape = endpoint_shape(ep, args.location, public)
        endpoint = ml.OnlineEndpoint(
            f"{base}-endpoint",
            endpoint_name=shape.endpoint_name,
            workspace_name=workspace.name,
            resource_group_name=args.resource_group_name,
            location=shape.location,
            kind=shape.kind,
            identity=ml.ManagedServiceIdentityArgs(type=shape.identity_type),
            properties=ml.OnlineEndpointPropertiesArgs(
                auth_mode=shape.auth_mode,
                public_network_access=shape.public_network_access,
                description=shape.description,
            ),
            # The traffic map is the workload stack's template deployment's; the engine leaves it alone.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["properties.traffic"]),
        )
        diagnostic_setting(base, resource_id=endpoint.id, workspace_id=args.log_analytics_workspace_id, parent=self)
        principal = endpoint.identity.apply(lambda i: i.principal_id if i else "")
        grants = [
            ("openai", args.openai_account_id, "Cognitive Services OpenAI User"),
            ("content-safety", args.content_safety_account_id, "Cognitive Services User"),
        ]
        for target, scope, role in grants:
            if scope is None:
                continue
            assign_role(
                f"{base}-{target}-user",
                RoleGrant(
                    principal_id=principal,
                    role=role,
                    scope=scope,
                    description=f"online endpoint {ep.key} calls {target}",
                ),
                subscription_id=args.subscription_id,
                parent=self,
            )
        if args.action_group_id is not None:
            _alerts(base, args, ep, endpoint.id, args.action_group_id, parent=self)
        return endpoint


def endpoint_shape(ep: FlowEndpoint, location: pulumi.Input[str], public_network_access: str) -> EndpointShape:
    """The one declaration of an endpoint both stacks use (its resource here, its traffic template there)."""
    return EndpointShape(
        endpoint_name=ep.endpoint_name,
        location=location,
        auth_mode="AADToken",
        public_network_access=public_network_access,
        description=f"Prompt flow {ep.key}",
    )


@dataclass(frozen=True, kw_only=True)
class EndpointShape:
    """What the `OnlineEndpoint` resource and the traffic template both declare: one source."""

    endpoint_name: str
    location: pulumi.Input[str]
    auth_mode: str
    public_network_access: str
    description: str
    identity_type: str = "SystemAssigned"
    kind: str = ENDPOINT_KIND

    def template(
        self, workspace_name: str, location: str, tags: dict[str, str], traffic: dict[str, int]
    ) -> dict[str, Any]:
        """An ARM template that PUTs this endpoint, as declared, with `traffic` (resolved values)."""
        return {
            "$schema": TEMPLATE_SCHEMA,
            "contentVersion": "1.0.0.0",
            "resources": [
                {
                    "type": ENDPOINT_NAMESPACE,
                    "apiVersion": ENDPOINT_API_VERSION,
                    "name": f"{workspace_name}/{self.endpoint_name}",
                    "location": location,
                    "kind": self.kind,
                    "identity": {"type": self.identity_type},
                    "tags": dict(tags),
                    "properties": {
                        "authMode": self.auth_mode,
                        "publicNetworkAccess": self.public_network_access,
                        "description": self.description,
                        "traffic": dict(traffic),
                    },
                }
            ],
        }


def live_traffic(slots: list[FlowSlot]) -> dict[str, int]:
    """The endpoint's traffic map: slots that receive traffic; slots at 0 % are left out.

    Every slot exists before the template that sets the map runs, but a slot at 0 % has no
    business in the map (Azure lists only the deployments it routes to); a new endpoint's
    dark first rollout (every slot at 0) gets an empty map.
    """
    return {slot.name: slot.traffic_percent for slot in slots if slot.traffic_percent > 0}


def _outbound_rules(args: MlEndpointsArgs) -> dict[str, ml.PrivateEndpointOutboundRuleArgs]:
    """Private-endpoint outbound rules from the managed network to the AI accounts flows call."""
    targets = {"openai": args.openai_account_id, "content-safety": args.content_safety_account_id}
    return {
        f"pe-{key}": ml.PrivateEndpointOutboundRuleArgs(
            type="PrivateEndpoint",
            category="UserDefined",
            destination=ml.PrivateEndpointDestinationArgs(
                service_resource_id=rid, subresource_target="account", spark_enabled=False
            ),
        )
        for key, rid in targets.items()
        if rid is not None
    }


def _alerts(
    base: str,
    args: MlEndpointsArgs,
    ep: FlowEndpoint,
    endpoint_id: pulumi.Input[str],
    action_group_id: pulumi.Input[str],
    parent: pulumi.Resource,
) -> None:
    """P99 latency and server errors of one online endpoint (Azure Monitor platform metrics of
    `Microsoft.MachineLearningServices/workspaces/onlineEndpoints`).

    `RequestLatency_P99`: ms, over all deployments (dimension `deployment` splits it).
    `RequestsPerMinute`: requests per minute (dimensions `deployment`, `statusCode`, `statusCodeClass`,
    `modelStatusCode`), whose only aggregation is Average (components/monitor_metrics.py);
    filtered on `statusCodeClass` = `5xx` it is the server errors per minute.
    """
    common = AlertTarget(
        resource_group_name=args.resource_group_name,
        scopes=[endpoint_id],
        metric_namespace=ENDPOINT_NAMESPACE,
        window_size="PT15M",
        evaluation_frequency="PT5M",
        action_group_id=action_group_id,
        parent=parent,
    )
    metric_alert(
        f"{base}-alert-latency",
        rule_name=f"alrt-{ep.endpoint_name}-latency",
        metric_name="RequestLatency_P99",
        aggregation="Average",
        threshold=args.latency_threshold_ms,
        description=f"{ep.key}: P99 request latency above {args.latency_threshold_ms:g} ms",
        **common,
    )
    metric_alert(
        f"{base}-alert-errors",
        rule_name=f"alrt-{ep.endpoint_name}-errors",
        metric_name="RequestsPerMinute",
        aggregation="Average",
        threshold=args.error_threshold,
        severity=1,
        dimensions=[("statusCodeClass", "Include", ["5xx"])],
        description=f"{ep.key}: more than {args.error_threshold:g} server errors (5xx) per minute over 15 minutes",
        **common,
    )
