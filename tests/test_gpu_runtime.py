"""GpuRuntime: the GPU operator (pinned Helm release) or the device plugin, and DCGM metrics."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pytest
from helpers import synth

from llmops_infra.components.gpu_runtime import (
    DCGM_EXPORTER_DIGEST,
    DCGM_LABELS,
    DEVICE_PLUGIN_DIGEST,
    DEVICE_PLUGIN_SOCKET,
    GPU_OPERATOR_REPO,
    GPU_OPERATOR_VERSION,
    GpuRuntime,
    GpuRuntimeArgs,
)
from llmops_infra.components.node_pools import GPU_TOLERATION_ANY, SPOT_TOLERATION_ANY


def _plan(mode: str):
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig=pulumi.Output.secret("apiVersion: v1"))
        GpuRuntime("gpu", GpuRuntimeArgs(provider=provider, mode=mode, registry_login_server="cr1.azurecr.io"))

    return synth(program)


@pytest.fixture(scope="module")
def operator_plan():
    return _plan("operator")


def test_operator_is_a_pinned_helm_release_from_nvidia(operator_plan):
    [release] = operator_plan.of_type("kubernetes:helm.sh/v3:Release")
    props = release.props
    assert props["chart"] == "gpu-operator"
    assert props["version"] == GPU_OPERATOR_VERSION
    assert props["repositoryOpts"] == {"repo": GPU_OPERATOR_REPO}
    assert props["namespace"] == "gpu-operator"
    assert release.provider.endswith("::k8s")


def test_operator_installs_driver_and_exports_dcgm_metrics(operator_plan):
    [release] = operator_plan.of_type("kubernetes:helm.sh/v3:Release")
    values = release.props["values"]
    assert values["driver"]["enabled"] is True
    assert values["toolkit"]["enabled"] is True
    assert values["dcgmExporter"] == {"enabled": True, "serviceMonitor": {"enabled": False}}


def test_operator_agents_tolerate_gpu_and_spot_taints(operator_plan):
    [release] = operator_plan.of_type("kubernetes:helm.sh/v3:Release")
    values = release.props["values"]
    assert GPU_TOLERATION_ANY in values["daemonsets"]["tolerations"]
    assert SPOT_TOLERATION_ANY in values["daemonsets"]["tolerations"]
    assert GPU_TOLERATION_ANY in values["node-feature-discovery"]["worker"]["tolerations"]
    # Controllers run on the system pool, the only pool without a GPU taint.
    assert {"key": "CriticalAddonsOnly", "operator": "Exists"} in values["operator"]["tolerations"]


def test_dcgm_exporter_is_scraped_by_managed_prometheus(operator_plan):
    [monitor] = operator_plan.of_type("kubernetes:azmonitoring.coreos.com/v1:PodMonitor")
    spec = monitor.props["spec"]
    assert spec["selector"] == {"matchLabels": DCGM_LABELS}
    assert spec["podMetricsEndpoints"][0]["port"] == "metrics"
    assert monitor.props["metadata"]["namespace"] == "gpu-operator"


def test_runtime_namespace_is_labelled_privileged_explicitly(operator_plan):
    [ns] = operator_plan.of_type("kubernetes:core/v1:Namespace")
    assert ns.props["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"


def test_device_plugin_mode_runs_daemonsets_instead_of_the_operator(device_plugin_plan):
    plan = device_plugin_plan
    assert plan.of_type("kubernetes:helm.sh/v3:Release") == []
    daemonsets = {d.props["metadata"]["name"]: d.props for d in plan.of_type("kubernetes:apps/v1:DaemonSet")}
    assert set(daemonsets) == {"nvidia-device-plugin", "nvidia-dcgm-exporter"}
    for ds in daemonsets.values():
        pod = ds["spec"]["template"]["spec"]
        assert GPU_TOLERATION_ANY in pod["tolerations"]
        assert SPOT_TOLERATION_ANY in pod["tolerations"]
        assert pod["nodeSelector"] == {"llmops.io/accelerator": "nvidia"}
    dcgm = daemonsets["nvidia-dcgm-exporter"]["spec"]["template"]
    assert dcgm["metadata"]["labels"] == DCGM_LABELS
    assert dcgm["spec"]["containers"][0]["ports"] == [{"name": "metrics", "containerPort": 9400}]
    [monitor] = plan.of_type("kubernetes:azmonitoring.coreos.com/v1:PodMonitor")
    assert monitor.props["spec"]["selector"]["matchLabels"] == dcgm["metadata"]["labels"]


@pytest.fixture(scope="module")
def device_plugin_plan():
    return _plan("device-plugin")


def _daemonset_pods(plan) -> dict[str, dict]:
    return {
        d.props["metadata"]["name"]: d.props["spec"]["template"]["spec"]
        for d in plan.of_type("kubernetes:apps/v1:DaemonSet")
    }


def test_node_agents_come_from_the_estate_registry_by_digest(device_plugin_plan):
    images = {name: pod["containers"][0]["image"] for name, pod in _daemonset_pods(device_plugin_plan).items()}
    assert images == {
        "nvidia-device-plugin": f"cr1.azurecr.io/nvidia/k8s-device-plugin@{DEVICE_PLUGIN_DIGEST}",
        "nvidia-dcgm-exporter": f"cr1.azurecr.io/nvidia/k8s/dcgm-exporter@{DCGM_EXPORTER_DIGEST}",
    }


def test_node_agents_run_as_their_own_service_accounts_without_api_tokens(device_plugin_plan):
    accounts = {
        a.props["metadata"]["name"]: a.props for a in device_plugin_plan.of_type("kubernetes:core/v1:ServiceAccount")
    }
    assert set(accounts) == {"nvidia-device-plugin", "nvidia-dcgm-exporter"}
    assert all(a["automountServiceAccountToken"] is False for a in accounts.values())
    for name, pod in _daemonset_pods(device_plugin_plan).items():
        assert pod["serviceAccountName"] == name
        assert pod["automountServiceAccountToken"] is False


def test_node_agents_are_probed(device_plugin_plan):
    pods = _daemonset_pods(device_plugin_plan)
    plugin = pods["nvidia-device-plugin"]["containers"][0]
    exporter = pods["nvidia-dcgm-exporter"]["containers"][0]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert plugin[probe]["exec"] == {"command": ["/bin/sh", "-c", f"test -S {DEVICE_PLUGIN_SOCKET}"]}
        assert exporter[probe]["httpGet"] == {"path": "/health", "port": 9400}
    # The socket the probe tests lives on the mounted kubelet directory.
    assert DEVICE_PLUGIN_SOCKET.startswith(plugin["volumeMounts"][0]["mountPath"] + "/")
    assert pods["nvidia-device-plugin"]["volumes"] == [
        {"name": "device-plugin", "hostPath": {"path": "/var/lib/kubelet/device-plugins"}}
    ]


def test_runtime_namespace_denies_traffic_but_prometheus_scrapes(device_plugin_plan):
    policies = {
        p.props["metadata"]["name"]: p.props["spec"]
        for p in device_plugin_plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    scrape = policies["allow-prometheus-scrape"]
    assert scrape["podSelector"] == {"matchLabels": DCGM_LABELS}
    assert scrape["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 9400}]
    assert scrape["ingress"][0]["from"][0]["podSelector"] == {"matchLabels": {"rsName": "ama-metrics"}}


def test_operator_mode_adds_no_network_policies(operator_plan):
    assert operator_plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy") == []


def test_device_plugin_mode_needs_the_registry_and_digests():
    with pytest.raises(ValueError, match="registry_login_server"):
        GpuRuntimeArgs(provider=None, mode="device-plugin")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a sha256 digest"):
        GpuRuntimeArgs(
            provider=None,
            mode="device-plugin",
            registry_login_server="cr1.azurecr.io",  # type: ignore[arg-type]
            dcgm_exporter_digest="3.3.7",
        )


def test_config_defaults_pin_the_same_digests_as_the_component():
    from llmops_infra.config.models import ClusterConfig

    fields = ClusterConfig.model_fields
    assert fields["device_plugin_image_digest"].default == DEVICE_PLUGIN_DIGEST
    assert fields["dcgm_exporter_image_digest"].default == DCGM_EXPORTER_DIGEST


def test_unpinned_chart_is_rejected():
    with pytest.raises(ValueError, match="pin a chart version"):
        GpuRuntimeArgs(provider=None, operator_chart_version="latest")  # type: ignore[arg-type]


def test_shipped_environments_install_the_operator(plans):
    for env in ("dev", "prod"):
        [release] = plans(env).of_type("kubernetes:helm.sh/v3:Release")
        assert release.props["version"] == GPU_OPERATOR_VERSION
