"""Pure builders of the Kubernetes specs of a vLLM inference service.

Plain functions of plain values (no Pulumi resources), so that the pod spec, the network
policies and the secrets-provider parameters can be read and tested without a cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmops_infra.components import egress
from llmops_infra.components import model_weights as w
from llmops_infra.components.node_pools import GpuPoolSpec

PORT = 8000
MODEL_CACHE = "/models"
SECRETS_MOUNT = "/mnt/secrets-store"
HUB_TOKEN_FILE = "hub-token"
API_KEY_FILE = "api-key"
UID = 2000
"""The `vllm` user the vllm/vllm-openai image ships (ai-dynamo/dynamo#12457). An arbitrary UID without a
passwd entry makes torch's `getpass.getuser()` raise at import (vllm-project/vllm#44548); USER and
LOGNAME below are set as well, so a rebuilt image without that user still starts."""
IMAGE_USER = "vllm"
SERVE_SCRIPT = 'set -eu\nVLLM_API_KEY="$(cat "$API_KEY_FILE")"\nexport VLLM_API_KEY\nexec vllm serve "$@"\n'
"""`vllm serve MODEL …` (the model is the positional argument: `--model` is deprecated there) with the API
key read from the secrets-store file into VLLM_API_KEY: the key is never written in the manifest, never a
Kubernetes Secret and never on the command line (/proc/*/cmdline is world-readable). vLLM then requires it
on every route but /health, /metrics and a few other public ones (vllm/entrypoints AuthenticationMiddleware)."""
VLLM_COMMAND = ["/bin/sh", "-c", SERVE_SCRIPT, "vllm"]
PROMETHEUS_AGENT_PEER = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"rsName": "ama-metrics"}},
}
"""NetworkPolicy peer of the managed Prometheus agent (the ama-metrics replica set scrapes PodMonitors)."""


def pod_labels(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "vllm", "app.kubernetes.io/instance": name}


def restricted_namespace_labels(role: str) -> dict[str, str]:
    """Labels of an application namespace: Pod Security `restricted`, enforced, warned and audited."""
    return {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
        "llmops.io/role": role,
    }


def vllm_args(
    model: str,
    *,
    max_model_len: int,
    tensor_parallel_size: int,
    served_name: str,
    dtype: str = "auto",
    quantization: str = "none",
) -> list[str]:
    args = [
        model,
        "--served-model-name",
        served_name,
        "--max-model-len",
        str(max_model_len),
        "--tensor-parallel-size",
        str(tensor_parallel_size),
        "--dtype",
        dtype,
        "--port",
        str(PORT),
    ]
    if quantization != "none":
        args += ["--quantization", quantization]
    return args


def queue_query(namespace: str) -> str:
    """PromQL of the requests waiting across the service's replicas (managed Prometheus adds
    the `namespace` label to every scraped series)."""
    return f'sum(vllm:num_requests_waiting{{namespace="{namespace}"}})'


@dataclass(frozen=True, kw_only=True)
class ActiveHours:
    """A weekly window (two cron expressions in a time zone) with `replicas` kept running."""

    timezone: str
    start: str
    end: str
    replicas: int = 1

    def trigger(self) -> dict[str, Any]:
        return {
            "type": "cron",
            "metadata": {
                "timezone": self.timezone,
                "start": self.start,
                "end": self.end,
                "desiredReplicas": str(self.replicas),
            },
        }


def scaled_object_spec(
    *,
    deployment: str,
    min_replicas: int,
    max_replicas: int,
    server_address: Any,
    query: str,
    threshold: int,
    authentication: str,
    active_hours: ActiveHours | None = None,
) -> dict[str, Any]:
    """A KEDA ScaledObject on the request queue, read from managed Prometheus.

    The prometheus scaler's metric is an AverageValue: KEDA's HPA aims at `threshold` waiting
    requests per replica. Activation (0 <-> 1 replica) happens above 0 waiting requests, but
    at zero replicas vLLM exports no queue series at all, so only another trigger (the
    `active_hours` cron window) wakes a service that scaled to zero. KEDA takes the largest
    replica count any trigger asks for.
    """
    queue = {
        "type": "prometheus",
        "metadata": {
            "serverAddress": server_address,
            "query": query,
            "threshold": str(threshold),
            "activationThreshold": "0",
        },
        "authenticationRef": {"name": authentication},
    }
    return {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment},
        "minReplicaCount": min_replicas,
        "maxReplicaCount": max_replicas,
        "pollingInterval": 30,
        # Only used for scaling to zero: an idle GPU replica is kept 10 minutes.
        "cooldownPeriod": 600,
        "advanced": {
            "horizontalPodAutoscalerConfig": {
                "behavior": {
                    # GPU replicas are slow to start and costly to churn: scale down cautiously.
                    "scaleDown": {
                        "stabilizationWindowSeconds": 600,
                        "policies": [{"type": "Pods", "value": 1, "periodSeconds": 300}],
                    },
                }
            }
        },
        "triggers": [queue] + ([active_hours.trigger()] if active_hours else []),
    }


def container_resources(gpus: int, *, cpu_per_gpu: int, sizing: w.WeightsSizing) -> dict[str, Any]:
    """Requests and limits: memory sized from the checkpoint (the limit equals the request: no overcommit for
    model weights), the GPU count both the request and the limit (extended resources must match), and the
    node disk the pod's emptyDirs fill (weights, caches) requested so the scheduler finds room for it."""
    cpu, memory = cpu_per_gpu * gpus, f"{sizing.memory_gi}Gi"
    return {
        "requests": {
            "cpu": str(cpu),
            "memory": memory,
            "nvidia.com/gpu": str(gpus),
            "ephemeral-storage": f"{sizing.ephemeral_storage_gi}Gi",
        },
        "limits": {"cpu": str(cpu * 2), "memory": memory, "nvidia.com/gpu": str(gpus)},
    }


def restricted_container_security() -> dict[str, Any]:
    """Pod Security Standards, restricted profile, plus a read-only root filesystem."""
    return {
        "runAsNonRoot": True,
        "runAsUser": UID,
        "runAsGroup": UID,
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def probes(sizing: w.WeightsSizing) -> dict[str, Any]:
    """vLLM answers /health once the model is loaded. Probes start after the init container copied the
    weights, so the startup probe covers reading them from the node's disk into GPU memory (twice the time
    at a slow disk's rate) plus compilation and CUDA graph capture; only then does liveness judge."""
    http = {"path": "/health", "port": PORT}
    period = w.PROBE_PERIOD_S
    return {
        "startupProbe": {
            "httpGet": http,
            "periodSeconds": period,
            "failureThreshold": sizing.startup_failure_threshold,
            "timeoutSeconds": 5,
        },
        "readinessProbe": {"httpGet": http, "periodSeconds": period, "failureThreshold": 3, "timeoutSeconds": 5},
        "livenessProbe": {"httpGet": http, "periodSeconds": 15, "failureThreshold": 4, "timeoutSeconds": 5},
    }


def rollout_strategy(*, surge: bool) -> dict[str, Any]:
    """How a changed Deployment replaces its pods.

    A surge pod needs a free GPU; at full scale (max replicas on max nodes) there is none, the surge pod stays
    Pending and the rollout never progresses. Without GPU headroom the Deployment replaces one replica at a
    time instead (maxSurge 0, maxUnavailable 1): one replica's capacity is lost while it reloads, and a
    single-replica service is down for that time. With headroom for one more replica of every model on the
    pool (the stage computes it), the old replica keeps serving until the new one is ready.
    """
    rolling = {"maxSurge": 1, "maxUnavailable": 0} if surge else {"maxSurge": 0, "maxUnavailable": 1}
    return {"type": "RollingUpdate", "rollingUpdate": rolling}


def pod_spec(
    *,
    name: str,
    image: Any,
    loader_image: Any,
    weights: w.WeightsLocation,
    sizing: w.WeightsSizing,
    max_model_len: int,
    gpus: int,
    pool: GpuPoolSpec,
    service_account: str,
    api_key_provider_class: str,
    cpu_per_gpu: int,
    dtype: str = "auto",
    quantization: str = "none",
) -> dict[str, Any]:
    """The vLLM pod: restricted security, GPU pool placement, the weights copied from storage by an init
    container, the API key from Key Vault as a file, writable paths on emptyDirs."""
    env = [
        # An identity the image knows, and every cache on a writable emptyDir (the root filesystem is read-only).
        {"name": "USER", "value": IMAGE_USER},
        {"name": "LOGNAME", "value": IMAGE_USER},
        {"name": "HOME", "value": "/tmp"},
        {"name": "XDG_CACHE_HOME", "value": f"{MODEL_CACHE}/cache"},
        {"name": "TORCHINDUCTOR_CACHE_DIR", "value": f"{MODEL_CACHE}/torchinductor"},
        {"name": "TRITON_CACHE_DIR", "value": f"{MODEL_CACHE}/triton"},
        {"name": "HF_HOME", "value": f"{MODEL_CACHE}/huggingface"},
        {"name": "VLLM_CACHE_ROOT", "value": f"{MODEL_CACHE}/vllm"},
        # The weights are local: nothing may reach for the hub.
        {"name": "HF_HUB_OFFLINE", "value": "1"},
        {"name": "HF_HUB_DISABLE_TELEMETRY", "value": "1"},
        {"name": "VLLM_NO_USAGE_STATS", "value": "1"},
        {"name": "API_KEY_FILE", "value": f"{SECRETS_MOUNT}/{API_KEY_FILE}"},
    ]
    mounts: list[dict[str, Any]] = [
        {"name": "model-cache", "mountPath": MODEL_CACHE},
        {"name": "weights", "mountPath": w.WEIGHTS_MOUNT, "readOnly": True},
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "dshm", "mountPath": "/dev/shm"},
        {"name": "secrets-store", "mountPath": SECRETS_MOUNT, "readOnly": True},
    ]
    volumes: list[dict[str, Any]] = [
        {"name": "model-cache", "emptyDir": {"sizeLimit": f"{w.COMPILE_CACHES_GI}Gi"}},
        # The node's disk, not a network mount: loaded at local speed, lost with the pod (recopied by the next).
        {"name": "weights", "emptyDir": {"sizeLimit": f"{sizing.volume_gi}Gi"}},
        {"name": "tmp", "emptyDir": {"sizeLimit": "2Gi"}},
        # Tensor parallelism exchanges tensors through shared memory.
        {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": f"{2 * gpus}Gi"}},
        # The key stays a file on a tmpfs mount (rotated by the driver), never a Kubernetes Secret.
        {
            "name": "secrets-store",
            "csi": {
                "driver": "secrets-store.csi.k8s.io",
                "readOnly": True,
                "volumeAttributes": {"secretProviderClass": api_key_provider_class},
            },
        },
    ]
    labels = pod_labels(name)
    security = restricted_container_security()
    return {
        "serviceAccountName": service_account,
        # The workload identity webhook projects its own token; the API token is not needed.
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": UID,
            "runAsGroup": UID,
            "fsGroup": UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "nodeSelector": pool.node_selector,
        "tolerations": pool.tolerations,
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": key,
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": labels},
            }
            for key in ("kubernetes.io/hostname", "topology.kubernetes.io/zone")
        ],
        "terminationGracePeriodSeconds": 60,
        "initContainers": [
            w.loader_container(
                name="fetch-weights", image=loader_image, script=w.FETCH_SCRIPT, location=weights, security=security
            )
        ],
        "containers": [
            {
                "name": "vllm",
                "image": image,
                "imagePullPolicy": "IfNotPresent",
                "command": list(VLLM_COMMAND),
                "args": vllm_args(
                    weights.local_path,
                    max_model_len=max_model_len,
                    tensor_parallel_size=gpus,
                    served_name=name,
                    dtype=dtype,
                    quantization=quantization,
                ),
                "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
                "env": env,
                "resources": container_resources(gpus, cpu_per_gpu=cpu_per_gpu, sizing=sizing),
                "securityContext": security,
                "volumeMounts": mounts,
                **probes(sizing),
            }
        ],
        "volumes": volumes,
    }


def network_policies(
    name: str, gateway_namespace: str, *, private_endpoint_cidrs: list[str], entra_id_cidrs: list[str]
) -> dict[str, dict[str, Any]]:
    """Default deny both ways; then ingress from the gateway namespace (and the managed Prometheus agent, for
    /metrics) on the serving port; egress to cluster DNS, HTTPS to the private endpoints' subnet (the weights'
    storage account) and HTTPS to Entra ID (the init container's workload identity sign-in). Nothing else:
    no internet, no hub. NetworkPolicies are stateful, so replies to the gateway need no egress rule; the Key
    Vault mount is made by the secrets-store driver on the node, not by the pod."""
    selector = {"matchLabels": pod_labels(name)}
    port = [{"protocol": "TCP", "port": PORT}]
    return {
        "default-deny": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        "allow-gateway": {
            "podSelector": selector,
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [
                        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": gateway_namespace}}}
                    ],
                    "ports": port,
                },
                {"from": [PROMETHEUS_AGENT_PEER], "ports": port},
            ],
        },
        "allow-egress": {
            "podSelector": selector,
            "policyTypes": ["Egress"],
            "egress": [
                egress.dns_rule(),
                egress.https_to(private_endpoint_cidrs),
                egress.https_to(entra_id_cidrs),
            ],
        },
    }


def secret_provider_parameters(
    *, client_id: str, tenant_id: str, vault_name: str, secret_name: str, alias: str
) -> dict[str, str]:
    """Azure provider parameters of a SecretProviderClass using workload identity: one secret, mounted
    as the file `alias`."""
    objects = f"array:\n  - |\n    objectName: {secret_name}\n    objectType: secret\n    objectAlias: {alias}\n"
    return {
        "usePodIdentity": "false",
        "useVMManagedIdentity": "false",
        "clientID": client_id,
        "keyvaultName": vault_name,
        "tenantId": tenant_id,
        "objects": objects,
    }
