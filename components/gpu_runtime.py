"""The GPU runtime on the cluster: drivers, device plugin and GPU metrics.

Two modes, matching how the GPU pools were created (`GpuClusterArgs.operator_installs_driver`):

- `operator`: the NVIDIA GPU operator (Helm release, pinned chart) installs the driver and
  the container toolkit on nodes that AKS left without one (`gpuProfile.driver: None`), and
  runs the device plugin and the DCGM exporter.
- `device-plugin`: AKS installed the driver; the NVIDIA device plugin DaemonSet advertises
  `nvidia.com/gpu` and a DCGM exporter DaemonSet publishes GPU metrics.

Either way, GPU metrics reach managed Prometheus through a `PodMonitor` of the
`azmonitoring.coreos.com/v1` API (the CRD the AKS metrics add-on installs and watches),
selecting the exporter pods by `app: nvidia-dcgm-exporter` on their `metrics` port (9400).
The node agents tolerate every GPU and spot taint; controllers tolerate
`CriticalAddonsOnly`, because the system pool is the only non-GPU pool.

The runtime namespace is labelled Pod Security `privileged`: drivers, device plugins and
exporters need host access by nature. Application namespaces stay `restricted`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from llmops_infra.components.node_pools import ACCELERATOR_LABEL, GPU_TOLERATION_ANY, SPOT_TOLERATION_ANY

GPU_OPERATOR_REPO = "https://helm.ngc.nvidia.com/nvidia"
GPU_OPERATOR_CHART = "gpu-operator"
GPU_OPERATOR_VERSION = "v24.9.2"
DEVICE_PLUGIN_IMAGE = "nvcr.io/nvidia/k8s-device-plugin:v0.17.0"
DCGM_EXPORTER_IMAGE = "nvcr.io/nvidia/k8s/dcgm-exporter:3.3.9-3.6.1-ubuntu22.04"
DCGM_LABELS = {"app": "nvidia-dcgm-exporter"}
DCGM_PORT_NAME = "metrics"
DCGM_PORT = 9400
CRITICAL_ADDONS_TOLERATION = {"key": "CriticalAddonsOnly", "operator": "Exists"}
NODE_AGENT_TOLERATIONS = [GPU_TOLERATION_ANY, SPOT_TOLERATION_ANY]


@dataclass(frozen=True, kw_only=True)
class GpuRuntimeArgs:
    provider: k8s.Provider
    """The cluster's Kubernetes provider (Entra user credentials)."""
    mode: Literal["operator", "device-plugin"] = "operator"
    """operator: the GPU operator installs drivers; device-plugin: AKS did."""
    namespace: str = "gpu-operator"
    operator_chart_version: str = GPU_OPERATOR_VERSION
    """Pinned: a chart upgrade changes drivers on every GPU node, so it is a deliberate change."""
    device_plugin_image: str = DEVICE_PLUGIN_IMAGE
    dcgm_exporter_image: str = DCGM_EXPORTER_IMAGE
    scrape_interval: str = "30s"

    def __post_init__(self) -> None:
        if not self.operator_chart_version or self.operator_chart_version in {"latest", "*"}:
            raise ValueError("operator_chart_version must pin a chart version, e.g. v24.9.2")


class GpuRuntime(pulumi.ComponentResource):
    """NVIDIA drivers, device plugin and DCGM exporter on the GPU pools, scraped by managed
    Prometheus.

    Children: the runtime namespace; the GPU operator release (operator mode) or the device
    plugin and DCGM exporter DaemonSets (device-plugin mode); the DCGM PodMonitor.
    """

    namespace: str

    def __init__(self, name: str, args: GpuRuntimeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:compute:GpuRuntime", name, None, opts)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        ns = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata={"name": args.namespace, "labels": {
                "pod-security.kubernetes.io/enforce": "privileged",
                "pod-security.kubernetes.io/warn": "privileged",
                "llmops.io/role": "gpu-runtime",
            }},
            opts=k8s_opts,
        )
        in_ns = pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[ns]))
        if args.mode == "operator":
            agents: list[pulumi.Resource] = [self._operator(name, args, in_ns)]
        else:
            agents = [self._device_plugin(name, args, in_ns), self._dcgm_exporter(name, args, in_ns)]
        k8s.apiextensions.CustomResource(
            f"{name}-dcgm-podmonitor",
            api_version="azmonitoring.coreos.com/v1",
            kind="PodMonitor",
            metadata={"name": "nvidia-dcgm-exporter", "namespace": args.namespace},
            spec={
                "selector": {"matchLabels": DCGM_LABELS},
                "namespaceSelector": {"matchNames": [args.namespace]},
                "podMetricsEndpoints": [{"port": DCGM_PORT_NAME, "path": "/metrics", "interval": args.scrape_interval}],
            },
            opts=pulumi.ResourceOptions.merge(in_ns, pulumi.ResourceOptions(depends_on=agents)),
        )
        self.namespace = args.namespace
        self.register_outputs({"namespace": args.namespace})

    @staticmethod
    def operator_values(args: GpuRuntimeArgs) -> dict[str, Any]:
        """Helm values of the GPU operator (a pure function, so tests can read it)."""
        controller = {"tolerations": [CRITICAL_ADDONS_TOLERATION]}
        return {
            "operator": {**controller, "defaultRuntime": "containerd"},
            "driver": {"enabled": True},
            "toolkit": {"enabled": True},
            "devicePlugin": {"enabled": True},
            "dcgmExporter": {"enabled": True, "serviceMonitor": {"enabled": False}},
            "migManager": {"enabled": False},
            "daemonsets": {"tolerations": NODE_AGENT_TOLERATIONS, "priorityClassName": "system-node-critical"},
            "node-feature-discovery": {
                "master": controller,
                "gc": controller,
                "worker": {"tolerations": [*NODE_AGENT_TOLERATIONS, CRITICAL_ADDONS_TOLERATION]},
            },
        }

    def _operator(self, name: str, args: GpuRuntimeArgs, opts: pulumi.ResourceOptions) -> k8s.helm.v3.Release:
        # A Release (installed by the provider, server-side state in Helm) rather than
        # helm.v3.Chart / v4.Chart, which render on the client and would fetch the chart
        # during planning.
        return k8s.helm.v3.Release(
            f"{name}-gpu-operator",
            name="gpu-operator",
            chart=GPU_OPERATOR_CHART,
            version=args.operator_chart_version,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=GPU_OPERATOR_REPO),
            namespace=args.namespace,
            create_namespace=False,
            atomic=True,
            cleanup_on_fail=True,
            timeout=900,
            values=self.operator_values(args),
            opts=opts,
        )

    def _device_plugin(self, name: str, args: GpuRuntimeArgs, opts: pulumi.ResourceOptions) -> k8s.apps.v1.DaemonSet:
        labels = {"app": "nvidia-device-plugin"}
        return k8s.apps.v1.DaemonSet(
            f"{name}-device-plugin",
            metadata={"name": "nvidia-device-plugin", "namespace": args.namespace, "labels": labels},
            spec={
                "selector": {"matchLabels": labels},
                "updateStrategy": {"type": "RollingUpdate"},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "priorityClassName": "system-node-critical",
                        "nodeSelector": {ACCELERATOR_LABEL: "nvidia"},
                        "tolerations": NODE_AGENT_TOLERATIONS,
                        "automountServiceAccountToken": False,
                        "containers": [{
                            "name": "nvidia-device-plugin",
                            "image": args.device_plugin_image,
                            "env": [{"name": "FAIL_ON_INIT_ERROR", "value": "false"}],
                            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                                          "limits": {"cpu": "200m", "memory": "128Mi"}},
                            "volumeMounts": [{"name": "device-plugin", "mountPath": "/var/lib/kubelet/device-plugins"}],
                        }],
                        "volumes": [{"name": "device-plugin", "hostPath": {"path": "/var/lib/kubelet/device-plugins"}}],
                    },
                },
            },
            opts=opts,
        )

    def _dcgm_exporter(self, name: str, args: GpuRuntimeArgs, opts: pulumi.ResourceOptions) -> k8s.apps.v1.DaemonSet:
        return k8s.apps.v1.DaemonSet(
            f"{name}-dcgm-exporter",
            metadata={"name": "nvidia-dcgm-exporter", "namespace": args.namespace, "labels": DCGM_LABELS},
            spec={
                "selector": {"matchLabels": DCGM_LABELS},
                "template": {
                    "metadata": {"labels": DCGM_LABELS},
                    "spec": {
                        "priorityClassName": "system-node-critical",
                        "nodeSelector": {ACCELERATOR_LABEL: "nvidia"},
                        "tolerations": NODE_AGENT_TOLERATIONS,
                        "automountServiceAccountToken": False,
                        "containers": [{
                            "name": "dcgm-exporter",
                            "image": args.dcgm_exporter_image,
                            "env": [{"name": "DCGM_EXPORTER_KUBERNETES", "value": "true"},
                                    {"name": "DCGM_EXPORTER_LISTEN", "value": f":{DCGM_PORT}"}],
                            "ports": [{"name": DCGM_PORT_NAME, "containerPort": DCGM_PORT}],
                            # Profiling metrics need SYS_ADMIN; nothing else is added.
                            "securityContext": {"runAsNonRoot": False, "runAsUser": 0,
                                                "capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]}},
                            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                                          "limits": {"cpu": "500m", "memory": "512Mi"}},
                            "volumeMounts": [{"name": "pod-resources", "mountPath": "/var/lib/kubelet/pod-resources",
                                              "readOnly": True}],
                        }],
                        "volumes": [{"name": "pod-resources", "hostPath": {"path": "/var/lib/kubelet/pod-resources"}}],
                    },
                },
            },
            opts=opts,
        )
