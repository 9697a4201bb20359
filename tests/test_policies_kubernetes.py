"""K8S-01 … K8S-10 over workload specs, Services, NetworkPolicies and PDBs."""

import copy

from llmops_infra.policies.testing import Fixture, stack_violations, violations

DEP = "kubernetes:apps/v1:Deployment"
POD = "kubernetes:core/v1:Pod"
SVC = "kubernetes:core/v1:Service"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
IMAGE = "crllmops.azurecr.io/vllm/vllm-openai@sha256:" + "0" * 64
CONTAINER = {
    "name": "vllm",
    "image": IMAGE,
    "securityContext": {
        "allowPrivilegeEscalation": False,
        "runAsNonRoot": True,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "resources": {
        "requests": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"},
        "limits": {"cpu": "8", "memory": "32Gi", "nvidia.com/gpu": "1"},
    },
    "readinessProbe": {"httpGet": {"path": "/health", "port": 8000}},
    "livenessProbe": {"httpGet": {"path": "/health", "port": 8000}},
    "startupProbe": {"httpGet": {"path": "/health", "port": 8000}},
}
DEPLOYMENT = {
    "metadata": {"name": "llama", "namespace": "llama"},
    "spec": {
        "replicas": 2,
        "template": {
            "metadata": {"labels": {"app": "llama", "azure.workload.identity/use": "true"}},
            "spec": {
                "serviceAccountName": "llama",
                "containers": [CONTAINER],
                "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
            },
        },
    },
}
PARAMS = {"allowed_registries": ["*.azurecr.io"], "scope": "prod"}


def deployment(**container_changes):
    spec = copy.deepcopy(DEPLOYMENT)
    spec["spec"]["template"]["spec"]["containers"][0].update(container_changes)
    return spec


JOB = "kubernetes:batch/v1:Job"


def job(**container_changes):
    """A Job with the Deployment's pod template (a Job's template sits at the same place)."""
    spec = deployment(**container_changes)
    return {"metadata": spec["metadata"], "spec": {"template": spec["spec"]["template"]}}


def pod_spec(spec):
    return spec["spec"]["template"]["spec"]


def test_secure_deployment_passes_every_workload_rule():
    for rule in ("K8S-01", "K8S-02", "K8S-03", "K8S-04", "K8S-05", "K8S-06", "K8S-07"):
        assert violations(rule, DEP, DEPLOYMENT, PARAMS) == [], rule


def test_k8s_01_restricted():
    found = violations("K8S-01", DEP, deployment(securityContext={"privileged": True}))
    assert len(found) == 5
    # Pod-level runAsNonRoot and seccomp count for the container.
    spec = deployment(securityContext={"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}})
    pod_spec(spec)["securityContext"] = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert violations("K8S-01", DEP, spec) == []


def test_k8s_01_added_capabilities():
    def adding(*capabilities):
        return {
            **CONTAINER["securityContext"],
            "capabilities": {"drop": ["ALL"], "add": list(capabilities)},
        }

    # compliant: nothing added, or only NET_BIND_SERVICE (a server binding a port below 1024)
    assert violations("K8S-01", DEP, deployment(securityContext=adding("NET_BIND_SERVICE"))) == []
    (found,) = violations("K8S-01", DEP, deployment(securityContext=adding("NET_BIND_SERVICE", "SYS_ADMIN")))
    assert "adds the capabilities SYS_ADMIN" in found and "NET_BIND_SERVICE only" in found
    # the admission check compares strings: another spelling is another capability
    (found,) = violations("K8S-01", DEP, deployment(securityContext=adding("CAP_NET_RAW", "net_bind_service")))
    assert "CAP_NET_RAW, net_bind_service" in found


def test_k8s_01_judges_init_and_ephemeral_containers():
    spec = copy.deepcopy(DEPLOYMENT)
    debug = {
        **CONTAINER,
        "name": "debug",
        "securityContext": {**CONTAINER["securityContext"], "capabilities": {"drop": ["ALL"], "add": ["SYS_PTRACE"]}},
    }
    pod_spec(spec)["ephemeralContainers"] = [debug]
    (found,) = violations("K8S-01", DEP, spec)
    assert found.startswith("Container debug adds the capabilities SYS_PTRACE")
    spec = copy.deepcopy(DEPLOYMENT)
    pod_spec(spec)["initContainers"] = [{**debug, "name": "copy-weights"}]
    (found,) = violations("K8S-01", DEP, spec)
    assert found.startswith("Container copy-weights adds the capabilities SYS_PTRACE")
    pod = {"spec": {"containers": [CONTAINER], "ephemeralContainers": [{"name": "shell", "image": IMAGE}]}}
    found = violations("K8S-01", POD, pod)
    assert found and all(message.startswith("Container shell") for message in found)


def test_pod_security_rules_skip_privileged_namespaces():
    agent = copy.deepcopy(DEPLOYMENT)
    agent["metadata"]["namespace"] = "gpu-operator"
    pod_spec(agent)["containers"][0]["securityContext"] = {"privileged": True}
    pod_spec(agent)["volumes"] = [{"name": "dev", "hostPath": {"path": "/dev"}}]
    params = {"privileged_namespaces": ["gpu-operator"]}
    for rule in ("K8S-01", "K8S-02", "K8S-06"):
        assert violations(rule, DEP, agent, params) == [], rule
        assert violations(rule, DEP, agent, {"privileged_namespaces": []}), rule


def test_k8s_02_host_namespaces_on_a_pod():
    pod = {
        "spec": {
            "hostNetwork": True,
            "volumes": [{"name": "h", "hostPath": {"path": "/"}}],
            "containers": [{"name": "c", "ports": [{"containerPort": 80, "hostPort": 80}]}],
        }
    }
    assert len(violations("K8S-02", POD, pod)) == 3


def test_k8s_03_resources_and_gpu_limit():
    found = violations("K8S-03", DEP, deployment(resources={"requests": {"cpu": "1"}}))
    assert "requests.memory, limits.cpu, limits.memory" in found[0] and "nvidia.com/gpu" in found[1]


def test_k8s_03_daemonsets_tolerating_gpus_need_no_gpu_limit():
    agent = deployment(
        resources={"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}}
    )
    assert violations("K8S-03", "kubernetes:apps/v1:DaemonSet", agent) == []
    assert "nvidia.com/gpu" in violations("K8S-03", DEP, agent)[0]


def test_k8s_03_a_cpu_container_on_gpu_nodes_must_hide_the_gpus():
    """A CPU-only container on a GPU node (the weights staging job) passes only when NVIDIA_VISIBLE_DEVICES is
    `void`: a CUDA image otherwise sees every GPU of the node, whatever the scheduler allotted."""
    cpu_only = {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}}
    [found] = violations("K8S-03", JOB, job(resources=cpu_only))
    assert "without limits['nvidia.com/gpu']" in found
    blind = job(resources=cpu_only, env=[{"name": "NVIDIA_VISIBLE_DEVICES", "value": "void"}])
    assert violations("K8S-03", JOB, blind) == []
    all_gpus = job(resources=cpu_only, env=[{"name": "NVIDIA_VISIBLE_DEVICES", "value": "all"}])
    assert violations("K8S-03", JOB, all_gpus)


def test_k8s_04_probes():
    assert "startupProbe" in violations("K8S-04", DEP, deployment(startupProbe=None))[0]


def test_k8s_04_run_to_completion_pods_need_no_probes():
    bare = job(readinessProbe=None, livenessProbe=None, startupProbe=None)
    assert violations("K8S-04", JOB, bare) == []
    assert violations("K8S-04", DEP, deployment(readinessProbe=None, livenessProbe=None, startupProbe=None))


def test_k8s_05_images_registry_latest_digest():
    assert "docker.io" in violations("K8S-05", DEP, deployment(image="vllm/vllm-openai:v0.6.0"), PARAMS)[0]
    assert "latest" in violations("K8S-05", DEP, deployment(image="crllmops.azurecr.io/vllm:latest"), PARAMS)[0]
    tagged = deployment(image="crllmops.azurecr.io/vllm:v0.6.0")
    assert violations("K8S-05", DEP, tagged, {**PARAMS, "scope": "dev"}) == []
    assert "digest" in violations("K8S-05", DEP, tagged, PARAMS)[0]


def test_k8s_06_read_only_root():
    assert violations("K8S-06", DEP, deployment(securityContext={"readOnlyRootFilesystem": False}))


def test_k8s_07_service_account_and_token():
    spec = copy.deepcopy(DEPLOYMENT)
    spec["spec"]["template"]["metadata"]["labels"] = {"app": "llama"}
    del pod_spec(spec)["serviceAccountName"]
    assert len(violations("K8S-07", DEP, spec)) == 2
    pod_spec(spec).update(serviceAccountName="llama", automountServiceAccountToken=False)
    assert violations("K8S-07", DEP, spec) == []


def test_k8s_08_internal_load_balancers():
    internal = {
        "metadata": {"annotations": {"service.beta.kubernetes.io/azure-load-balancer-internal": "true"}},
        "spec": {"type": "LoadBalancer"},
    }
    assert violations("K8S-08", SVC, internal) == []
    assert violations("K8S-08", SVC, {"spec": {"type": "LoadBalancer"}})
    assert violations("K8S-08", SVC, {"spec": {"type": "ClusterIP"}}) == []


def test_k8s_09_network_policies_for_ingress_and_egress():
    workload = Fixture(DEP, "llama", DEPLOYMENT)
    deny_all = Fixture(
        NETPOL,
        "deny",
        {"metadata": {"namespace": "llama"}, "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}},
    )
    assert stack_violations("K8S-09", [workload, deny_all]) == []
    ingress_only = Fixture(
        NETPOL, "in", {"metadata": {"namespace": "llama"}, "spec": {"podSelector": {"matchLabels": {"app": "llama"}}}}
    )
    assert "Egress" in stack_violations("K8S-09", [workload, ingress_only])[0]
    other_ns = Fixture(
        NETPOL,
        "x",
        {"metadata": {"namespace": "other"}, "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}},
    )
    assert stack_violations("K8S-09", [workload, other_ns])


def test_k8s_10_replicas_and_pdb():
    pdb = Fixture(
        PDB, "pdb", {"metadata": {"namespace": "llama"}, "spec": {"selector": {"matchLabels": {"app": "llama"}}}}
    )
    assert stack_violations("K8S-10", [Fixture(DEP, "llama", DEPLOYMENT), pdb]) == []
    single = copy.deepcopy(DEPLOYMENT)
    del single["spec"]["replicas"]
    hpa = Fixture(
        HPA,
        "hpa",
        {"metadata": {"namespace": "llama"}, "spec": {"scaleTargetRef": {"name": "llama"}, "minReplicas": 1}},
    )
    found = stack_violations("K8S-10", [Fixture(DEP, "llama", single), hpa])
    assert len(found) == 2 and "1 replica" in found[0] and "PodDisruptionBudget" in found[1]


def test_image_references_are_parsed_like_docker_does():
    from llmops_infra.policies.k8s_objects import image_parts

    assert image_parts("nginx") == ("docker.io", None, None)
    assert image_parts("library/nginx:1.27") == ("docker.io", "1.27", None)
    assert image_parts("localhost:5000/app:v1") == ("localhost:5000", "v1", None)
    assert image_parts("cr.azurecr.io/a/b@sha256:abc") == ("cr.azurecr.io", None, "sha256:abc")


def test_k8s_10_reads_the_keda_scaled_object():
    pdb = Fixture(
        PDB, "pdb", {"metadata": {"namespace": "llama"}, "spec": {"selector": {"matchLabels": {"app": "llama"}}}}
    )
    scaled = "kubernetes:keda.sh/v1alpha1:ScaledObject"
    to_zero = Fixture(scaled, "so", {"metadata": {"namespace": "llama"}, "spec": {"scaleTargetRef": {"name": "llama"}}})
    found = stack_violations("K8S-10", [Fixture(DEP, "llama", DEPLOYMENT), pdb, to_zero])
    assert len(found) == 1 and "0 replica" in found[0]
    two = Fixture(
        scaled,
        "so",
        {"metadata": {"namespace": "llama"}, "spec": {"scaleTargetRef": {"name": "llama"}, "minReplicaCount": 2}},
    )
    assert stack_violations("K8S-10", [Fixture(DEP, "llama", DEPLOYMENT), pdb, two]) == []
