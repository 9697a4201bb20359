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

from llmops_infra.components.inference_manifests import PROMETHEUS_AGENT_PEER
from llmops_infra.components.node_pools import ACCELERATOR_LABEL, GPU_TOLERATION_ANY, SPOT_TOLERATION_ANY

GPU_OPERATOR_REPO = "https://helm.ngc.nvidia.com/nvidia"
GPU_OPERATOR_CHART = "gpu-operator"
GPU_OPERATOR_VERSION = "v26.7.0"
"""Supported release on 2026-12-01 (NVIDIA life-cycle policy; policies/data/lifecycle.json)."""
GPU_DRIVER_VERSION = "580.173.02"
"""R580, the long-term support branch (end of life June 2028, CUDA 13): listed for v26.7.0; the release's
default (595.91.07) is a production branch that reaches end of life in March 2027."""
DEVICE_PLUGIN_IMAGE = "nvidia/k8s-device-plugin"
DEVICE_PLUGIN_DIGEST = "sha256:7089559ce6153018806857f5049085bae15b3bf6f1c8bd19d8b12f707d087dea"
"""nvcr.io/nvidia/k8s-device-plugin:v0.17.0. Refresh with the tag on every upgrade."""
DCGM_EXPORTER_IMAGE = "nvidia/k8s/dcgm-exporter"
DCGM_EXPORTER_DIGEST = "sha256:98781424e83e14e8855aa6881e5ca8e68c81fdc75c82dd1bb3fe924349aee9d4"
"""nvcr.io/nvidia/k8s/dcgm-exporter:3.3.7-3.5.0-ubuntu22.04. Refresh with the tag on every upgrade."""
DEVICE_PLUGIN_LABELS = {"app": "nvidia-device-plugin"}
DEVICE_PLUGIN_SOCKET = "/var/lib/kubelet/device-plugins/nvidia-gpu.sock"
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
    """operator: the GPU operator installs drivers; device-plugin: AKS did. Default: the GPU operator."""
    namespace: str = "gpu-operator"
    """Namespace of the GPU runtime (Pod Security `privileged`). Default: gpu-operator, the
    operator's usual namespace."""
    operator_chart_version: str = GPU_OPERATOR_VERSION
    """Pinned: a chart upgrade changes drivers on every GPU node, so it is a deliberate change.
    Default: the version this module pins (GPU_OPERATOR_VERSION)."""
    driver_version: str | None = GPU_DRIVER_VERSION
    """The driver the operator installs (`driver.version`); None: the release's default driver."""
    registry_login_server: pulumi.Input[str] | None = None
    """The estate's registry (device-plugin mode): the node agents' images are pulled from it
    by digest. The deployment pipeline imports them from nvcr.io first (`az acr import`
    keeps the digest): `az acr import -n <registry> --source nvcr.io/nvidia/k8s-device-plugin:v0.17.0
    --image nvidia/k8s-device-plugin:v0.17.0`, likewise the DCGM exporter.
    Default: none (required in device-plugin mode)."""
    device_plugin_image: str = DEVICE_PLUGIN_IMAGE
    """Repository in the estate's registry. Default: NVIDIA's device plugin repository, as `az acr import` names it."""
    device_plugin_digest: str = DEVICE_PLUGIN_DIGEST
    """Pinned; refresh it (with the tag it came from) on every device plugin upgrade.
    Default: the digest this module pins."""
    dcgm_exporter_image: str = DCGM_EXPORTER_IMAGE
    """Repository of the DCGM exporter in the estate's registry (device-plugin mode). Default:
    NVIDIA's exporter repository, as `az acr import` names it."""
    dcgm_exporter_digest: str = DCGM_EXPORTER_DIGEST
    """Pinned; refresh it (with the tag it came from) on every exporter upgrade.
    Default: the digest this module pins."""
    scrape_interval: str = "30s"
    """How often managed Prometheus scrapes the GPU metrics. Default: every 30 seconds."""

    def __post_init__(self) -> None:
        if not self.operator_chart_version or self.operator_chart_version in {"latest", "*"}:
            raise ValueError("operator_chart_version must pin a chart version, e.g. v26.7.0")
        if self.mode == "device-plugin" and self.registry_login_server is None:
            raise ValueError(
                "device-plugin mode pulls the node agents from the estate's registry: pass registry_login_server"
            )
        for label, digest in (
            ("device_plugin_digest", self.device_plugin_digest),
            ("dcgm_exporter_digest", self.dcgm_exporter_digest),
        ):
            if not digest.startswith("sha256:"):
                raise ValueError(f"{label} {digest!r} is not a sha256 digest: node agents are pinned by digest")


class GpuRuntime(pulumi.ComponentResource):
    """NVIDIA drivers, device plugin and DCGM exporter on the GPU pools, scraped by managed
    Prometheus.

    Children: the runtime namespace; the GPU operator release (operator mode), or (device-plugin
    mode) the device plugin and DCGM exporter DaemonSets with their own service accounts (token
    automount off) and network policies (default deny; Prometheus may scrape the exporter);
    the DCGM PodMonitor.
    """

    namespace: str

    def __init__(self, name: str, args: GpuRuntimeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:compute:GpuRuntime", name, None, opts)
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        ns = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata={
                "name": args.namespace,
                "labels": {
                    "pod-security.kubernetes.io/enforce": "privileged",
                    "pod-security.kubernetes.io/warn": "privileged",
                    "llmops.io/role": "gpu-runtime",
                },
            },
            opts=k8s_opts,
        )
        in_ns = pulumi.ResourceOptions.merge(k8s_opts, pulumi.ResourceOptions(depends_on=[ns]))
        if args.mode == "operator":
            agents: list[pulumi.Resource] = [self._operator(name, args, in_ns)]
        else:
            agents = self._node_agents(name, args, in_ns)
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
            "driver": {"enabled": True, **({"version": args.driver_version} if args.driver_version else {})},
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

    def _node_agents(self, name: str, args: GpuRuntimeArgs, opts: pulumi.ResourceOptions) -> list[pulumi.Resource]:
        """The device plugin and the DCGM exporter, each with a service account, behind network policies."""
        assert args.registry_login_server is not None
        plugin = node_agent_container(
            "nvidia-device-plugin",
            image=pulumi.Output.concat(
                args.registry_login_server, "/", args.device_plugin_image, "@", args.device_plugin_digest
            ),
            env={"FAIL_ON_INIT_ERROR": "false"},
            security={"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
            resources=({"cpu": "50m", "memory": "64Mi"}, {"cpu": "200m", "memory": "128Mi"}),
            mounts=[("device-plugin", "/var/lib/kubelet/device-plugins", False)],
            # No HTTP endpoint: the plugin is healthy while its socket is served for the kubelet.
            # `/bin/sh` with its `test` builtin: the plugin images ship a shell (UBI bases up to
            # v0.17; /bin/sh -> busybox on the distroless ones since v0.18). An image without
            # one needs a K8S-04 exemption instead.
            probe={"exec": {"command": ["/bin/sh", "-c", f"test -S {DEVICE_PLUGIN_SOCKET}"]}},
        )
        exporter = node_agent_container(
            "dcgm-exporter",
            image=pulumi.Output.concat(
                args.registry_login_server, "/", args.dcgm_exporter_image, "@", args.dcgm_exporter_digest
            ),
            env={"DCGM_EXPORTER_KUBERNETES": "true", "DCGM_EXPORTER_LISTEN": f":{DCGM_PORT}"},
            # Profiling metrics need SYS_ADMIN; nothing else is added.
            security={"runAsNonRoot": False, "runAsUser": 0, "capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]}},
            resources=({"cpu": "100m", "memory": "128Mi"}, {"cpu": "500m", "memory": "512Mi"}),
            mounts=[("pod-resources", "/var/lib/kubelet/pod-resources", True)],
            probe={"httpGet": {"path": "/health", "port": DCGM_PORT}},
            port=(DCGM_PORT_NAME, DCGM_PORT),
        )
        agents: list[pulumi.Resource] = []
        for role, labels, container in (
            ("device-plugin", DEVICE_PLUGIN_LABELS, plugin),
            ("dcgm-exporter", DCGM_LABELS, exporter),
        ):
            account = k8s.core.v1.ServiceAccount(
                f"{name}-{role}-sa",
                metadata={"name": labels["app"], "namespace": args.namespace},
                automount_service_account_token=False,
                opts=opts,
            )
            agents.append(
                k8s.apps.v1.DaemonSet(
                    f"{name}-{role}",
                    metadata={"name": labels["app"], "namespace": args.namespace, "labels": labels},
                    spec=node_agent_spec(labels, container, service_account=labels["app"]),
                    opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[account])),
                )
            )
        for role, policy in node_agent_network_policies().items():
            k8s.networking.v1.NetworkPolicy(
                f"{name}-netpol-{role}",
                metadata={"name": role, "namespace": args.namespace},
                spec=policy,
                opts=opts,
            )
        return agents


def node_agent_container(
    name: str,
    *,
    image: Any,
    env: dict[str, str],
    security: dict[str, Any],
    resources: tuple[dict[str, str], dict[str, str]],
    mounts: list[tuple[str, str, bool]],
    probe: dict[str, Any],
    port: tuple[str, int] | None = None,
) -> dict[str, Any]:
    """A node agent's container: its hostPath mounts (named like the volumes), and one check used
    as startup, readiness and liveness probe."""
    container: dict[str, Any] = {
        "name": name,
        "image": image,
        "env": [{"name": k, "value": v} for k, v in env.items()],
        "securityContext": security,
        "resources": {"requests": resources[0], "limits": resources[1]},
        "volumeMounts": [
            {"name": volume, "mountPath": path, **({"readOnly": True} if read_only else {})}
            for volume, path, read_only in mounts
        ],
        "startupProbe": {**probe, "periodSeconds": 10, "failureThreshold": 30, "timeoutSeconds": 5},
        "readinessProbe": {**probe, "periodSeconds": 30, "failureThreshold": 3, "timeoutSeconds": 5},
        "livenessProbe": {**probe, "periodSeconds": 30, "failureThreshold": 5, "timeoutSeconds": 5},
    }
    if port is not None:
        container["ports"] = [{"name": port[0], "containerPort": port[1]}]
    return container


def node_agent_spec(labels: dict[str, str], container: dict[str, Any], *, service_account: str) -> dict[str, Any]:
    """A DaemonSet spec on every GPU node (spot included), with the container's mounts as hostPaths."""
    volumes = [{"name": m["name"], "hostPath": {"path": m["mountPath"]}} for m in container["volumeMounts"]]
    return {
        "selector": {"matchLabels": labels},
        "updateStrategy": {"type": "RollingUpdate"},
        "template": {
            "metadata": {"labels": labels},
            "spec": {
                "serviceAccountName": service_account,
                "automountServiceAccountToken": False,
                "priorityClassName": "system-node-critical",
                "nodeSelector": {ACCELERATOR_LABEL: "nvidia"},
                "tolerations": NODE_AGENT_TOLERATIONS,
                "containers": [container],
                "volumes": volumes,
            },
        },
    }


def node_agent_network_policies() -> dict[str, dict[str, Any]]:
    """Default deny both ways for the runtime namespace (the agents talk to the kubelet over unix
    sockets, not the network); managed Prometheus may scrape the exporter's metrics port."""
    return {
        "default-deny": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        "allow-prometheus-scrape": {
            "podSelector": {"matchLabels": DCGM_LABELS},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [PROMETHEUS_AGENT_PEER], "ports": [{"protocol": "TCP", "port": DCGM_PORT}]}],
        },
    }
