"""Azure ML: what the online endpoints serve, the workload stack's half of the prompt-flow estate.

The platform stack creates the workspace and the endpoints (`MlEndpoints`); the bootstrap
imports the flow image into the estate's registry; then this component, per endpoint, in this
order (each resource depends on what it references, so none can point at a missing version):

1. a model version `<endpoint>-flow`:`<flow_version>` for each version a slot serves: the flow's
   folder, `<flow_source>/<endpoint>/<flow_version>`, uploaded by the flow's publishing pipeline
   (`ModelVersion`, type custom_model, with the prompt-flow property the studio reads);
2. one environment version for the flow image, `flow-runtime`:`<12 hex of its digest>`: the image
   in the estate's registry by digest, with prompt flow's serving routes (/health and /score on
   port 8080) (`EnvironmentVersion`). Asset versions are immutable in Azure ML: a new flow is a
   new flow_version, a new image a new digest and so a new environment version;
3. the `OnlineDeployment`s (blue, green ...), each after the previous one (Azure ML rejects
   concurrent deployment operations on an endpoint), with the request settings the config
   sizes and the environment prompt flow needs (`PROMPTFLOW_RUN_MODE=serving`,
   `PRT_CONFIG_OVERRIDE` naming the deployment, "required to use connections from the
   workspace", and the worker counts);
4. an ARM template deployment (mode Incremental) that PUTs the endpoint with its traffic map
   after every slot exists, declared from the same `EndpointShape` as the endpoint itself.

Sources (read 2026-12-01): learn.microsoft.com/azure/machine-learning/prompt-flow/how-to-deploy-to-code
(model properties, the runtime image's routes, PROMPTFLOW_RUN_MODE and PRT_CONFIG_OVERRIDE);
reference-yaml-deployment-managed-online (request settings: timeout default 5000 ms, at most
180000; max concurrent requests per instance default 1); the prompt-flow runtime's start script
(promptflow-python-bundle 0.2.0: PROMPTFLOW_WORKER_NUM default 8, PROMPTFLOW_WORKER_THREADS default 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_azure_native import machinelearningservices as ml
from pulumi_azure_native import resources

from llmops_infra.components.ml_endpoints import FlowEndpoint, FlowSlot, endpoint_shape, live_traffic

FLOW_PORT = 8080
ENVIRONMENT_NAME = "flow-runtime"


@dataclass(frozen=True, kw_only=True)
class MlDeploymentsArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    subscription_id: str
    workspace_name: pulumi.Input[str]
    """The platform stack's workspace (its endpoints exist)."""
    registry_login_server: pulumi.Input[str]
    """The estate's registry, where the bootstrap imported the flow image."""
    flow_image_repository: str
    flow_image_digest: str
    flow_source: str
    """Where the flows' publishing pipelines upload: `<flow_source>/<endpoint>/<flow_version>`."""
    endpoints: list[FlowEndpoint] = field(default_factory=list)
    """The endpoints and the slots they serve. Default: none, only the flow image's environment version."""
    tags: dict[str, str] = field(default_factory=dict)
    """The endpoint's tags, as the platform stack set them (the template PUTs them again). Default: none."""
    allow_public_network_access: bool = False
    """As the platform stack declared the endpoints (the template repeats it). Default: private endpoints."""

    def __post_init__(self) -> None:
        if not self.flow_image_digest.startswith("sha256:") or len(self.flow_image_digest) != 71:
            raise ValueError(
                f"flow image digest {self.flow_image_digest!r} is not sha256:<64 hex>: pin the image by digest"
            )


class MlDeployments(pulumi.ComponentResource):
    """Model and environment versions, blue/green online deployments and the traffic split.

    Children: per endpoint, its model versions, its deployments (each after the previous), its
    traffic template deployment (after all of them); one environment version for the image.
    """

    deployment_ids: dict[str, pulumi.Output[str]]
    """`<endpoint>/<slot>` -> deployment id (plain dict of Outputs)."""

    def __init__(self, name: str, args: MlDeploymentsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:ai:MlDeployments", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        short = args.flow_image_digest.removeprefix("sha256:")[:12]
        environment = ml.EnvironmentVersion(
            f"{name}-env-{short}",
            name=ENVIRONMENT_NAME,
            version=short,
            workspace_name=args.workspace_name,
            resource_group_name=args.resource_group_name,
            properties=ml.EnvironmentVersionPropertiesArgs(
                image=pulumi.Output.concat(
                    args.registry_login_server, "/", args.flow_image_repository, "@", args.flow_image_digest
                ),
                os_type="Linux",
                inference_config=ml.InferenceContainerPropertiesArgs(
                    liveness_route=ml.RouteArgs(path="/health", port=FLOW_PORT),
                    readiness_route=ml.RouteArgs(path="/health", port=FLOW_PORT),
                    scoring_route=ml.RouteArgs(path="/score", port=FLOW_PORT),
                ),
                description=f"Prompt flow runtime {args.flow_image_repository}@{args.flow_image_digest}",
            ),
            opts=child,
        )
        self.deployment_ids = {}
        for ep in args.endpoints:
            self._endpoint(name, args, ep, environment)
        self.register_outputs({"deployment_ids": self.deployment_ids})

    def _endpoint(
        self, name: str, args: MlDeploymentsArgs, ep: FlowEndpoint, environment: ml.EnvironmentVersion
    ) -> None:
        base = f"{name}-{ep.key}"
        models: dict[str, ml.ModelVersion] = {}
        for version in dict.fromkeys(slot.flow_version for slot in ep.slots):
            models[version] = ml.ModelVersion(
                f"{base}-model-{version}",
                name=f"{ep.key}-flow",
                version=version,
                workspace_name=args.workspace_name,
                resource_group_name=args.resource_group_name,
                properties=ml.ModelVersionPropertiesArgs(
                    model_type="custom_model",
                    model_uri=f"{args.flow_source}/{ep.key}/{version}",
                    # The studio's test tab reads this to know the model is a prompt flow.
                    properties={"azureml.promptflow.source_flow_id": ep.key},
                    description=f"Prompt flow {ep.key} {version}",
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        previous: list[pulumi.Resource] = []
        for slot in ep.slots:
            deployment = ml.OnlineDeployment(
                f"{base}-{slot.name}",
                deployment_name=slot.name,
                endpoint_name=ep.endpoint_name,
                workspace_name=args.workspace_name,
                resource_group_name=args.resource_group_name,
                location=args.location,
                sku=ml.SkuArgs(name="Default", capacity=slot.instance_count),
                properties=ml.ManagedOnlineDeploymentArgs(
                    endpoint_compute_type="Managed",
                    instance_type=slot.instance_type,
                    scale_settings=ml.DefaultScaleSettingsArgs(scale_type="Default"),
                    request_settings=ml.OnlineRequestSettingsArgs(
                        request_timeout=f"PT{slot.request_timeout_seconds}S",
                        max_concurrent_requests_per_instance=slot.max_concurrent_requests,
                    ),
                    egress_public_network_access="Disabled",
                    app_insights_enabled=True,
                    model=models[slot.flow_version].id,
                    environment_id=environment.id,
                    environment_variables=flow_environment(args, ep, slot),
                    description=f"{ep.key} flow {slot.flow_version} ({slot.name})",
                ),
                # One deployment operation at a time per endpoint: Azure ML rejects concurrent ones.
                opts=pulumi.ResourceOptions(parent=self, depends_on=previous[-1:]),
            )
            previous.append(deployment)
            self.deployment_ids[f"{ep.key}/{slot.name}"] = deployment.id
        public = "Enabled" if args.allow_public_network_access else "Disabled"
        shape = endpoint_shape(ep, args.location, public)
        traffic, tags = live_traffic(ep.slots), dict(args.tags)

        def declare(values: list[Any]) -> dict[str, Any]:
            return shape.template(str(values[0]), str(values[1]), tags, traffic)

        template = pulumi.Output.all(args.workspace_name, args.location).apply(declare)
        resources.Deployment(
            f"{base}-traffic",
            deployment_name=f"{ep.endpoint_name}-traffic",
            resource_group_name=args.resource_group_name,
            properties=resources.DeploymentPropertiesArgs(mode=resources.DeploymentMode.INCREMENTAL, template=template),
            opts=pulumi.ResourceOptions(parent=self, depends_on=previous),
        )


def flow_environment(args: MlDeploymentsArgs, ep: FlowEndpoint, slot: FlowSlot) -> pulumi.Output[dict[str, str]]:
    """The variables a prompt-flow deployment needs: serving mode, where its connections live
    (`PRT_CONFIG_OVERRIDE`), and how many requests it serves at once."""
    override = pulumi.Output.all(args.resource_group_name, args.workspace_name).apply(
        lambda v: ",".join(
            [
                f"deployment.subscription_id={args.subscription_id}",
                f"deployment.resource_group={v[0]}",
                f"deployment.workspace_name={v[1]}",
                f"deployment.endpoint_name={ep.endpoint_name}",
                f"deployment.deployment_name={slot.name}",
            ]
        )
    )
    return override.apply(
        lambda value: {
            "PROMPTFLOW_RUN_MODE": "serving",
            "PRT_CONFIG_OVERRIDE": value,
            "PROMPTFLOW_WORKER_NUM": str(slot.workers),
            "PROMPTFLOW_WORKER_THREADS": str(slot.worker_threads),
        }
    )
