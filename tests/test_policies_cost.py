"""COST-01 … COST-05."""

from pathlib import Path

from llmops_infra.policies.testing import Fixture, stack_violations, violations

REPO = Path(__file__).resolve().parent.parent

BUDGET = "azure-native:consumption:Budget"
VAULT = "azure-native:keyvault:Vault"
DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
POOL = "azure-native:containerservice:AgentPool"
TAGS = {"environment": "dev", "owner": "o", "cost-center": "c", "workload": "w", "managed-by": "llmops-infra"}


def notification(kind, threshold, contacts=("finops@contoso.com",)):
    return {
        "enabled": True,
        "operator": "GreaterThanOrEqualTo",
        "threshold": threshold,
        "thresholdType": kind,
        "contactEmails": list(contacts),
    }


def test_cost_01_budget_with_actual_and_forecast_notifications():
    good = {"notifications": {"actual": notification("Actual", 80), "forecast": notification("Forecasted", 100)}}
    assert stack_violations("COST-01", [Fixture(BUDGET, "b", good)]) == []
    [missing] = stack_violations("COST-01", [Fixture(VAULT, "kv", {"tags": TAGS})])
    assert "no consumption budget" in missing
    one = {"notifications": {"actual": notification("Actual", 80, contacts=())}}
    assert len(stack_violations("COST-01", [Fixture(BUDGET, "b", one)])) == 2
    late = {"notifications": {"actual": notification("Actual", 95), "forecast": notification("Forecasted", 100)}}
    assert "warns late: at 95 %" in stack_violations("COST-01", [Fixture(BUDGET, "b", late)])[0]


def test_cost_01_leaves_a_stack_of_kubernetes_objects_alone():
    """The workload stack makes no Azure resource: its budget is the platform stack's (the engine
    judges each stack on its own; tests/test_k8s_deploy.py runs the pack on the workload stack)."""
    workload = [Fixture("kubernetes:core/v1:Namespace", "ns", {}), Fixture("pulumi:providers:kubernetes", "k8s", {})]
    assert stack_violations("COST-01", workload) == []
    assert stack_violations("COST-01", []) == []
    # Its Key Vault grants (role assignments per secret) cost nothing either; a billed resource does.
    grants = [*workload, Fixture("azure-native:authorization:RoleAssignment", "reader", {})]
    assert stack_violations("COST-01", grants) == []
    [missing] = stack_violations("COST-01", [*grants, Fixture(VAULT, "kv", {"tags": TAGS})])
    assert "no consumption budget" in missing


def test_cost_02_allocation_tags():
    assert violations("COST-02", VAULT, {"tags": TAGS}) == []
    missing = violations("COST-02", VAULT, {"tags": {"owner": "o"}})
    assert "environment, cost-center, workload, managed-by" in missing[0]
    assert violations("COST-02", VAULT, {})  # taggable type without tags
    assert violations("COST-02", "kubernetes:core/v1:Service", {}) == []


def test_cost_03_ptu_and_capacity_cap():
    standard = Fixture(DEPLOYMENT, "d1", {"sku": {"name": "Standard", "capacity": 30}})
    ptu = Fixture(DEPLOYMENT, "d2", {"sku": {"name": "ProvisionedManaged", "capacity": 50}})
    assert stack_violations("COST-03", [standard], {"max_openai_capacity": 60}) == []
    found = stack_violations("COST-03", [standard, ptu], {"max_openai_capacity": 60, "allow_ptu": False})
    assert len(found) == 2 and "PTU" in found[0] and "80" in found[1]
    assert stack_violations("COST-03", [ptu], {"max_openai_capacity": 60, "allow_ptu": True}) == []


def test_cost_04_regions():
    params = {"allowed_regions": ["eastus", "swedencentral"]}
    assert violations("COST-04", VAULT, {"location": "East US"}, params) == []
    assert violations("COST-04", VAULT, {"location": "global"}, params) == []
    assert "westeurope" in violations("COST-04", VAULT, {"location": "westeurope"}, params)[0]


def test_cost_05_monthly_limit_at_max_scale():
    pool = {"vmSize": "Standard_NC24ads_A100_v4", "enableAutoScaling": True, "minCount": 0, "maxCount": 2}
    # 2 nodes x 3.673 USD/h x 730 h = 5,362.58 USD
    assert stack_violations("COST-05", [Fixture(POOL, "gpu", pool)], {"max_monthly_usd": 6000}) == []
    found = stack_violations("COST-05", [Fixture(POOL, "gpu", pool)], {"max_monthly_usd": 5000})
    assert "$5,362.58 exceeds the limit $5,000.00" in found[0]
    unpriced = stack_violations(
        "COST-05", [Fixture(POOL, "x", {**pool, "vmSize": "Standard_NX1"})], {"max_monthly_usd": 1e6}
    )
    assert "no price in the catalog" in unpriced[0]


RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
CLUSTER = "azure-native:containerservice:ManagedCluster"
SUBSCRIPTION = "/subscriptions/11111111-1111-4111-8111-111111111111"


def _estate(budget_props, cluster_props=None):
    return [
        Fixture(RESOURCE_GROUP, "rg", {"resourceGroupName": "rg-llmops-dev-eus"}),
        Fixture(
            CLUSTER,
            "aks",
            {"nodeResourceGroup": "rg-llmops-dev-eus-aks-nodes"} if cluster_props is None else cluster_props,
        ),
        Fixture(BUDGET, "budget", budget_props),
    ]


def _filtered(*groups):
    return {
        "scope": SUBSCRIPTION,
        "filter": {"dimensions": {"name": "ResourceGroupName", "operator": "In", "values": list(groups)}},
    }


def test_cost_06_budget_covers_the_node_resource_group():
    assert stack_violations("COST-06", _estate(_filtered("rg-llmops-dev-eus", "rg-llmops-dev-eus-aks-nodes"))) == []
    assert stack_violations("COST-06", _estate({"scope": SUBSCRIPTION})) == []  # the whole subscription
    group_scoped = {"scope": f"{SUBSCRIPTION}/resourceGroups/rg-llmops-dev-eus"}
    [found] = stack_violations("COST-06", _estate(group_scoped))
    assert "rg-llmops-dev-eus-aks-nodes" in found
    [found] = stack_violations("COST-06", _estate(_filtered("rg-llmops-dev-eus")))
    assert "rg-llmops-dev-eus-aks-nodes" in found
    [found] = stack_violations("COST-06", _estate(_filtered("rg-llmops-dev-eus"), cluster_props={}))
    assert "leaves its node resource group to AKS" in found


def test_cost_06_shipped_estate_complies(plans):
    from llmops_infra.config.loader import load_environment
    from llmops_infra.offline.policy_check import check_config

    result = check_config(load_environment("prod", REPO), plans("prod"))
    assert [v for v in result.violations if v.rule_id == "COST-06"] == []
