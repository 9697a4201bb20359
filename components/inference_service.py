"""A vLLM inference service on the GPU cluster: one model, one namespace."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from llmops_infra.components import inference_manifests as m
from llmops_infra.components.node_pools import GpuPoolSpec

SERVICE_ACCOUNT = "vllm"
READY_TIMEOUT = "60m"
"""How long `up` waits for a Deployment's replicas to become ready. The provider's default (10
minutes) is shorter than a GPU replica's start: node scale-up and driver install, the image pull,
the weights download and the model load, which the startup probe alone allows 30 minutes."""
SKIP_AWAIT = {"pulumi.com/skipAwait": "true"}
"""The Kubernetes provider's opt-out of its readiness await: a selector Service otherwise waits
(10 minutes, then fails) until a ready pod backs it, which a service scaled to zero never has."""


@dataclass(frozen=True, kw_only=True)
class InferenceServiceArgs:
    provider: k8s.Provider
    """The cluster's Kubernetes provider."""
    model: str
    """Hugging Face id (org/name) or a path under the model cache."""
    registry_login_server: pulumi.Input[str]
    """The estate's registry; the image is pulled from it by digest, never by tag."""
    image: str
    image_digest: str
    pool: GpuPoolSpec
    """The GPU pool the replicas run on: its label is selected and its taints tolerated."""
    workload_client_id: pulumi.Input[str]
    """Client id of the inference managed identity (annotated on the service account)."""
    tenant_id: str
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
    max_model_len: int = 8192
    """vLLM --max-model-len: the longest context (prompt and output tokens) served. Default:
    8192 tokens."""
    dtype: str = "auto"
    """vLLM --dtype: auto, half or bfloat16. Default: auto, the model's own."""
    quantization: str = "none"
    """vLLM --quantization (none: the weights are served as published). Default: none."""
    key_vault_name: pulumi.Input[str] | None = None
    """Vault that holds `hub_token_secret` (required with it). Default: no vault is mounted."""
    hub_token_secret: str | None = None
    """Key Vault secret with a model hub token, mounted through the secrets provider.
    Default: the model is downloaded without a token."""
    queue_threshold: int = 5
    """Average waiting requests per replica above which KEDA adds replicas. Default: five waiting requests."""
    active_hours: m.ActiveHours | None = None
    """A cron window with replicas kept running; what wakes a service scaled to zero.
    Default: replicas follow the queue alone."""
    cpu_per_gpu: int = 2
    """CPU cores each replica requests per GPU. Default: two."""
    memory_gi_per_gpu: int = 12
    """Memory (GiB) each replica requests per GPU. Default: 12 GiB."""
    cache_size_gi: int = 100
    """Size limit (GiB) of the model cache volume (an emptyDir: lost with the pod). Default: 100 GiB."""
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    """What must exist before the pods are scheduled (e.g. the GPU runtime). Default: nothing."""

    def __post_init__(self) -> None:
        if not self.image_digest.startswith("sha256:"):
            raise ValueError(f"image_digest {self.image_digest!r} is not a sha256 digest: images are pinned by digest")
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
        if self.hub_token_secret and self.key_vault_name is None:
            raise ValueError("hub_token_secret is set but key_vault_name is not: pass the vault that holds it")


class InferenceService(pulumi.ComponentResource):
    """vLLM serving one model on a GPU pool, isolated in its own namespace.

    Pod Security `restricted` namespace; a service account bound to the inference managed
    identity (workload identity: the platform stack federates `<name>/vllm` to it, see
    `federate_service_account`); a Deployment pinned by digest with GPU limits,
    probes, spread, restricted security and a read-only root filesystem; the hub token as a
    file from Key Vault; a KEDA ScaledObject on the request queue (replicas ignored by the
    stack); a disruption budget; default-deny network policies with the gateway allowed in; a
    ClusterIP service.

    Children: namespace, service account, secret provider class,
    deployment, KEDA TriggerAuthentication and ScaledObject, PDB, three network policies,
    service, PodMonitor.

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
        before_pods: list[pulumi.Resource] = [account, *args.depends_on]
        provider_class = None
        if args.hub_token_secret:
            assert args.key_vault_name is not None
            provider_class = f"{name}-kv"
            parameters = pulumi.Output.all(args.workload_client_id, args.key_vault_name).apply(
                lambda v: m.secret_provider_parameters(
                    client_id=v[0], tenant_id=args.tenant_id, vault_name=v[1], secret_name=str(args.hub_token_secret)
                )
            )
            before_pods.append(
                k8s.apiextensions.CustomResource(
                    f"{name}-secret-provider",
                    api_version="secrets-store.csi.x-k8s.io/v1",
                    kind="SecretProviderClass",
                    metadata={**meta, "name": provider_class},
                    spec={"provider": "azure", "parameters": parameters},
                    opts=in_ns,
                )
            )

        image = pulumi.Output.concat(args.registry_login_server, "/", args.image, "@", args.image_digest)
        spec = m.pod_spec(
            name=name,
            image=image,
            model=args.model,
            max_model_len=args.max_model_len,
            gpus=args.gpus_per_replica,
            pool=args.pool,
            service_account=SERVICE_ACCOUNT,
            secret_provider_class=provider_class,
            cpu_per_gpu=args.cpu_per_gpu,
            memory_gi_per_gpu=args.memory_gi_per_gpu,
            cache_size_gi=args.cache_size_gi,
            dtype=args.dtype,
            quantization=args.quantization,
        )
        deployment = k8s.apps.v1.Deployment(
            f"{name}-deploy",
            metadata={**meta, "name": name},
            spec={
                "replicas": args.min_replicas,
                "selector": {"matchLabels": labels},
                # A surge replica needs a spare GPU node; never drop below the serving count.
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
                "template": {"metadata": {"labels": {**labels, "azure.workload.identity/use": "true"}}, "spec": spec},
            },
            # The autoscaler owns the replica count after creation.
            opts=pulumi.ResourceOptions.merge(
                in_ns,
                pulumi.ResourceOptions(
                    depends_on=before_pods,
                    ignore_changes=["spec.replicas"],
                    custom_timeouts=pulumi.CustomTimeouts(create=READY_TIMEOUT, update=READY_TIMEOUT),
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
        for role, policy in m.network_policies(name, args.gateway_namespace).items():
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
