"""InferenceService: a restricted, GPU-pinned, autoscaled vLLM workload; and, in the shipped
plans, every GPU workload tolerates exactly the taints of the pool it selects."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pytest
from helpers import TENANT, synth

from llmops_infra.components.inference_manifests import ActiveHours
from llmops_infra.components.inference_service import InferenceService, InferenceServiceArgs
from llmops_infra.components.node_pools import GpuPoolSpec
from llmops_infra.config.loader import load_environment

CLIENT_ID = "cccccccc-cccc-4ccc-8ccc-cccccccccccc"
DIGEST = "sha256:" + "ab" * 32
SCALER_CLIENT_ID = "dddddddd-dddd-4ddd-8ddd-dddddddddddd"
PROMETHEUS = "https://amw-test.eastus.prometheus.monitor.azure.com"
SPOT_POOL = GpuPoolSpec(name="gput4", vm_size="Standard_NC4as_T4_v3", spot=True)


def _args(provider, **overrides) -> InferenceServiceArgs:
    values = {
        "provider": provider,
        "model": "meta-llama/Llama-3.1-8B-Instruct",
        "registry_login_server": "cr1.azurecr.io",
        "image": "vllm/vllm-openai",
        "image_digest": DIGEST,
        "pool": SPOT_POOL,
        "workload_client_id": CLIENT_ID,
        "tenant_id": TENANT,
        "gateway_namespace": "gateway",
        "gpus_per_replica": 2,
        "min_replicas": 1,
        "max_replicas": 3,
        "max_model_len": 4096,
        "key_vault_name": "kv-test",
        "hub_token_secret": "hf-hub-token",
        "prometheus_query_endpoint": PROMETHEUS,
        "scaler_client_id": SCALER_CLIENT_ID,
    }
    values.update(overrides)
    return InferenceServiceArgs(**values)


def _plan(**overrides):
    def program() -> None:
        provider = k8s.Provider("k8s", kubeconfig=pulumi.Output.secret("apiVersion: v1"))
        InferenceService("llama", _args(provider, **overrides))

    return synth(program)


@pytest.fixture(scope="module")
def plan():
    return _plan()


def _one(plan, type_):
    [resource] = plan.of_type(type_)
    return resource


def _pod(plan):
    return _one(plan, "kubernetes:apps/v1:Deployment").props["spec"]["template"]["spec"]


def test_namespace_enforces_restricted_pod_security(plan):
    labels = _one(plan, "kubernetes:core/v1:Namespace").props["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_service_account_is_bound_to_the_inference_identity_and_creates_no_azure_resource(plan):
    account = _one(plan, "kubernetes:core/v1:ServiceAccount").props
    assert account["metadata"]["annotations"]["azure.workload.identity/client-id"] == CLIENT_ID
    assert account["automountServiceAccountToken"] is False
    # The federation is the platform stack's (stage_compute.inference_identity_stage).
    assert not [r for r in plan.custom_resources() if r.type.startswith("azure-native:")]


def test_image_is_pulled_from_the_registry_by_digest(plan):
    [container] = _pod(plan)["containers"]
    assert container["image"] == f"cr1.azurecr.io/vllm/vllm-openai@{DIGEST}"


def test_vllm_arguments(plan):
    container = _pod(plan)["containers"][0]
    # `vllm serve MODEL`: the model is the positional argument, not the deprecated --model
    assert container["command"] == ["vllm", "serve"]
    assert container["args"][0] == "meta-llama/Llama-3.1-8B-Instruct" and "--model" not in container["args"]
    args = container["args"][1:]
    pairs = dict(zip(args[::2], args[1::2], strict=False))
    assert pairs["--max-model-len"] == "4096"
    assert pairs["--tensor-parallel-size"] == "2"
    assert pairs["--port"] == "8000"
    assert pairs["--dtype"] == "auto"
    assert "--quantization" not in pairs


def test_dtype_and_quantization_reach_vllm():
    args = _pod(_plan(dtype="half", quantization="awq_marlin"))["containers"][0]["args"][1:]
    pairs = dict(zip(args[::2], args[1::2], strict=False))
    assert (pairs["--dtype"], pairs["--quantization"]) == ("half", "awq_marlin")


def test_gpu_limits_placement_and_tolerations(plan):
    pod = _pod(plan)
    resources = pod["containers"][0]["resources"]
    assert resources["limits"]["nvidia.com/gpu"] == "2"
    assert resources["requests"]["nvidia.com/gpu"] == "2"
    assert {"cpu", "memory"} <= set(resources["limits"]) and {"cpu", "memory"} <= set(resources["requests"])
    assert pod["nodeSelector"] == {"llmops.io/gpu-pool": "gput4"}
    assert pod["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"},
        {"key": "kubernetes.azure.com/scalesetpriority", "operator": "Equal", "value": "spot", "effect": "NoSchedule"},
    ]
    assert [c["topologyKey"] for c in pod["topologySpreadConstraints"]] == [
        "kubernetes.io/hostname",
        "topology.kubernetes.io/zone",
    ]


def test_on_demand_pool_gets_no_spot_toleration():
    pod = _pod(_plan(pool=GpuPoolSpec(name="gpua100", vm_size="Standard_NC24ads_A100_v4")))
    assert [t["key"] for t in pod["tolerations"]] == ["nvidia.com/gpu"]


def test_pod_is_restricted_with_read_only_root(plan):
    pod = _pod(plan)
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    security = pod["containers"][0]["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] == 2000  # the image's own `vllm` user
    env = {e["name"]: e["value"] for e in pod["containers"][0]["env"]}
    # torch's getpass.getuser() reads USER before the passwd database: an identity the image knows
    assert (env["USER"], env["LOGNAME"]) == ("vllm", "vllm")
    mounts = [m["mountPath"] for m in pod["containers"][0]["volumeMounts"]]
    for cache in (
        "HOME",
        "XDG_CACHE_HOME",
        "TORCHINDUCTOR_CACHE_DIR",
        "TRITON_CACHE_DIR",
        "HF_HOME",
        "VLLM_CACHE_ROOT",
    ):
        assert any(env[cache].startswith(m) for m in mounts), f"{cache} is not on a writable mount"
    assert security["allowPrivilegeEscalation"] is False
    assert security["privileged"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes["model-cache"] and "emptyDir" in volumes["tmp"]
    mounts = {m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    assert {"/models", "/tmp"} <= mounts
    assert not any("hostPath" in v for v in pod["volumes"])


def test_probes_check_health_endpoint(plan):
    container = _pod(plan)["containers"][0]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/health", "port": 8000}


def test_workload_identity_label_and_replicas_owned_by_the_autoscaler(plan):
    deployment = _one(plan, "kubernetes:apps/v1:Deployment")
    assert deployment.props["spec"]["template"]["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    assert "spec.replicas" in deployment.ignore_changes
    account = _one(plan, "kubernetes:core/v1:ServiceAccount")
    assert account.urn in deployment.dependencies


def test_hub_token_comes_from_key_vault_as_a_file(plan):
    spc = _one(plan, "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass").props
    params = spc["spec"]["parameters"]
    assert params["usePodIdentity"] == "false"
    assert params["clientID"] == CLIENT_ID
    assert params["keyvaultName"] == "kv-test"
    assert params["tenantId"] == TENANT
    assert "objectName: hf-hub-token" in params["objects"]
    pod = _pod(plan)
    csi = {v["name"]: v for v in pod["volumes"]}["secrets-store"]["csi"]
    assert csi["volumeAttributes"]["secretProviderClass"] == spc["metadata"]["name"]
    env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
    assert env["HF_TOKEN_PATH"] == "/mnt/secrets-store/hub-token"
    assert "HF_TOKEN" not in env


def test_without_hub_token_there_is_no_secret_provider():
    plan = _plan(hub_token_secret=None, key_vault_name=None)
    assert plan.of_type("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass") == []
    assert not [v for v in _pod(plan)["volumes"] if "csi" in v]


def test_keda_scales_on_the_queue_read_from_managed_prometheus(plan):
    assert plan.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler") == []
    scaled = _one(plan, "kubernetes:keda.sh/v1alpha1:ScaledObject").props
    spec = scaled["spec"]
    assert scaled["metadata"]["namespace"] == "llama"
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (1, 3)
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "llama"}
    [trigger] = spec["triggers"]
    assert trigger["type"] == "prometheus"
    assert trigger["metadata"] == {
        "serverAddress": PROMETHEUS,
        "query": 'sum(vllm:num_requests_waiting{namespace="llama"})',
        "threshold": "5",
        "activationThreshold": "0",
    }
    auth = _one(plan, "kubernetes:keda.sh/v1alpha1:TriggerAuthentication").props
    assert trigger["authenticationRef"] == {"name": auth["metadata"]["name"]}
    assert auth["metadata"]["namespace"] == "llama"
    assert auth["spec"] == {"podIdentity": {"provider": "azure-workload", "identityId": SCALER_CLIENT_ID}}


def test_active_hours_add_a_cron_trigger_that_wakes_a_service_at_zero():
    window = ActiveHours(timezone="Europe/Paris", start="0 8 * * 1-5", end="0 19 * * 1-5", replicas=2)
    spec = _one(_plan(min_replicas=0, active_hours=window), "kubernetes:keda.sh/v1alpha1:ScaledObject").props["spec"]
    assert spec["minReplicaCount"] == 0
    assert [t["type"] for t in spec["triggers"]] == ["prometheus", "cron"]
    assert spec["triggers"][1]["metadata"] == {
        "timezone": "Europe/Paris",
        "start": "0 8 * * 1-5",
        "end": "0 19 * * 1-5",
        "desiredReplicas": "2",
    }
    with pytest.raises(ValueError, match=r"active_hours.replicas \(4\) must be between 1 and max_replicas \(3\)"):
        _args(None, active_hours=ActiveHours(timezone="UTC", start="0 8 * * *", end="0 9 * * *", replicas=4))


def test_queue_threshold_is_configurable():
    spec = _one(_plan(queue_threshold=12), "kubernetes:keda.sh/v1alpha1:ScaledObject").props["spec"]
    assert spec["triggers"][0]["metadata"]["threshold"] == "12"


def test_disruption_budget_never_blocks_a_drain(plan):
    pdb = _one(plan, "kubernetes:policy/v1:PodDisruptionBudget").props["spec"]
    assert pdb == {
        "maxUnavailable": 1,
        "selector": {"matchLabels": {"app.kubernetes.io/name": "vllm", "app.kubernetes.io/instance": "llama"}},
    }


def test_scale_to_zero_keeps_a_non_blocking_budget():
    plan = _plan(min_replicas=0)
    assert _one(plan, "kubernetes:keda.sh/v1alpha1:ScaledObject").props["spec"]["minReplicaCount"] == 0
    assert _one(plan, "kubernetes:apps/v1:Deployment").props["spec"]["replicas"] == 0
    pdb = _one(plan, "kubernetes:policy/v1:PodDisruptionBudget").props["spec"]
    assert pdb["maxUnavailable"] == 1 and "minAvailable" not in pdb


def test_network_policies_deny_by_default_and_admit_the_gateway(plan):
    policies = {
        p.props["metadata"]["name"]: p.props["spec"]
        for p in plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    gateway = policies["allow-gateway"]["ingress"][0]["from"][0]
    assert gateway == {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateway"}}}
    egress_ports = [p["port"] for rule in policies["allow-egress"]["egress"] for p in rule["ports"]]
    assert sorted(egress_ports) == [53, 53, 443]


def test_service_is_cluster_internal(plan):
    spec = _one(plan, "kubernetes:core/v1:Service").props["spec"]
    assert spec["type"] == "ClusterIP"
    assert spec["ports"][0]["targetPort"] == 8000


def test_service_does_not_wait_for_ready_pods(plan):
    """The provider's await logic holds a selector Service until a ready pod backs it (10 minutes,
    then `up` fails): a GPU replica (node scale-up, driver, image, weights) takes longer, and a
    service scaled to zero never has one. The Service must not wait for its pods."""
    annotations = _one(plan, "kubernetes:core/v1:Service").props["metadata"].get("annotations", {})
    assert annotations.get("pulumi.com/skipAwait") == "true"


def test_deployment_waits_longer_than_a_gpu_replica_takes_to_start():
    """The Deployment's readiness await (default 10 minutes) must cover the startup probe's own
    budget (30 minutes) plus node scale-up and image pull."""
    timeouts = {}

    def capture(args: pulumi.ResourceTransformationArgs):
        if args.type_ == "kubernetes:apps/v1:Deployment":
            timeouts["deployment"] = args.opts.custom_timeouts

    def program() -> None:
        pulumi.runtime.register_stack_transformation(capture)
        provider = k8s.Provider("k8s", kubeconfig=pulumi.Output.secret("apiVersion: v1"))
        InferenceService("llama", _args(provider))

    synth(program)
    custom = timeouts["deployment"]
    assert custom is not None
    startup = 180 * 10  # the startup probe's failureThreshold x periodSeconds
    for value in (custom.create, custom.update):
        assert value is not None and value.endswith("m") and int(value[:-1]) * 60 > startup + 15 * 60


def test_contradictions_are_rejected():
    with pytest.raises(ValueError, match=r"min_replicas \(3\) must be between 0 and max_replicas \(2\)"):
        _args(None, min_replicas=3, max_replicas=2)
    with pytest.raises(ValueError, match="queue_threshold"):
        _args(None, queue_threshold=0)
    with pytest.raises(ValueError, match="pinned by digest"):
        _args(None, image_digest="latest")
    with pytest.raises(ValueError, match="key_vault_name"):
        _args(None, key_vault_name=None)


def _tolerated(taint: str, tolerations: list[dict]) -> bool:
    key_value, effect = taint.split(":")
    key, value = key_value.split("=")
    return any(
        t["key"] == key and t.get("effect") == effect and (t["operator"] == "Exists" or t.get("value") == value)
        for t in tolerations
    )


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_every_model_runs_on_its_pool_tolerating_exactly_its_taints(plans, project_dir, env):
    plan = plans(env)
    config = load_environment(env, project_dir)
    pools = {
        p.props["nodeLabels"]["llmops.io/gpu-pool"]: p.props
        for p in plan.of_type("azure-native:containerservice:AgentPool")
    }
    deployments = {d.props["metadata"]["namespace"]: d.props for d in plan.of_type("kubernetes:apps/v1:Deployment")}
    assert set(deployments) == {m.name for m in config.inference.models}
    for model in config.inference.models:
        pod = deployments[model.name]["spec"]["template"]["spec"]
        pool = pools[pod["nodeSelector"]["llmops.io/gpu-pool"]]
        assert pod["nodeSelector"]["llmops.io/gpu-pool"] == model.gpu_pool
        assert all(_tolerated(taint, pod["tolerations"]) for taint in pool["nodeTaints"])
        assert len(pod["tolerations"]) == len(pool["nodeTaints"])
        assert pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == str(model.gpus_per_replica)
