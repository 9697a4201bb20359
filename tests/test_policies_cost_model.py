"""The cost model: line by line, pools at max and min, spot where spot, shipped plans priced."""

from llmops_infra.policies.cost_model import estimate_plan, estimate_resources

POOL = "azure-native:containerservice:AgentPool"
MC = "azure-native:containerservice:ManagedCluster"


def test_gpu_pool_priced_at_max_and_min_with_spot():
    pool = {
        "vmSize": "Standard_NC4as_T4_v3",
        "enableAutoScaling": True,
        "minCount": 0,
        "maxCount": 2,
        "scaleSetPriority": "Spot",
    }
    line = estimate_resources([(POOL, "gpu", pool)]).lines[0]
    assert line.monthly_usd == round(0.063 * 730 * 2, 2) and line.monthly_usd_min == 0
    on_demand = estimate_resources([(POOL, "gpu", {**pool, "scaleSetPriority": "Regular", "minCount": 1})]).lines[0]
    assert on_demand.monthly_usd == round(0.526 * 730 * 2, 2) and on_demand.monthly_usd_min == round(0.526 * 730, 2)


def test_cluster_tier_and_inline_pools():
    cluster = {
        "sku": {"tier": "Standard"},
        "agentPoolProfiles": [{"name": "system", "vmSize": "Standard_D4ds_v5", "count": 3}],
    }
    estimate = estimate_resources([(MC, "aks", cluster)])
    assert [line.sku for line in estimate.lines] == ["AKS Standard", "Standard_D4ds_v5"]
    assert estimate.total_monthly_usd == round(0.10 * 730 + 0.226 * 730 * 3, 2)


def test_unpriced_skus_are_listed_not_hidden():
    estimate = estimate_resources([(POOL, "x", {"vmSize": "Standard_NX1", "count": 1})])
    assert estimate.unpriced == ["x (Standard_NX1)"] and estimate.total_monthly_usd == 0


def test_shipped_plans_are_priced_within_their_limits(plans, project_dir):
    from llmops_infra.config.loader import load_environment

    for env in ("dev", "staging", "prod"):
        estimate = estimate_plan(plans(env))
        limit = load_environment(env, project_dir).cost.max_monthly_usd
        assert 0 < estimate.total_monthly_usd_min <= estimate.total_monthly_usd <= limit, env
        assert estimate.unpriced == [], env
        data = estimate.to_dict()
        assert data["total_monthly_usd"] == estimate.total_monthly_usd
        assert {"resource", "type", "sku", "monthly_usd"} <= set(data["lines"][0])
    # prod runs 2-8 A100 nodes on demand: the GPU line dominates.
    gpu = [line for line in estimate_plan(plans("prod")).lines if line.sku == "Standard_NC24ads_A100_v4"]
    assert (
        gpu and gpu[0].monthly_usd == round(3.673 * 730 * 8, 2) and gpu[0].monthly_usd_min == round(3.673 * 730 * 2, 2)
    )
