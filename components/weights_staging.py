"""Stage one model revision into the model storage account, once: a Kubernetes Job in the model's namespace.

The job signs in as the weights-loader identity (workload identity; the platform stack federates
`<namespace>/model-loader` to it and grants it Storage Blob Data Contributor on the models
container only) and runs three steps in one pod sharing an emptyDir:

1. check (Azure CLI image): the marker blob `<model>/<revision>.staged` exists -> nothing else runs;
2. download (the vLLM image, which ships huggingface_hub): the pinned revision from the hub, with the
   hub token as a file from Key Vault when the model is gated;
3. upload (Azure CLI image): the files under `<model>/<revision>/`, then the marker, last.

A rerun after any failure is safe: nothing counts as staged until the marker exists. The job is the
only pod in the estate with internet egress (HTTPS to public addresses, for the hub and its CDN).
Pulumi waits for the job to complete; serving pods are created after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from llmops_infra.components import egress
from llmops_infra.components import inference_manifests as m
from llmops_infra.components import model_weights as w
from llmops_infra.components.node_pools import GpuPoolSpec

SERVICE_ACCOUNT = w.LOADER_SERVICE_ACCOUNT
COMPONENT_LABEL = {"app.kubernetes.io/name": "model-loader"}
"""The staging pod's labels differ from the serving pods' (`app.kubernetes.io/name: vllm`): the Service, the
disruption budget and the serving NetworkPolicies must never select it."""
REPLACE_UNREADY = {"pulumi.com/replaceUnready": "true"}
"""A job that failed in an earlier `up` is replaced by the next one instead of being waited on again."""


@dataclass(frozen=True, kw_only=True)
class WeightsStagingArgs:
    provider: k8s.Provider
    namespace: str
    """The model's namespace (it exists: pass it in `depends_on`)."""
    location: w.WeightsLocation
    sizing: w.WeightsSizing
    hub_image: pulumi.Input[str]
    """The vLLM image (by digest, in the estate's registry): it carries huggingface_hub."""
    loader_image: pulumi.Input[str]
    """The Azure CLI image (by digest, in the estate's registry)."""
    loader_client_id: pulumi.Input[str]
    """Client id of the weights-loader managed identity."""
    tenant_id: str
    pool: GpuPoolSpec
    """Where the job runs: the model's own pool (the system pool admits only critical add-ons), so the node it
    starts is the one the first replica lands on."""
    private_endpoint_cidrs: list[str]
    key_vault_name: pulumi.Input[str] | None = None
    """Vault holding `hub_token_secret`. Default: no token (a public model)."""
    hub_token_secret: str | None = None
    """Key Vault secret with a model hub token. Default: the hub is read anonymously."""
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    """What must exist first (the namespace, the Key Vault role of the loader). Default: nothing."""

    def __post_init__(self) -> None:
        if self.hub_token_secret and self.key_vault_name is None:
            raise ValueError("hub_token_secret is set but key_vault_name is not: pass the vault that holds it")


class WeightsStaging(pulumi.ComponentResource):
    """The staging job of one model revision, its service account, hub-token provider class and egress policy.

    Children: service account, SecretProviderClass (with a hub token), NetworkPolicy, Job.
    """

    job: k8s.batch.v1.Job

    def __init__(self, name: str, args: WeightsStagingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:compute:WeightsStaging", name, None, opts)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=args.depends_on)
        labels = {**COMPONENT_LABEL, "app.kubernetes.io/instance": args.namespace}
        meta = {"namespace": args.namespace, "labels": labels}
        account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata={
                **meta,
                "name": SERVICE_ACCOUNT,
                "annotations": {
                    "azure.workload.identity/client-id": args.loader_client_id,
                    "azure.workload.identity/tenant-id": args.tenant_id,
                },
            },
            automount_service_account_token=False,
            opts=k8s_opts,
        )
        before: list[pulumi.Resource] = [account]
        volumes: list[dict[str, object]] = [
            {"name": "weights", "emptyDir": {"sizeLimit": f"{args.sizing.volume_gi}Gi"}},
            {"name": "tmp", "emptyDir": {"sizeLimit": "2Gi"}},
        ]
        hub_env: list[dict[str, object]] = [
            dict(w.NO_GPU),
            {"name": "HOME", "value": "/tmp"},
            {"name": "USER", "value": m.IMAGE_USER},
            {"name": "LOGNAME", "value": m.IMAGE_USER},
            {"name": "HF_HOME", "value": "/tmp/huggingface"},
            {"name": "HF_HUB_DISABLE_TELEMETRY", "value": "1"},
        ]
        hub_mounts: list[dict[str, object]] = [
            {"name": "weights", "mountPath": w.WEIGHTS_MOUNT},
            {"name": "tmp", "mountPath": "/tmp"},
        ]
        if args.hub_token_secret:
            assert args.key_vault_name is not None
            provider_class = f"{name}-hub"
            secret = args.hub_token_secret
            parameters = pulumi.Output.all(args.loader_client_id, args.key_vault_name).apply(
                lambda v: m.secret_provider_parameters(
                    client_id=v[0],
                    tenant_id=args.tenant_id,
                    vault_name=v[1],
                    secret_name=secret,
                    alias=m.HUB_TOKEN_FILE,
                )
            )
            before.append(
                k8s.apiextensions.CustomResource(
                    f"{name}-secret-provider",
                    api_version="secrets-store.csi.x-k8s.io/v1",
                    kind="SecretProviderClass",
                    metadata={**meta, "name": provider_class},
                    spec={"provider": "azure", "parameters": parameters},
                    opts=k8s_opts,
                )
            )
            volumes.append(
                {
                    "name": "secrets-store",
                    "csi": {
                        "driver": "secrets-store.csi.k8s.io",
                        "readOnly": True,
                        "volumeAttributes": {"secretProviderClass": provider_class},
                    },
                }
            )
            hub_mounts.append({"name": "secrets-store", "mountPath": m.SECRETS_MOUNT, "readOnly": True})
            # huggingface_hub reads the token from this file: it is never an environment value.
            hub_env.append({"name": "HF_TOKEN_PATH", "value": f"{m.SECRETS_MOUNT}/{m.HUB_TOKEN_FILE}"})
        before.append(
            k8s.networking.v1.NetworkPolicy(
                f"{name}-netpol",
                metadata={**meta, "name": "allow-model-loader-egress"},
                spec=staging_network_policy(args.private_endpoint_cidrs),
                opts=k8s_opts,
            )
        )
        security = m.restricted_container_security()
        download = {
            "name": "download",
            "image": args.hub_image,
            "imagePullPolicy": "IfNotPresent",
            "command": ["python3", "-c", w.DOWNLOAD_SCRIPT],
            "env": [*hub_env, *args.location.env()],
            "resources": w.LOADER_RESOURCES,
            "securityContext": security,
            "volumeMounts": hub_mounts,
        }
        pod = {
            "serviceAccountName": SERVICE_ACCOUNT,
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "restartPolicy": "Never",
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": m.UID,
                "runAsGroup": m.UID,
                "fsGroup": m.UID,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "nodeSelector": args.pool.node_selector,
            "tolerations": args.pool.tolerations,
            "initContainers": [
                w.loader_container(
                    name="check",
                    image=args.loader_image,
                    script=w.CHECK_SCRIPT,
                    location=args.location,
                    security=security,
                ),
                download,
            ],
            "containers": [
                w.loader_container(
                    name="upload",
                    image=args.loader_image,
                    script=w.UPLOAD_SCRIPT,
                    location=args.location,
                    security=security,
                )
            ],
            "volumes": volumes,
        }
        timeout = f"{args.sizing.staging_timeout_minutes}m"
        self.job = k8s.batch.v1.Job(
            f"{name}-job",
            # Auto-named: a new revision (an immutable pod template) replaces the job create-before-delete.
            metadata={**meta, "annotations": REPLACE_UNREADY},
            spec={
                "backoffLimit": 3,
                "activeDeadlineSeconds": args.sizing.staging_timeout_minutes * 60,
                "template": {
                    "metadata": {"labels": {**labels, "azure.workload.identity/use": "true"}},
                    "spec": pod,
                },
            },
            opts=pulumi.ResourceOptions.merge(
                k8s_opts,
                pulumi.ResourceOptions(
                    depends_on=before, custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout)
                ),
            ),
        )
        self.register_outputs({})


def staging_network_policy(private_endpoint_cidrs: list[str]) -> dict[str, object]:
    """Egress of the staging pod: DNS, the storage private endpoint, and HTTPS to public addresses (the hub,
    its CDN and Entra ID; private ranges excluded). No ingress."""
    return {
        "podSelector": {"matchLabels": dict(COMPONENT_LABEL)},
        "policyTypes": ["Ingress", "Egress"],
        "egress": [egress.dns_rule(), egress.https_to(private_endpoint_cidrs), egress.internet_https()],
    }
