"""LIFE-01 / LIFE-02: retired pins are mandatory violations, pins retiring within 90 days advisory."""

from llmops_infra.policies.testing import violations

CLUSTER = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
RELEASE = "kubernetes:helm.sh/v3:Release"
WORKLOAD = "kubernetes:apps/v1:Deployment"
ONLINE = "azure-native:machinelearningservices:OnlineDeployment"
TODAY = {"lifecycle_date": "2026-12-01"}
VLLM = "sha256:61fc8a896b0a4fbbbdc063bc4b0dbc25ce98e02b5050c24aeb7830ac02039b14"


def cluster(version: str, pool_version: str | None = None) -> dict:
    return {
        "kubernetesVersion": version,
        "agentPoolProfiles": [{"name": "system", "orchestratorVersion": pool_version or version}],
    }


def model(name: str, version: str, sku: str = "GlobalStandard") -> dict:
    return {
        "sku": {"name": sku, "capacity": 10},
        "properties": {"model": {"format": "OpenAI", "name": name, "version": version}},
    }


def test_life_01_cluster_and_pool_versions():
    assert violations("LIFE-01", CLUSTER, cluster("1.36"), TODAY) == []
    (message, pool) = violations("LIFE-01", CLUSTER, cluster("1.31", "1.31"), TODAY)
    assert "1.31" in pool
    assert "AKS Kubernetes 1.31" in message and "2025-11-01" in message and "Use Kubernetes" in message
    assert violations("LIFE-01", POOL, {"orchestratorVersion": "1.34"}, TODAY)
    assert violations("LIFE-01", POOL, {"orchestratorVersion": "1.36"}, TODAY) == []


def test_life_01_model_versions():
    (message,) = violations("LIFE-01", DEPLOYMENT, model("gpt-4o", "2024-11-20", "Standard"), TODAY)
    assert "gpt-4o 2024-11-20" in message and "2026-10-01" in message and "gpt-5.1" in message
    assert violations("LIFE-01", DEPLOYMENT, model("gpt-5.5", "2026-04-24"), TODAY) == []


def test_life_01_gpu_operator_driver_and_images():
    old = {"chart": "gpu-operator", "version": "v24.9.2", "values": {"driver": {"enabled": True}}}
    (message,) = violations("LIFE-01", RELEASE, old, TODAY)
    assert "GPU operator v24.9.2" in message and "v26.7.0" in message
    pinned = {"chart": "gpu-operator", "version": "v26.7.0", "values": {"driver": {"version": "550.144.03"}}}
    (driver,) = violations("LIFE-01", RELEASE, pinned, TODAY)
    assert "R550" in driver
    current = {"chart": "gpu-operator", "version": "v26.7.0", "values": {"driver": {"version": "580.173.02"}}}
    assert violations("LIFE-01", RELEASE, current, TODAY) == []
    image = {"spec": {"template": {"spec": {"containers": [{"image": f"acr.azurecr.io/vllm/vllm-openai@{VLLM}"}]}}}}
    assert violations("LIFE-01", WORKLOAD, image, TODAY) == []
    # the catalogued image carries no end of life: judged, never retired
    assert violations("LIFE-02", WORKLOAD, image, TODAY) == []


def test_life_02_retiring_deprecated_and_unknown():
    assert violations("LIFE-02", CLUSTER, cluster("1.36"), TODAY) == []
    (soon,) = violations("LIFE-02", POOL, {"orchestratorVersion": "1.35"}, {"lifecycle_date": "2027-01-10"})
    assert "retires on 2027-03-31" in soon
    (deprecated,) = violations("LIFE-02", DEPLOYMENT, model("gpt-5.1", "2025-11-13"), TODAY)
    assert "deprecated" in deprecated
    (unknown,) = violations("LIFE-02", DEPLOYMENT, model("gpt-9", "2030-01-01"), TODAY)
    assert "not in the lifecycle catalog" in unknown
    flow = {"properties": {"environmentVariables": {"PROMPTFLOW_RUN_MODE": "serving"}}}
    assert violations("LIFE-02", ONLINE, flow, TODAY) == []
    (retiring,) = violations("LIFE-02", ONLINE, flow, {"lifecycle_date": "2027-02-01"})
    assert "azureml-prompt-flow retires on 2027-04-20" in retiring and "Microsoft Agent Framework" in retiring
    (retired,) = violations("LIFE-01", ONLINE, flow, {"lifecycle_date": "2027-04-20"})
    assert "retired" in retired
