"""The estate's Kubernetes workloads deploy for real: `up`, an `up` that changes nothing, an
in-place update and `destroy`, through the project's lifecycle code (Automation API, local file
backend), against the test bed's kube-apiserver with the pulumi-resource-kubernetes provider built
from source.

The program is tests/k8s_programs.py: `stacks.k8s_workloads.deploy` for the shipped dev
environment, with the Azure-side inputs from a platform-output dict. The engine runs the
estate's policy pack on the way, as `llmops-infra up` does.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import k8s_api as kapi
import k8s_programs
import k8s_testbed as tb
import pytest
from llmops_infra.components.gpu_runtime import CRITICAL_ADDONS_TOLERATION
from llmops_infra.config.loader import load_environment
from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.engine import lifecycle
from llmops_infra.engine.progress import Progress
from llmops_infra.engine.pulumi_cli import locate_engine
from llmops_infra.offline.mocks import AzureMocks
from llmops_infra.offline.synth import synthesize

REPO = Path(__file__).resolve().parent.parent
ENGINE = locate_engine()

pytestmark = [
    pytest.mark.engine,
    pytest.mark.k8s,
    pytest.mark.skipif(
        not ENGINE.found,
        reason="no Pulumi CLI on PATH or in the build cache (bash scripts/build-pulumi-cli.sh builds one)",
    ),
]


@pytest.fixture
def project(tmp_path, monkeypatch, k8s_testbed):
    """The shipped environments, a state directory, and a PULUMI_HOME whose only plugin is the
    kubernetes provider built by scripts/build-k8s-testbed.sh (never downloaded)."""
    shutil.copytree(REPO / "environments", tmp_path / "environments")
    plugin_dir = tmp_path / "pulumi-home" / "plugins" / f"resource-kubernetes-v{tb.sdk_plugin_version()}"
    plugin_dir.mkdir(parents=True)
    (plugin_dir / "pulumi-resource-kubernetes").symlink_to(k8s_testbed.binaries.provider)
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "pulumi-home"))
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "k8s-tier-passphrase")
    monkeypatch.setenv("PULUMI_SKIP_UPDATE_CHECK", "true")
    monkeypatch.setenv("PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", "true")
    return tmp_path


def _program(config: EnvironmentConfig, bed: tb.Testbed):
    return k8s_programs.workload_program(config, bed.kubeconfig, chart_dir=bed.binaries.gpu_operator_chart)


def _planned(config: EnvironmentConfig, bed: tb.Testbed) -> set[str]:
    """The same program under mocks: the URNs `up` must create (with the stack itself)."""
    mocks = AzureMocks(config.azure.subscription_id, config.azure.tenant_id, config.azure.location)
    plan = synthesize(_program(config, bed), environment=config.name, project="llmops", mocks=mocks)
    return {r.urn for r in plan.resources} | {
        f"urn:pulumi:{config.name}::llmops::pulumi:pulumi:Stack::llmops-{config.name}"
    }


def _workload_pack(config: EnvironmentConfig, project: Path) -> dict[str, list[str]]:
    """The estate's policy pack with the environment's levels, minus the stack rule that reads
    the Azure side: COST-01 wants a consumption budget in the stack, which the platform stack
    holds, not the workload stack. Every resource rule applies as in `llmops-infra up`."""
    if not ENGINE.language_host:
        return {}
    pack = lifecycle.shipped_policy_pack(config, project)
    if pack:
        path = Path(pack["policy_pack_configs"][0])
        settings = json.loads(path.read_text(encoding="utf-8"))
        settings["cost-01-budget"]["enforcementLevel"] = "disabled"
        path.write_text(json.dumps(settings), encoding="utf-8")
    return pack


def _get(client, path: str) -> dict:
    result = kapi.api_request(client, "GET", path)
    assert result.ok, f"GET {path}: {result.message}"
    return result.body


def _changed(config: EnvironmentConfig) -> EnvironmentConfig:
    """dev with a longer context and a higher queue threshold: the Deployment and the
    ScaledObject change in place."""
    data = config.model_dump(mode="python")
    [model] = data["inference"]["models"]
    model["max_model_len"] = model["max_model_len"] // 2
    model["queue_threshold"] += 3
    return EnvironmentConfig.model_validate(data)


def _wait_gone(client, path: str, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if kapi.api_request(client, "GET", path).status == 404:
            return True
        time.sleep(0.5)
    return False


def test_workload_up_noop_update_destroy(project, k8s_testbed, k8s_client):
    dev = load_environment("dev", project)
    [model] = dev.inference.models
    ns = model.name
    pack = _workload_pack(dev, project)
    program = _program(dev, k8s_testbed)
    expected = _planned(dev, k8s_testbed)

    diagnostics: list[dict] = []

    def watched(operation: str) -> Progress:
        """Progress that keeps the engine's warnings and errors (the provider reports the API
        server's warnings, e.g. Pod Security or deprecations, as diagnostics)."""
        return Progress(operation, listeners=[lambda r: diagnostics.append(r) if r["event"] == "diagnostic" else None])

    up = lifecycle.up(dev, project, program=program, engine=ENGINE, progress=watched("up"), **pack)
    assert {c["urn"] for c in up.changes if c["op"] == "create"} == expected
    assert up.summary["created"] == len(expected)
    assert up.summary["failed"] == 0
    assert up.outputs["service_hosts"] == {ns: f"{ns}.{ns}.svc.cluster.local"}
    assert not [p for p in up.policy if p["level"] == "mandatory"], up.policy

    # What the API server holds: the estate's namespaces and labels, a real ClusterIP, the CRs.
    labels = _get(k8s_client, f"/api/v1/namespaces/{ns}")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert _get(k8s_client, "/api/v1/namespaces/gateway")["metadata"]["labels"]["llmops.io/role"] == "gateway"
    service = _get(k8s_client, f"/api/v1/namespaces/{ns}/services/{ns}")
    assert service["spec"]["clusterIP"].startswith("10.0.0.")
    scaled = _get(k8s_client, f"/apis/keda.sh/v1alpha1/namespaces/{ns}/scaledobjects/{ns}")
    assert scaled["spec"]["triggers"][0]["metadata"]["threshold"] == str(model.queue_threshold)
    _get(k8s_client, f"/apis/secrets-store.csi.x-k8s.io/v1/namespaces/{ns}/secretproviderclasses/{ns}-kv")
    _get(k8s_client, f"/apis/azmonitoring.coreos.com/v1/namespaces/{ns}/podmonitors/{ns}")
    _get(k8s_client, "/apis/azmonitoring.coreos.com/v1/namespaces/gpu-operator/podmonitors/nvidia-dcgm-exporter")
    # The GPU operator chart, installed by Helm through the provider: its CRD, its ClusterPolicy and
    # the operator's Deployment, whose pods the controller manager made in the privileged namespace.
    _get(k8s_client, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/clusterpolicies.nvidia.com")
    assert _get(k8s_client, "/apis/nvidia.com/v1/clusterpolicies")["items"]
    operator = _get(k8s_client, "/apis/apps/v1/namespaces/gpu-operator/deployments/gpu-operator")
    assert operator["spec"]["template"]["spec"]["tolerations"] == [{"key": "CriticalAddonsOnly", "operator": "Exists"}]
    # Every workload the stack made got its pods: nothing refused by Pod Security anywhere.
    for namespace in (ns, "gpu-operator"):
        events = _get(k8s_client, f"/api/v1/namespaces/{namespace}/events")["items"]
        assert [e["message"] for e in events if e.get("reason") == "FailedCreate"] == []
    deadline = time.monotonic() + 30
    while not _get(k8s_client, f"/api/v1/namespaces/{ns}/pods")["items"] and time.monotonic() < deadline:
        time.sleep(0.3)
    [pod] = _get(k8s_client, f"/api/v1/namespaces/{ns}/pods")["items"]
    assert pod["status"]["phase"] == "Pending"  # no nodes: created and admitted, never scheduled

    again = lifecycle.up(dev, project, program=program, engine=ENGINE, progress=watched("up"), **pack)
    assert again.changes == [], again.changes
    assert again.summary["unchanged"] == len(expected)

    changed = _changed(dev)
    update = lifecycle.up(
        changed, project, program=_program(changed, k8s_testbed), engine=ENGINE, progress=watched("up"), **pack
    )
    ops = sorted((c["op"], c["urn"].rsplit("::", 1)[-1]) for c in update.changes)
    assert ops == [("update", f"{ns}-deploy"), ("update", f"{ns}-scaledobject")], update.changes
    assert update.summary["replaced"] == 0 and update.summary["created"] == 0
    args = _get(k8s_client, f"/apis/apps/v1/namespaces/{ns}/deployments/{ns}")["spec"]["template"]["spec"]
    assert str(model.max_model_len // 2) in args["containers"][0]["args"]
    scaled = _get(k8s_client, f"/apis/keda.sh/v1alpha1/namespaces/{ns}/scaledobjects/{ns}")
    assert scaled["spec"]["triggers"][0]["metadata"]["threshold"] == str(model.queue_threshold + 3)
    # The rollout is real: the Deployment controller made a second ReplicaSet for the new template.
    assert len(_get(k8s_client, f"/apis/apps/v1/namespaces/{ns}/replicasets")["items"]) == 2

    # Helm runs the chart's post-delete hook (node-feature-discovery's prune Job) on uninstall and
    # waits for it; with no node, the test plays the kubelet and marks the Job's pod Succeeded.
    with kapi.completing_hook_jobs(k8s_testbed, "gpu-operator") as hook_pods:
        gone = lifecycle.destroy(
            changed, project, program=_program(changed, k8s_testbed), engine=ENGINE, progress=watched("destroy")
        )
    assert {c["urn"] for c in gone.changes if c["op"] == "delete"} == expected
    [prune] = [p for p in hook_pods if "prune" in p["metadata"]["name"]]
    # On AKS the system pool is tainted CriticalAddonsOnly and the GPU pools are tainted too: the
    # hook only runs (and `destroy` only finishes) because the estate's values give it that toleration.
    assert CRITICAL_ADDONS_TOLERATION in prune["spec"]["tolerations"]
    print(
        f"workload on the test bed: up {up.summary['duration_seconds']}s, no-op up {again.summary['duration_seconds']}s, "
        f"update {update.summary['duration_seconds']}s, destroy {gone.summary['duration_seconds']}s"
    )
    for path in (f"/api/v1/namespaces/{ns}", "/api/v1/namespaces/gateway", "/api/v1/namespaces/gpu-operator"):
        assert _wait_gone(k8s_client, path), f"{path} still exists"
