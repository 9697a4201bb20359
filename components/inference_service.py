"""A vLLM inference service on the GPU cluster: one model, one namespace."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from llmops_infra.components import inference_manifests as m
from llmops_infra.components import model_weights as w
from llmops_infra.components.gateway_ingress import GatewayLoadBalancer, gateway_network_policy, gateway_service
from llmops_infra.components.node_pools import GpuPoolSpec
from llmops_infra.components.weights_staging import WeightsStaging, WeightsStagingArgs

SERVICE_ACCOUNT = "vllm"
SKIP_AWAIT = {"pulumi.com/skipAwait": "true"}
"""The Kubernetes provider's opt-out of its readiness await: a selector Service otherwise waits
(10 minutes, then fails) until a ready pod backs it, which a service scaled to zero never has."""


@dataclass(frozen=True, kw_only=True)
class InferenceServiceArgs:
    provider: k8s.Provider
    """The cluster's Kubernetes provider."""
    model: str
    """Hugging Face id (org/name) of the weights, staged into and served from the model storage account."""
    revision: str
    """The hub commit staged and served (40 hex characters)."""
    checkpoint_gb: float
    """Size of the checkpoint's files, GB: sizes the pod's memory, its weights volume and its probes."""
    registry_login_server: pulumi.Input[str]
    """The estate's registry; the images are pulled from it by digest, never by tag."""
    image: str
    image_digest: str
    loader_image: str
    """Repository of the Azure CLI image that copies the weights (stages them, fills each pod)."""
    loader_image_digest: str
    storage_account_name: pulumi.Input[str]
    """The model storage account (reached through its private endpoint)."""
    models_container: pulumi.Input[str]
    """The container that holds the weights (the platform's output)."""
    pool: GpuPoolSpec
    """The GPU pool the replicas run on: its label is selected and its taints tolerated."""
    workload_client_id: pulumi.Input[str]
    """Client id of the inference managed identity (annotated on the service account)."""
    loader_client_id: pulumi.Input[str]
    """Client id of the weights-loader identity that stages the weights (the only writer of the container)."""
    tenant_id: str
    key_vault_name: pulumi.Input[str]
    """Vault holding the API key (and the hub token, when there is one)."""
    api_key_secret: str
    """Key Vault secret with the API key vLLM requires; mounted as a file, never written in a manifest."""
    private_endpoint_cidrs: list[str]
    """Subnets of the private endpoints the pods reach (the storage account's): the only VNet egress."""
    entra_id_cidrs: list[str]
    """Microsoft Entra ID's ranges: the workload identity sign-in of the weights copy."""
    gateway_namespace: str = "gateway"
    """The only namespace whose pods may call the service. Default: the namespace named gateway."""
    prometheus_query_endpoint: pulumi.Input[str]
    """PromQL endpoint of the Azure Monitor workspace that scrapes the service (KEDA reads it)."""
    scaler_client_id: pulumi.Input[str]
    """Client id of the identity KEDA's operator uses to read that workspace (see `KedaAccess`)."""
    gpus_per_replica: int = 1
    """GPUs of each replica (vLLM's tensor parallel size). Default: one GPU a replica."""
    min_replicas: int = 1
    """0 lets KEDA scale to zero when nothing is queued. Default: one replica is always up."""
    max_replicas: int = 2
    """Most replicas KEDA scales out to. Default: two."""
    surge: bool = False
    """The GPU pool has room for one more replica at full scale: roll out with a surge replica. Default: no
    headroom assumed, one replica is replaced at a time (see `rollout_strategy`)."""
    max_model_len: int = 8192
    """vLLM --max-model-len: the longest context (prompt and output tokens) served. Default: 8192 tokens."""
    dtype: str = "auto"
    """vLLM --dtype: auto, half or bfloat16. Default: auto, the model's own."""
    quantization: str = "none"
    """vLLM --quantization (none: the weights are served as published). Default: none."""
    hub_token_secret: str | None = None
    """Key Vault secret with a model hub token, mounted only into the staging job. Default: anonymous download."""
    queue_threshold: int = 5
    """Average waiting requests per replica above which KEDA adds replicas. Default: five waiting requests."""
    active_hours: m.ActiveHours | None = None
    """A cron window with replicas kept running; what wakes a service scaled to zero.
    Default: replicas follow the queue alone."""
    gateway_lb: GatewayLoadBalancer | None = None
    """The AI gateway calls the service through an internal load balancer on this fixed address of the node
    subnet, admitted from the gateway's subnet only. Default: none, the service is reachable inside the cluster
    only (from `gateway_namespace`)."""
    cpu_per_gpu: int = 2
    """CPU cores each replica requests per GPU. Default: two."""
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    """What must exist before the staging job and the pods are scheduled (the GPU runtime, the Key Vault roles
    of the identities). Default: nothing."""

    def __post_init__(self) -> None:
        for label, digest in (("image_digest", self.image_digest), ("loader_image_digest", self.loader_image_digest)):
            if not digest.startswith("sha256:"):
                raise ValueError(f"{label} {digest!r} is not a sha256 digest: images are pinned by digest")
        if not 0 <= self.min_replicas <= self.max_replicas or self.max_replicas < 1:
            raise ValueError(
                f"min_replicas ({self.min_replicas}) must be between 0 and max_replicas "
                f"({self.max_replicas}), and max_replicas at least 1"
            )
        if self.queue_threshold < 1:
            raise ValueError(f"queue_threshold ({self.queue_threshold}) must be at least 1")
        if self.active_hours is not None and not 1 <= self.active_hours.replicas <= self.max_replicas:
            raise ValueError(
                f"active_hours.replicas ({self.active_hours.replicas}) must be between 1 and "
                f"max_replicas ({self.max_replicas})"
            )
        if not self.private_endpoint_cidrs:
            raise ValueError("private_endpoint_cidrs is empty: pass the subnet of the storage private endpoint")

    @property
    def sizing(self) -> w.WeightsSizing:
        return w.WeightsSizing(checkpoint_gb=self.checkpoint_gb, gpus=self.gpus_per_replica)


class InferenceService(pulumi.ComponentResource):
    """vLLM serving one model on a GPU pool, isolated in its own namespace.

    Pod Security `restricted` namespace; a service account bound to the inference managed
    identity (workload identity: the platform stack federates `<name>/vllm` to it, see
    `federate_service_account`); the weights staged once into the model storage account by a job
    (`WeightsStaging`) and copied into each pod by an init container, so a pod starts without
    internet access; a Deployment pinned by digest with GPU limits, memory, disk and probes sized
    from the checkpoint, spread, restricted security and a read-only root filesystem; the API key
    vLLM requires as a file from Key Vault; a rollout that progresses when the GPU pool is full; a
    KEDA ScaledObject on the request queue (replicas ignored by the stack); a disruption budget;
    default-deny network policies with the gateway allowed in and egress only to DNS, the private
    endpoints and Entra ID; a ClusterIP service; with `gateway_lb`, an internal LoadBalancer service on a
    fixed node-subnet address for the AI gateway and a policy admitting the gateway's subnet to the port.

    Children: namespace, service account, the weights staging (job and its objects), the API-key
    secret provider class, deployment, KEDA TriggerAuthentication and ScaledObject, PDB, three
    network policies (four with `gateway_lb`), service (two with `gateway_lb`), PodMonitor.

    Autoscaling: managed Prometheus scrapes vLLM's `/metrics` (the PodMonitor) but serves no
    custom-metrics API, so the cluster's KEDA add-on queries the Azure Monitor workspace
    (`sum(vllm:num_requests_waiting{namespace=...})`) with an Entra token of the scaler
    identity and drives its own HPA. With `min_replicas: 0` the service scales to zero; it
    wakes only on a signal that exists without pods: vLLM's queue does not, so pair it with
    `active_hours` (a KEDA cron trigger), or scale it up by hand.
    """

    namespace: str
    service_account_name: str
    service_host: str
    staging: WeightsStaging

    def __init__(self, name: str, args: InferenceServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:compute:InferenceService", name, None, opts)
        ns_name = name
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        namespace = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata={"name": ns_name, "labels": m.restricted_namespace_labels("inference")},
            opts=k8s_opts,
        )
        in_ns = pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[namespace]))
        labels = m.pod_labels(name)
        meta = {"namespace": ns_name, "labels": labels}
        sizing = args.sizing

        account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata={
                **meta,
                "name": SERVICE_ACCOUNT,
                "annotations": {
                    "azure.workload.identity/client-id": args.workload_client_id,
                    "azure.workload.identity/tenant-id": args.tenant_id,
                },
            },
            automount_service_account_token=False,
            opts=in_ns,
        )
        registry = args.registry_login_server
        image = pulumi.Output.concat(registry, "/", args.image, "@", args.image_digest)
        loader_image = pulumi.Output.concat(registry, "/", args.loader_image, "@", args.loader_image_digest)
        location = w.WeightsLocation(
            model=args.model,
            revision=args.revision,
            container=args.models_container,
            account_name=args.storage_account_name,
        )
        self.staging = WeightsStaging(
            f"{name}-weights",
            WeightsStagingArgs(
                provider=args.provider,
                namespace=ns_name,
                location=location,
                sizing=sizing,
                hub_image=image,
                loader_image=loader_image,
                loader_client_id=args.loader_client_id,
                tenant_id=args.tenant_id,
                pool=args.pool,
                private_endpoint_cidrs=list(args.private_endpoint_cidrs),
                key_vault_name=args.key_vault_name if args.hub_token_secret else None,
                hub_token_secret=args.hub_token_secret,
                depends_on=[namespace, *args.depends_on],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        provider_class = f"{name}-api-key"
        secret = args.api_key_secret
        parameters = pulumi.Output.all(args.workload_client_id, args.key_vault_name).apply(
            lambda v: m.secret_provider_parameters(
                client_id=v[0], tenant_id=args.tenant_id, vault_name=v[1], secret_name=secret, alias=m.API_KEY_FILE
            )
        )
        api_key = k8s.apiextensions.CustomResource(
            f"{name}-secret-provider",
            api_version="secrets-store.csi.x-k8s.io/v1",
            kind="SecretProviderClass",
            metadata={**meta, "name": provider_class},
            spec={"provider": "azure", "parameters": parameters},
            opts=in_ns,
        )
        spec = m.pod_spec(
            name=name,
            image=image,
            loader_image=loader_image,
            weights=location,
            sizing=sizing,
            max_model_len=args.max_model_len,
            gpus=args.gpus_per_replica,
            pool=args.pool,
            service_account=SERVICE_ACCOUNT,
            api_key_provider_class=provider_class,
            cpu_per_gpu=args.cpu_per_gpu,
            dtype=args.dtype,
            quantization=args.quantization,
        )
        # The provider's default await (10 minutes) is shorter than a GPU replica's start: node scale-up and
        # driver install, the image pull, the weights copy and the model load (the startup probe's budget).
        ready = f"{sizing.ready_timeout_minutes}m"
        deployment = k8s.apps.v1.Deployment(
            f"{name}-deploy",
            metadata={**meta, "name": name},
            spec={
                "replicas": args.min_replicas,
                "selector": {"matchLabels": labels},
                "strategy": m.rollout_strategy(surge=args.surge),
                "template": {"metadata": {"labels": {**labels, "azure.workload.identity/use": "true"}}, "spec": spec},
            },
            # The autoscaler owns the replica count after creation.
            opts=pulumi.ResourceOptions.merge(
                in_ns,
                pulumi.ResourceOptions(
                    depends_on=[account, api_key, self.staging.job, *args.depends_on],
                    ignore_changes=["spec.replicas"],
                    custom_timeouts=pulumi.CustomTimeouts(create=ready, update=ready),
                ),
            ),
        )
        # KEDA's operator (kube-system) authenticates to the workspace as the scaler identity.
        auth = k8s.apiextensions.CustomResource(
            f"{name}-keda-auth",
            api_version="keda.sh/v1alpha1",
            kind="TriggerAuthentication",
            metadata={**meta, "name": f"{name}-prometheus"},
            spec={"podIdentity": {"provider": "azure-workload", "identityId": args.scaler_client_id}},
            opts=in_ns,
        )
        k8s.apiextensions.CustomResource(
            f"{name}-scaledobject",
            api_version="keda.sh/v1alpha1",
            kind="ScaledObject",
            metadata={**meta, "name": name},
            spec=m.scaled_object_spec(
                deployment=name,
                min_replicas=args.min_replicas,
                max_replicas=args.max_replicas,
                server_address=args.prometheus_query_endpoint,
                query=m.queue_query(ns_name),
                threshold=args.queue_threshold,
                authentication=f"{name}-prometheus",
                active_hours=args.active_hours,
            ),
            opts=pulumi.ResourceOptions.merge(in_ns, pulumi.ResourceOptions(depends_on=[deployment, auth])),
        )
        k8s.policy.v1.PodDisruptionBudget(
            f"{name}-pdb",
            metadata={**meta, "name": name},
            # maxUnavailable (not minAvailable): a single replica, or none when scaled to zero,
            # never blocks node drains.
            spec={"maxUnavailable": 1, "selector": {"matchLabels": labels}},
            opts=in_ns,
        )
        policies = m.network_policies(
            name,
            args.gateway_namespace,
            private_endpoint_cidrs=list(args.private_endpoint_cidrs),
            entra_id_cidrs=list(args.entra_id_cidrs),
        )
        for role, policy in policies.items():
            k8s.networking.v1.NetworkPolicy(
                f"{name}-netpol-{role}",
                metadata={**meta, "name": role},
                spec=policy,
                opts=in_ns,
            )
        k8s.core.v1.Service(
            f"{name}-svc",
            metadata={**meta, "name": name, "annotations": SKIP_AWAIT},
            spec={
                "type": "ClusterIP",
                "selector": labels,
                "ports": [{"name": "http", "port": 80, "targetPort": m.PORT, "protocol": "TCP"}],
            },
            opts=in_ns,
        )
        if args.gateway_lb is not None:
            k8s.networking.v1.NetworkPolicy(
                f"{name}-netpol-allow-gateway-lb",
                metadata={**meta, "name": "allow-gateway-lb"},
                spec=gateway_network_policy(name, args.gateway_lb),
                opts=in_ns,
            )
            extra, lb_spec = gateway_service(name, args.gateway_lb)
            k8s.core.v1.Service(
                f"{name}-gateway-svc",
                metadata={**meta, **extra},
                spec=lb_spec,
                opts=in_ns,
            )
        k8s.apiextensions.CustomResource(
            f"{name}-podmonitor",
            api_version="azmonitoring.coreos.com/v1",
            kind="PodMonitor",
            metadata={**meta, "name": name},
            spec={
                "selector": {"matchLabels": labels},
                "podMetricsEndpoints": [{"port": "http", "path": "/metrics", "interval": "30s"}],
            },
            opts=in_ns,
        )
        self.namespace = ns_name
        self.service_account_name = SERVICE_ACCOUNT
        self.service_host = f"{name}.{ns_name}.svc.cluster.local"
        self.register_outputs({"namespace": ns_name, "service_host": self.service_host})
