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
LOADER_DIGEST = "sha256:" + "cd" * 32
LOADER_CLIENT_ID = "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee"
REVISION = "0123456789abcdef0123456789abcdef01234567"
PE_SUBNET = "10.20.16.0/24"


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
        "api_key_secret": "vllm-api-key",
        "prometheus_query_endpoint": PROMETHEUS,
        "scaler_client_id": SCALER_CLIENT_ID,
        "revision": REVISION,
        "checkpoint_gb": 16,
        "loader_image": "azure-cli",
        "loader_image_digest": LOADER_DIGEST,
        "storage_account_name": "stmodels1",
        "models_container": "models",
        "loader_client_id": LOADER_CLIENT_ID,
        "private_endpoint_cidrs": [PE_SUBNET],
        "entra_id_cidrs": ["20.190.128.0/18", "40.126.0.0/18"],
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


def _serving_account(plan):
    [account] = [a for a in plan.of_type("kubernetes:core/v1:ServiceAccount") if a.props["metadata"]["name"] == "vllm"]
    return account


def _pod(plan):
    return _one(plan, "kubernetes:apps/v1:Deployment").props["spec"]["template"]["spec"]


def test_namespace_enforces_restricted_pod_security(plan):
    labels = _one(plan, "kubernetes:core/v1:Namespace").props["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_service_account_is_bound_to_the_inference_identity_and_creates_no_azure_resource(plan):
    account = _serving_account(plan).props
    assert account["metadata"]["annotations"]["azure.workload.identity/client-id"] == CLIENT_ID
    assert account["automountServiceAccountToken"] is False
    # The federation is the platform stack's (stage_compute.inference_identity_stage).
    assert not [r for r in plan.custom_resources() if r.type.startswith("azure-native:")]


def test_image_is_pulled_from_the_registry_by_digest(plan):
    [container] = _pod(plan)["containers"]
    assert container["image"] == f"cr1.azurecr.io/vllm/vllm-openai@{DIGEST}"


def test_vllm_arguments(plan):
    container = _pod(plan)["containers"][0]
    # `vllm serve PATH`: the model is the positional argument (not the deprecated --model), and it is the local
    # copy of the staged revision: the pod never names the hub.
    assert container["command"][:2] == ["/bin/sh", "-c"] and container["command"][3] == "vllm"
    assert 'exec vllm serve "$@"' in container["command"][2]
    assert container["args"][0] == f"/weights/meta-llama/Llama-3.1-8B-Instruct/{REVISION}"
    assert "--model" not in container["args"] and "--download-dir" not in container["args"]
    args = container["args"][1:]
    pairs = dict(zip(args[::2], args[1::2], strict=False))
    assert pairs["--served-model-name"] == "llama"
    assert pairs["--max-model-len"] == "4096"
    assert pairs["--tensor-parallel-size"] == "2"
    assert pairs["--port"] == "8000"
    assert pairs["--dtype"] == "auto"
    assert "--quantization" not in pairs
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["HF_HUB_OFFLINE"] == "1"


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
    # 16 GB of checkpoint + 4 GiB runtime + 4 GiB per GPU worker (two here); limit equals request.
    assert resources["requests"]["memory"] == resources["limits"]["memory"] == "28Gi"
    # weights (ceil(16 x 1.1) + 2 = 20) + compile caches 10 + /tmp 2
    assert resources["requests"]["ephemeral-storage"] == "32Gi"
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
    assert volumes["weights"] == {"name": "weights", "emptyDir": {"sizeLimit": "20Gi"}}
    mounts = {m["mountPath"]: m for m in pod["containers"][0]["volumeMounts"]}
    assert {"/models", "/tmp", "/weights"} <= set(mounts)
    assert mounts["/weights"]["readOnly"] is True  # only the init container writes the weights
    assert not any("hostPath" in v for v in pod["volumes"])
    [init] = pod["initContainers"]
    assert init["securityContext"] == security


def test_probes_check_health_endpoint(plan):
    container = _pod(plan)["containers"][0]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/health", "port": 8000}


def test_startup_probe_grows_with_the_checkpoint():
    """Reading the weights from the node's disk (100 MB/s floor, budgeted twice) on top of the 10 minutes of
    compilation and graph capture: the bigger the checkpoint, the longer liveness waits."""
    small = _pod(_plan(checkpoint_gb=7))["containers"][0]["startupProbe"]
    large = _pod(_plan(checkpoint_gb=40))["containers"][0]["startupProbe"]
    assert small["periodSeconds"] == large["periodSeconds"] == 10
    assert small["failureThreshold"] * 10 == 600 + 2 * 70
    assert large["failureThreshold"] * 10 == 600 + 2 * 400


def test_workload_identity_label_and_replicas_owned_by_the_autoscaler(plan):
    deployment = _one(plan, "kubernetes:apps/v1:Deployment")
    assert deployment.props["spec"]["template"]["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    assert "spec.replicas" in deployment.ignore_changes
    account = _serving_account(plan)
    assert account.urn in deployment.dependencies
    assert deployment.props["spec"]["template"]["spec"]["serviceAccountName"] == "vllm"


def _provider_classes(plan) -> dict[str, dict]:
    return {
        r.props["metadata"]["name"]: r.props
        for r in plan.of_type("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass")
    }


def test_api_key_comes_from_key_vault_as_a_file_read_into_the_environment(plan):
    spc = _provider_classes(plan)["llama-api-key"]
    params = spc["spec"]["parameters"]
    assert params["usePodIdentity"] == "false"
    assert params["clientID"] == CLIENT_ID  # the serving identity reads the key
    assert params["keyvaultName"] == "kv-test"
    assert params["tenantId"] == TENANT
    assert "objectName: vllm-api-key" in params["objects"] and "objectAlias: api-key" in params["objects"]
    pod = _pod(plan)
    csi = {v["name"]: v for v in pod["volumes"]}["secrets-store"]["csi"]
    assert csi["volumeAttributes"]["secretProviderClass"] == "llama-api-key"
    container = pod["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["API_KEY_FILE"] == "/mnt/secrets-store/api-key"
    # The key is read from the file at start into VLLM_API_KEY: never a manifest value, a Secret or an argument.
    assert 'VLLM_API_KEY="$(cat "$API_KEY_FILE")"' in container["command"][2]
    assert "VLLM_API_KEY" not in env and "--api-key" not in container["args"]
    assert not plan.of_type("kubernetes:core/v1:Secret")
    # The serving pod never sees the hub token: only the staging job mounts it.
    assert "HF_TOKEN_PATH" not in env and "HF_TOKEN" not in env


def test_hub_token_reaches_only_the_staging_job(plan):
    spc = _provider_classes(plan)["llama-weights-hub"]["spec"]["parameters"]
    assert spc["clientID"] == LOADER_CLIENT_ID and "objectName: hf-hub-token" in spc["objects"]
    job = _one(plan, "kubernetes:batch/v1:Job").props["spec"]["template"]["spec"]
    download = next(c for c in job["initContainers"] if c["name"] == "download")
    env = {e["name"]: e.get("value") for e in download["env"]}
    assert env["HF_TOKEN_PATH"] == "/mnt/secrets-store/hub-token"
    volume = {v["name"]: v for v in job["volumes"]}["secrets-store"]
    assert volume["csi"]["volumeAttributes"]["secretProviderClass"] == "llama-weights-hub"


def test_without_hub_token_the_job_downloads_anonymously():
    plan = _plan(hub_token_secret=None)
    assert set(_provider_classes(plan)) == {"llama-api-key"}
    job = _one(plan, "kubernetes:batch/v1:Job").props["spec"]["template"]["spec"]
    assert not [v for v in job["volumes"] if "csi" in v]


def test_weights_are_copied_from_storage_by_an_init_container(plan):
    pod = _pod(plan)
    [init] = pod["initContainers"]
    assert init["name"] == "fetch-weights"
    assert init["image"] == f"cr1.azurecr.io/azure-cli@{LOADER_DIGEST}"
    env = {e["name"]: e.get("value") for e in init["env"]}
    assert env["STORAGE_ACCOUNT"] == "stmodels1" and env["CONTAINER"] == "models"
    assert env["PREFIX"] == f"meta-llama/Llama-3.1-8B-Instruct/{REVISION}"
    assert env["MARKER"] == f"meta-llama/Llama-3.1-8B-Instruct/{REVISION}.staged"
    assert env["NVIDIA_VISIBLE_DEVICES"] == "void"
    assert "download-batch" in init["command"][2] and "--auth-mode login" in init["command"][2]
    assert {"name": "weights", "mountPath": "/weights"} in init["volumeMounts"]


def test_staging_job_runs_once_before_the_pods_as_the_loader(plan):
    job = _one(plan, "kubernetes:batch/v1:Job")
    deployment = _one(plan, "kubernetes:apps/v1:Deployment")
    assert job.urn in deployment.dependencies
    assert "name" not in job.props["metadata"]  # auto-named: a new revision replaces it create-before-delete
    assert job.props["metadata"]["annotations"]["pulumi.com/replaceUnready"] == "true"
    template = job.props["spec"]["template"]
    spec = template["spec"]
    assert template["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    assert spec["serviceAccountName"] == "model-loader" and spec["restartPolicy"] == "Never"
    assert [c["name"] for c in spec["initContainers"]] == ["check", "download"]
    assert [c["name"] for c in spec["containers"]] == ["upload"]
    assert spec["nodeSelector"] == {"llmops.io/gpu-pool": "gput4"}
    for container in spec["initContainers"] + spec["containers"]:
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["NVIDIA_VISIBLE_DEVICES"] == "void"  # on a GPU node, without a GPU
        assert "nvidia.com/gpu" not in container["resources"]["limits"]
    account = next(
        a.props
        for a in plan.of_type("kubernetes:core/v1:ServiceAccount")
        if a.props["metadata"]["name"] == "model-loader"
    )
    assert account["metadata"]["annotations"]["azure.workload.identity/client-id"] == LOADER_CLIENT_ID
    # The staging pod is never a serving endpoint: the Service and the budget select vLLM pods only.
    service = _one(plan, "kubernetes:core/v1:Service").props["spec"]["selector"]
    assert not set(service.items()) <= set(template["metadata"]["labels"].items())


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


def _policies(plan) -> dict[str, dict]:
    return {
        p.props["metadata"]["name"]: p.props["spec"]
        for p in plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }


def test_network_policies_deny_by_default_and_admit_the_gateway(plan):
    policies = _policies(plan)
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    gateway = policies["allow-gateway"]["ingress"][0]["from"][0]
    assert gateway == {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gateway"}}}


def test_serving_pods_reach_dns_the_private_endpoints_and_entra_id_only(plan):
    egress = _policies(plan)["allow-egress"]["egress"]
    dns, storage, entra = egress
    assert dns["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    assert sorted(p["port"] for p in dns["ports"]) == [53, 53]
    assert storage == {"to": [{"ipBlock": {"cidr": PE_SUBNET}}], "ports": [{"protocol": "TCP", "port": 443}]}
    assert [peer["ipBlock"]["cidr"] for peer in entra["to"]] == ["20.190.128.0/18", "40.126.0.0/18"]
    blocks = [peer["ipBlock"]["cidr"] for rule in egress for peer in rule["to"] if "ipBlock" in peer]
    assert "0.0.0.0/0" not in blocks


def test_only_the_staging_pod_reaches_the_internet(plan):
    policy = _policies(plan)["allow-model-loader-egress"]
    assert policy["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": "model-loader"}}
    internet = policy["egress"][2]["to"][0]["ipBlock"]
    assert internet == {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]}
    assert policy["egress"][2]["ports"] == [{"protocol": "TCP", "port": 443}]


def test_rollout_progresses_when_the_pool_is_full():
    """No GPU headroom (the default): replace one replica at a time, never wait for a surge GPU."""
    strategy = _one(_plan(), "kubernetes:apps/v1:Deployment").props["spec"]["strategy"]
    assert strategy == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}
    strategy = _one(_plan(surge=True), "kubernetes:apps/v1:Deployment").props["spec"]["strategy"]
    assert strategy["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}


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


def test_deployment_and_job_wait_as_long_as_a_gpu_replica_takes():
    """The Deployment's readiness await (default 10 minutes) covers a node, the image, the weights copy and the
    startup probe's budget; the staging job's covers the download and the upload."""
    timeouts = {}

    def capture(args: pulumi.ResourceTransformationArgs):
        if args.type_ in ("kubernetes:apps/v1:Deployment", "kubernetes:batch/v1:Job"):
            timeouts[args.type_] = args.opts.custom_timeouts

    def program() -> None:
        pulumi.runtime.register_stack_transformation(capture)
        provider = k8s.Provider("k8s", kubeconfig=pulumi.Output.secret("apiVersion: v1"))
        InferenceService("llama", _args(provider, checkpoint_gb=40))

    synth(program)
    deployment, job = timeouts["kubernetes:apps/v1:Deployment"], timeouts["kubernetes:batch/v1:Job"]
    startup = (600 + 2 * 400) // 60  # minutes of the startup probe for 40 GB
    for value in (deployment.create, deployment.update):
        assert value is not None and value.endswith("m") and int(value[:-1]) >= startup + 30
    for value in (job.create, job.update):
        assert value is not None and int(value[:-1]) >= 30 + 4 * 400 // 60


def test_contradictions_are_rejected():
    with pytest.raises(ValueError, match=r"min_replicas \(3\) must be between 0 and max_replicas \(2\)"):
        _args(None, min_replicas=3, max_replicas=2)
    with pytest.raises(ValueError, match="queue_threshold"):
        _args(None, queue_threshold=0)
    with pytest.raises(ValueError, match="image_digest 'latest' is not a sha256 digest"):
        _args(None, image_digest="latest")
    with pytest.raises(ValueError, match="loader_image_digest"):
        _args(None, loader_image_digest="2.80.0")
    with pytest.raises(ValueError, match="private_endpoint_cidrs is empty"):
        _args(None, private_endpoint_cidrs=[])
    with pytest.raises(ValueError, match="checkpoint_gb"):
        assert _args(None, checkpoint_gb=0).sizing


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
