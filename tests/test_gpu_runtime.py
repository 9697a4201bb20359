"""GpuRuntime: the GPU operator (pinned Helm release) or the device plugin, and DCGM metrics."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pytest

from llmops_infra.components.gpu_runtime import (
    DCGM_LABELS,
    GPU_OPERATOR_REPO,
    GPU_OPERATOR_VERSION,
    GpuRuntime,
    GpuRuntimeArgs,
)
from llmops_infra.components.node_pools import GPU_TOLERATION_ANY, SPOT_TOLERATION_ANY
from llmops_infra.stacks.mocks import AzureMocks
from llmops_infra.stacks.synth import synthesize

SUB = "11111111-1111-4111-8111-111111111111"
TENANT = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"


def _plan(mode: str):
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig=pulumi.Output.secret("apiVersion: v1"))
        GpuRuntime("gpu", GpuRuntimeArgs(provider=provider, mode=mode))

    return synthesize(program, environment="test", project="llmops", mocks=AzureMocks(SUB, TENANT, "eastus"))


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


def test_device_plugin_mode_runs_daemonsets_instead_of_the_operator():
    plan = _plan("device-plugin")
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


def test_unpinned_chart_is_rejected():
    with pytest.raises(ValueError, match="pin a chart version"):
        GpuRuntimeArgs(provider=None, operator_chart_version="latest")  # type: ignore[arg-type]


def test_shipped_environments_install_the_operator(plans):
    for env in ("dev", "prod"):
        [release] = plans(env).of_type("kubernetes:helm.sh/v3:Release")
        assert release.props["version"] == GPU_OPERATOR_VERSION
