"""The estate's workload stack deploys for real: `up`, an `up` that changes nothing, an in-place
update and `destroy`, through the project's lifecycle code (Automation API, local file backend,
each stack in its workspace), against the test bed's kube-apiserver with the
pulumi-resource-kubernetes provider built from source.

As `llmops-infra up dev --only platform` then `--only workload` would: the platform stack is a
stand-in that only exports the platform's outputs (tests/k8s_programs.py: PLATFORM_OUTPUTS, no
Azure); the workload stack is the estate's own (`stacks/stage_workload.py`), reading those
outputs through its StackReference, with the test bed's kubeconfig in place of the cluster's
Azure credentials. The engine runs the estate's policy pack on the workload stack, as the
command does.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import k8s_api as kapi
import k8s_programs
import k8s_testbed as tb
import pytest

from llmops_infra.components.gpu_runtime import CRITICAL_ADDONS_TOLERATION
from llmops_infra.config.loader import load_environment
from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.engine import lifecycle
from llmops_infra.engine.policy_packs import PolicyPacks
from llmops_infra.engine.progress import Progress
from llmops_infra.engine.pulumi_cli import locate_engine
from llmops_infra.offline.planning import plan_config
from llmops_infra.stacks.estate import WORKLOAD_PROJECT
from llmops_infra.stacks.stage_gateway import vllm_gateway_ip

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
    """The shipped environments, a state directory and a PULUMI_HOME whose only plugin is the
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


def _aim_the_estate_at(bed: tb.Testbed, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stack programs the lifecycle runs (`estate.program_for`): the platform stand-in, and
    the estate's workload stack on the test bed."""

    def program_for(config: EnvironmentConfig, stack: str = "platform", platform: Any = None, **_: Any):
        if stack == "platform":
            return k8s_programs.platform_program()
        return k8s_programs.workload_program(config, bed.kubeconfig, chart_dir=bed.binaries.gpu_operator_chart)

    monkeypatch.setattr("llmops_infra.stacks.estate.program_for", program_for)
    monkeypatch.setattr("llmops_infra.engine.seed.default_bootstrap", lambda config: k8s_programs.StandInBootstrap())


def _planned_workload(config: EnvironmentConfig) -> set[str]:
    """The workload stack of the offline plan: the URNs `up` must create (with the stack itself), but for
    the Key Vault grants (`SecretAccess`) and the ML deployments (`MlDeployments`), which the tier leaves out
    (`kubernetes_only`: no Azure here)."""
    stack = f"urn:pulumi:{config.name}::{WORKLOAD_PROJECT}::pulumi:pulumi:Stack::{WORKLOAD_PROJECT}-{config.name}"
    planned = {r.urn for r in plan_config(config).stacks()["workload"]}
    azure = {urn for urn in planned if "llmops:security:SecretAccess" in urn or "llmops:ai:MlDeployments" in urn}
    assert any("SecretAccess" in urn for urn in azure), "the offline plan holds the workload stack's Key Vault grants"
    assert any("MlDeployments" in urn for urn in azure), "the offline plan holds the workload stack's ML deployments"
    return planned - azure | {stack}


def _default_provider(config: EnvironmentConfig) -> str:
    """The engine's default `pulumi` provider, which reads the StackReference (created, not
    counted in the engine's summary, not in the offline plan)."""
    return f"urn:pulumi:{config.name}::{WORKLOAD_PROJECT}::pulumi:providers:pulumi::default"


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


def _wait_pods(client, namespace: str, timeout: float = 30.0, count: int = 1) -> list[dict]:
    deadline = time.monotonic() + timeout
    while (
        len(pods := _get(client, f"/api/v1/namespaces/{namespace}/pods")["items"]) < count
        and time.monotonic() < deadline
    ):
        time.sleep(0.3)
    return pods


def test_workload_stack_up_noop_update_destroy(project, k8s_testbed, k8s_client, monkeypatch):
    dev = load_environment("dev", project)
    [model] = dev.inference.models
    ns = model.name
    expected = _planned_workload(dev)
    _aim_the_estate_at(k8s_testbed, monkeypatch)
    pack = PolicyPacks().arguments(dev, project)  # the shipped pack, as `llmops-infra up` runs it
    up_workload = {"engine": ENGINE, "only": "workload", **pack}

    lifecycle.up(dev, project, engine=ENGINE, only="platform")  # the stand-in: outputs only
    up = lifecycle.up(dev, project, progress=Progress("up"), **up_workload)
    assert {c["urn"] for c in up.changes if c["op"] == "create"} == expected | {_default_provider(dev)}
    assert up.summary["created"] == len(expected) and up.summary["failed"] == 0
    assert not [p for p in up.policy if p["level"] == "mandatory"], up.policy
    workspace = project / lifecycle.WORKSPACES / "dev" / WORKLOAD_PROJECT
    assert (workspace / "Pulumi.dev.yaml").is_file()

    # What the API server holds: the estate's namespaces and labels, a real ClusterIP, the CRs
    # carrying the platform's outputs (read through the StackReference).
    platform = k8s_programs.PLATFORM_OUTPUTS
    labels = _get(k8s_client, f"/api/v1/namespaces/{ns}")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert _get(k8s_client, "/api/v1/namespaces/gateway")["metadata"]["labels"]["llmops.io/role"] == "gateway"
    service = _get(k8s_client, f"/api/v1/namespaces/{ns}/services/{ns}")
    assert service["spec"]["clusterIP"].startswith("10.0.0.")
    # The gateway's way in: an internal LoadBalancer on the fixed node-subnet address its backend URL names,
    # with Local traffic policy (the API server allocates the health-check node port the Azure load balancer
    # probes), and ingress to the serving port from the gateway's subnet only.
    lb = _get(k8s_client, f"/api/v1/namespaces/{ns}/services/{ns}-gateway")
    assert lb["spec"]["type"] == "LoadBalancer" and lb["spec"]["externalTrafficPolicy"] == "Local"
    assert lb["spec"]["healthCheckNodePort"] > 0 and lb["spec"]["ports"][0]["nodePort"] > 0
    annotations = lb["metadata"]["annotations"]
    assert annotations["service.beta.kubernetes.io/azure-load-balancer-internal"] == "true"
    assert annotations["service.beta.kubernetes.io/azure-load-balancer-ipv4"] == vllm_gateway_ip(
        dev.network.subnets.aks_nodes, 0
    )
    admitted = _get(k8s_client, f"/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies/allow-gateway-lb")
    assert admitted["spec"]["ingress"][0]["from"] == [{"ipBlock": {"cidr": dev.network.subnets.gateway}}]
    account = _get(k8s_client, f"/api/v1/namespaces/{ns}/serviceaccounts/vllm")
    assert account["metadata"]["annotations"]["azure.workload.identity/client-id"] == platform["inference_client_id"]
    scaled = _get(k8s_client, f"/apis/keda.sh/v1alpha1/namespaces/{ns}/scaledobjects/{ns}")
    assert scaled["spec"]["triggers"][0]["metadata"]["threshold"] == str(model.queue_threshold)
    auth = _get(k8s_client, f"/apis/keda.sh/v1alpha1/namespaces/{ns}/triggerauthentications")["items"]
    assert [a["spec"]["podIdentity"]["identityId"] for a in auth] == [platform["keda_client_id"]]
    classes = _get(k8s_client, f"/apis/secrets-store.csi.x-k8s.io/v1/namespaces/{ns}/secretproviderclasses")
    spcs = {c["metadata"]["name"]: c["spec"]["parameters"] for c in classes["items"]}
    assert spcs[f"{ns}-api-key"]["keyvaultName"] == platform["key_vault_name"]
    assert spcs[f"{ns}-api-key"]["clientID"] == platform["inference_client_id"]
    assert spcs[f"{ns}-weights-hub"]["clientID"] == platform["model_loader_client_id"]
    # The weights staging Job (run as the loader), created before the Deployment that waits for it.
    [job] = _get(k8s_client, f"/apis/batch/v1/namespaces/{ns}/jobs")["items"]
    assert job["spec"]["template"]["spec"]["serviceAccountName"] == "model-loader"
    deployment = _get(k8s_client, f"/apis/apps/v1/namespaces/{ns}/deployments/{ns}")
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.startswith(f"{platform['registry_login_server']}/")
    _get(k8s_client, f"/apis/azmonitoring.coreos.com/v1/namespaces/{ns}/podmonitors/{ns}")
    _get(k8s_client, "/apis/azmonitoring.coreos.com/v1/namespaces/gpu-operator/podmonitors/nvidia-dcgm-exporter")
    # The GPU operator chart, installed by Helm through the provider: its CRD, its ClusterPolicy and
    # the operator's Deployment, whose pods the controller manager made in the privileged namespace.
    _get(k8s_client, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/clusterpolicies.nvidia.com")
    assert _get(k8s_client, "/apis/nvidia.com/v1/clusterpolicies")["items"]
    operator = _get(k8s_client, "/apis/apps/v1/namespaces/gpu-operator/deployments/gpu-operator")
    assert operator["spec"]["template"]["spec"]["tolerations"] == [CRITICAL_ADDONS_TOLERATION]
    # Every workload the stack made got its pods: nothing refused by Pod Security anywhere.
    pods = _wait_pods(k8s_client, ns, count=2)  # the vLLM replica and the staging Job's pod
    assert sorted(p["metadata"]["labels"]["app.kubernetes.io/name"] for p in pods) == ["model-loader", "vllm"]
    assert {p["status"]["phase"] for p in pods} == {"Pending"}  # no nodes: created and admitted, never scheduled
    assert _wait_pods(k8s_client, "gpu-operator")
    for namespace in (ns, "gpu-operator"):
        events = _get(k8s_client, f"/api/v1/namespaces/{namespace}/events")["items"]
        assert [e["message"] for e in events if e.get("reason") == "FailedCreate"] == []

    again = lifecycle.up(dev, project, progress=Progress("up"), **up_workload)
    assert again.changes == [], again.changes
    assert again.summary["unchanged"] == len(expected)

    changed = _changed(dev)
    update = lifecycle.up(changed, project, progress=Progress("up"), **up_workload)
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
        gone = lifecycle.destroy(changed, project, engine=ENGINE, only="workload", progress=Progress("destroy"))
    assert {c["urn"] for c in gone.changes if c["op"] == "delete"} == expected | {_default_provider(dev)}
    [prune] = [p for p in hook_pods if "prune" in p["metadata"]["name"]]
    # On AKS the system pool is tainted CriticalAddonsOnly and the GPU pools are tainted too: the
    # hook only runs (and `destroy` only finishes) because the estate's values give it that toleration.
    assert CRITICAL_ADDONS_TOLERATION in prune["spec"]["tolerations"]
    lifecycle.destroy(dev, project, engine=ENGINE, only="platform")
    print(
        f"workload stack on the test bed: up {up.summary['duration_seconds']}s, "
        f"no-op up {again.summary['duration_seconds']}s, update {update.summary['duration_seconds']}s, "
        f"destroy {gone.summary['duration_seconds']}s"
    )
    for path in (f"/api/v1/namespaces/{ns}", "/api/v1/namespaces/gateway", "/api/v1/namespaces/gpu-operator"):
        assert _wait_gone(k8s_client, path), f"{path} still exists"
