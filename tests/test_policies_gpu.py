"""GPU-01 … GPU-04: placement, scale to zero, allow-list, node cap."""

from llmops_infra.policies.testing import Fixture, stack_violations, violations

MC = "azure-native:containerservice:ManagedCluster"
POOL = "azure-native:containerservice:AgentPool"
GPU = {
    "agentPoolName": "gput4",
    "mode": "User",
    "vmSize": "Standard_NC4as_T4_v3",
    "enableAutoScaling": True,
    "minCount": 0,
    "maxCount": 2,
    "count": 0,
    "nodeTaints": ["nvidia.com/gpu=present:NoSchedule"],
    "scaleSetPriority": "Spot",
}
PARAMS = {"max_gpu_nodes": 2, "allowed_gpu_sizes": ["Standard_NC4as_T4_v3"], "scope": "dev"}


def test_gpu_01_user_pool_tainted_autoscaling_capped():
    assert violations("GPU-01", POOL, GPU, PARAMS) == []
    bad = {**GPU, "mode": "System", "nodeTaints": [], "enableAutoScaling": False, "count": 3}
    found = violations("GPU-01", POOL, bad, PARAMS)
    assert len(found) == 4 and "3 nodes" in found[3]
    inline = {"agentPoolProfiles": [{**GPU, "name": "gpu", "maxCount": 5}]}
    assert "5 nodes" in violations("GPU-01", MC, inline, PARAMS)[0]
    # Non-GPU pools are not judged by GPU rules.
    assert violations("GPU-01", POOL, {**GPU, "vmSize": "Standard_D4ds_v5", "mode": "System"}, PARAMS) == []


def test_gpu_02_scale_to_zero_outside_prod_only():
    warm = {**GPU, "minCount": 1}
    assert violations("GPU-02", POOL, GPU, PARAMS) == []
    assert "at least 1" in violations("GPU-02", POOL, warm, PARAMS)[0]
    assert violations("GPU-02", POOL, warm, {**PARAMS, "scope": "prod"}) == []


def test_gpu_03_allow_list_case_insensitive():
    assert violations("GPU-03", POOL, {**GPU, "vmSize": "standard_nc4as_t4_v3"}, PARAMS) == []
    assert (
        "Standard_ND96isr_H100_v5"
        in violations("GPU-03", POOL, {**GPU, "vmSize": "Standard_ND96isr_H100_v5"}, PARAMS)[0]
    )


def test_gpu_04_total_cap_over_all_pools():
    pools = [Fixture(POOL, "a", GPU), Fixture(POOL, "b", {**GPU, "agentPoolName": "b"})]
    assert stack_violations("GPU-04", pools, {"max_gpu_nodes": 4}) == []
    assert "4 nodes in total" in stack_violations("GPU-04", pools, {"max_gpu_nodes": 3})[0]


def test_gpu_05_spot_in_dev_only():
    on_demand = {**GPU, "scaleSetPriority": "Regular"}
    assert violations("GPU-05", POOL, GPU, PARAMS) == []
    assert "on demand in dev" in violations("GPU-05", POOL, on_demand, PARAMS)[0]
    assert violations("GPU-05", POOL, on_demand, {**PARAMS, "scope": "staging"}) == []


def test_gpu_02_unset_min_count_is_named_not_printed_as_none():
    unset = {k: v for k, v in GPU.items() if k != "minCount"}
    (message,) = violations("GPU-02", POOL, unset, PARAMS)
    assert "unset minCount" in message and "None" not in message
