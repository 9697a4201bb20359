"""Pure builders of the Kubernetes specs of a vLLM inference service.

Plain functions of plain values (no Pulumi resources), so that the pod spec, the network
policies and the secrets-provider parameters can be read and tested without a cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmops_infra.components.node_pools import GpuPoolSpec

PORT = 8000
MODEL_CACHE = "/models"
SECRETS_MOUNT = "/mnt/secrets-store"
HUB_TOKEN_FILE = "hub-token"
UID = 2000
"""The `vllm` user the vllm/vllm-openai image ships (ai-dynamo/dynamo#12457). An arbitrary UID without a
passwd entry makes torch's `getpass.getuser()` raise at import (vllm-project/vllm#44548); USER and
LOGNAME below are set as well, so a rebuilt image without that user still starts."""
IMAGE_USER = "vllm"
VLLM_COMMAND = ["vllm", "serve"]
"""`vllm serve MODEL …`: the model is the positional argument (`--model` is deprecated there)."""
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
        "--download-dir",
        f"{MODEL_CACHE}/weights",
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


def container_resources(gpus: int, *, cpu_per_gpu: int, memory_gi_per_gpu: int) -> dict[str, Any]:
    """Requests and limits: memory limit equals the request (no overcommit for model weights),
    and the GPU count is both the request and the limit (extended resources must match)."""
    cpu, memory = cpu_per_gpu * gpus, f"{memory_gi_per_gpu * gpus}Gi"
    return {
        "requests": {"cpu": str(cpu), "memory": memory, "nvidia.com/gpu": str(gpus)},
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


def probes() -> dict[str, Any]:
    """vLLM answers /health once the model is loaded; loading may take many minutes, so the
    startup probe allows 30 minutes before liveness starts judging."""
    http = {"path": "/health", "port": PORT}
    return {
        "startupProbe": {"httpGet": http, "periodSeconds": 10, "failureThreshold": 180, "timeoutSeconds": 5},
        "readinessProbe": {"httpGet": http, "periodSeconds": 10, "failureThreshold": 3, "timeoutSeconds": 5},
        "livenessProbe": {"httpGet": http, "periodSeconds": 15, "failureThreshold": 4, "timeoutSeconds": 5},
    }


def pod_spec(
    *,
    name: str,
    image: Any,
    model: str,
    max_model_len: int,
    gpus: int,
    pool: GpuPoolSpec,
    service_account: str,
    secret_provider_class: str | None,
    cpu_per_gpu: int,
    memory_gi_per_gpu: int,
    cache_size_gi: int,
    dtype: str = "auto",
    quantization: str = "none",
) -> dict[str, Any]:
    """The vLLM pod: restricted security, GPU pool placement, writable paths on emptyDirs."""
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
        {"name": "HF_HUB_DISABLE_TELEMETRY", "value": "1"},
        {"name": "VLLM_NO_USAGE_STATS", "value": "1"},
    ]
    mounts: list[dict[str, Any]] = [
        {"name": "model-cache", "mountPath": MODEL_CACHE},
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "dshm", "mountPath": "/dev/shm"},
    ]
    volumes: list[dict[str, Any]] = [
        {"name": "model-cache", "emptyDir": {"sizeLimit": f"{cache_size_gi}Gi"}},
        {"name": "tmp", "emptyDir": {"sizeLimit": "2Gi"}},
        # Tensor parallelism exchanges tensors through shared memory.
        {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": f"{2 * gpus}Gi"}},
    ]
    if secret_provider_class:
        # The token stays a file on a tmpfs mount (rotated by the driver), never a Kubernetes
        # Secret: huggingface_hub reads it from HF_TOKEN_PATH.
        env.append({"name": "HF_TOKEN_PATH", "value": f"{SECRETS_MOUNT}/{HUB_TOKEN_FILE}"})
        mounts.append({"name": "secrets-store", "mountPath": SECRETS_MOUNT, "readOnly": True})
        volumes.append(
            {
                "name": "secrets-store",
                "csi": {
                    "driver": "secrets-store.csi.k8s.io",
                    "readOnly": True,
                    "volumeAttributes": {"secretProviderClass": secret_provider_class},
                },
            }
        )
    labels = pod_labels(name)
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
        "containers": [
            {
                "name": "vllm",
                "image": image,
                "imagePullPolicy": "IfNotPresent",
                "command": list(VLLM_COMMAND),
                "args": vllm_args(
                    model,
                    max_model_len=max_model_len,
                    tensor_parallel_size=gpus,
                    served_name=name,
                    dtype=dtype,
                    quantization=quantization,
                ),
                "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
                "env": env,
                "resources": container_resources(gpus, cpu_per_gpu=cpu_per_gpu, memory_gi_per_gpu=memory_gi_per_gpu),
                "securityContext": restricted_container_security(),
                "volumeMounts": mounts,
                **probes(),
            }
        ],
        "volumes": volumes,
    }


def network_policies(name: str, gateway_namespace: str) -> dict[str, dict[str, Any]]:
    """Default deny both ways; then ingress from the gateway namespace (and the managed
    Prometheus agent, for /metrics) on the serving port, egress to cluster DNS and to 443."""
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
                {
                    "to": [
                        {
                            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                        }
                    ],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                },
                # Entra ID (workload identity), Key Vault, blob storage and the model hub: HTTPS only.
                {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 443}]},
            ],
        },
    }


def secret_provider_parameters(*, client_id: str, tenant_id: str, vault_name: str, secret_name: str) -> dict[str, str]:
    """Azure provider parameters of a SecretProviderClass using workload identity."""
    objects = (
        f"array:\n  - |\n    objectName: {secret_name}\n    objectType: secret\n    objectAlias: {HUB_TOKEN_FILE}\n"
    )
    return {
        "usePodIdentity": "false",
        "useVMManagedIdentity": "false",
        "clientID": client_id,
        "keyvaultName": vault_name,
        "tenantId": tenant_id,
        "objects": objects,
    }
