"""Cost rules (COST-01 … COST-06): budget, cost-allocation tags, PTU, regions, monthly limit, budget coverage.

GPU cost rules (allowed sizes, node caps, scale to zero) live in `gpu.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity
from pulumi_policy.proxy import UnknownValueError

from llmops_infra.policies.cost_model import estimate_resources
from llmops_infra.policies.framework import Params, Report, get, items, mapping, present, resource_rule, stack_rule
from llmops_infra.policies.graph import Graph
from llmops_infra.policies.pricing import DEFAULT_REGION, catalog_for

AZURE = "azure-native:"
BUDGET = "azure-native:consumption:Budget"
OPENAI_DEPLOYMENT = "azure-native:cognitiveservices:Deployment"
GLOBAL_LOCATIONS = {"global"}
UNBILLED = {
    "azure-native:authorization:RoleAssignment",
    "azure-native:authorization:RoleDefinition",
    "azure-native:managedidentity:FederatedIdentityCredential",
}
"""Azure resources that cost nothing by themselves: a stack of only these (and Kubernetes objects) needs no budget."""

# azure-native types of the estate that take tags (a resource with a `tags` input is judged too).
TAGGABLE = {
    "azure-native:resources:ResourceGroup",
    "azure-native:keyvault:Vault",
    "azure-native:containerservice:ManagedCluster",
    "azure-native:containerregistry:Registry",
    "azure-native:storage:StorageAccount",
    "azure-native:cognitiveservices:Account",
    "azure-native:machinelearningservices:Workspace",
    "azure-native:machinelearningservices:OnlineEndpoint",
    "azure-native:network:VirtualNetwork",
    "azure-native:network:NetworkSecurityGroup",
    "azure-native:network:PrivateEndpoint",
    "azure-native:privatedns:PrivateZone",
    "azure-native:managedidentity:UserAssignedIdentity",
    "azure-native:operationalinsights:Workspace",
    "azure-native:applicationinsights:Component",
    "azure-native:monitor:ActionGroup",
    "azure-native:monitor:MetricAlert",
    "azure-native:monitor:AzureMonitorWorkspace",
    "azure-native:dashboard:Grafana",
    "azure-native:alertsmanagement:PrometheusRuleGroup",
}


@stack_rule(
    "COST-01",
    "budget",
    scope="A",
    severity=Severity.MEDIUM,
    description="A consumption budget notifies contacts at 80 % of actual and 100 % of forecast spend (or earlier).",
    remediation="Add a Budget with an Actual notification (80 %) and a Forecasted notification (100 %), "
    "each with contact emails.",
)
def cost_budget(resources: Sequence[PolicyResource], report: Report, params: Params) -> None:
    graph = Graph(resources)
    budgets = graph.of_type(BUDGET)
    billed = [r for r in graph.resources if r.resource_type.startswith(AZURE) and r.resource_type not in UNBILLED]
    if not budgets and not billed:
        # A stack of Kubernetes objects (and role assignments, which cost nothing: the workload stack)
        # bills nothing itself: its nodes belong to the platform stack's cluster, whose budget covers
        # them (COST-06).
        return
    if not budgets:
        report("The stack has no consumption budget: overspending is noticed on the invoice.")
        return
    for budget in budgets:
        notes = mapping(get(budget.props, "notifications"))
        active = [notes[k] for k in notes if get(notes[k], "enabled") is not False]
        lowest: dict[str, float] = {}
        for note in active:
            kind = str(get(note, "thresholdType", "Actual")).lower()
            threshold = get(note, "threshold", 0)
            lowest[kind] = min(lowest.get(kind, threshold), threshold)
        if len(active) < 2 or not {"actual", "forecasted"} <= set(lowest):
            report(
                f"Budget {budget.name} needs both an actual and a forecast notification "
                f"(has {len(active)}: {sorted(lowest) or 'none'}).",
                budget.urn,
            )
        elif lowest["actual"] > 80 or lowest["forecasted"] > 100:
            report(
                f"Budget {budget.name} warns late: at {lowest['actual']:g} % of actual and "
                f"{lowest['forecasted']:g} % of forecast spend (at most 80 % and 100 %).",
                budget.urn,
            )
        for key in notes:
            if not (items(get(notes[key], "contactEmails")) or items(get(notes[key], "contactGroups"))):
                report(f"Budget {budget.name} notification {key} has no contacts.", budget.urn)


@resource_rule(
    "COST-02",
    "allocation-tags",
    scope="A",
    severity=Severity.LOW,
    params=["required_tags"],
    description="Every taggable resource carries the cost-allocation tags.",
    remediation="Tag with environment, owner, cost-center, workload and managed-by (the estate's "
    "tagging transformation does this for every resource with a tags input).",
)
def cost_tags(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if not args.resource_type.startswith("azure-native:"):
        return
    if "tags" not in args.props and args.resource_type not in TAGGABLE:
        return
    tags = mapping(get(args.props, "tags"))
    missing = [t for t in params["required_tags"] if not tags.get(t)]
    if missing:
        report(f"Missing cost-allocation tags: {', '.join(missing)}: its cost cannot be attributed.")


@stack_rule(
    "COST-03",
    "openai-capacity",
    scope="A",
    severity=Severity.HIGH,
    params=["allow_ptu", "max_openai_capacity"],
    description="OpenAI provisioned (PTU) SKUs only where allowed; total capacity within the cap.",
    remediation="Use Standard/GlobalStandard SKUs (or set cost.allow_provisioned_throughput) and keep "
    "the summed capacity within cost.max_openai_capacity.",
)
def cost_openai(resources: Sequence[PolicyResource], report: Report, params: Params) -> None:
    total: float = 0
    for deployment in Graph(resources).of_type(OPENAI_DEPLOYMENT):
        sku = str(get(deployment.props, "sku.name") or "")
        if "provisioned" in sku.lower() and not params["allow_ptu"]:
            report(
                f"Deployment {deployment.name} uses {sku} (PTU, billed hourly whether used or not), "
                "which this environment does not allow.",
                deployment.urn,
            )
        capacity = get(deployment.props, "sku.capacity", 0)
        total += capacity if isinstance(capacity, (int, float)) else 0
    if total > params["max_openai_capacity"]:
        report(f"OpenAI deployments total {total} capacity units; the cap is {params['max_openai_capacity']}.")


def _region(value: str) -> str:
    return value.replace(" ", "").lower()


@resource_rule(
    "COST-04",
    "allowed-regions",
    scope="A",
    severity=Severity.MEDIUM,
    params=["allowed_regions"],
    description="Resources are deployed only to allowed regions.",
    remediation="Use a region from cost.allowed_regions.",
)
def cost_regions(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if not args.resource_type.startswith("azure-native:"):
        return
    location = get(args.props, "location")
    if not isinstance(location, str) or _region(location) in GLOBAL_LOCATIONS:
        return
    allowed = {_region(r) for r in params["allowed_regions"]}
    if _region(location) not in allowed:
        report(f"Location {location} is not an allowed region ({', '.join(params['allowed_regions']) or 'none'}).")


@stack_rule(
    "COST-05",
    "monthly-limit",
    scope="A",
    severity=Severity.HIGH,
    params=["max_monthly_usd", "price_catalog", "price_region"],
    description="The estimated monthly cost of the stack (autoscalers at max) stays within the limit.",
    remediation="Lower node counts or sizes, or raise cost.max_monthly_usd (reviewed by FinOps). "
    "See `llmops-infra cost ENV` for the lines.",
)
def cost_limit(resources: Sequence[PolicyResource], report: Report, params: Params) -> None:
    region = str(params["price_region"] or _stack_region(resources))
    catalog = catalog_for(region, str(params["price_catalog"]) or None)
    estimate = estimate_resources(((r.resource_type, r.name, r.props) for r in resources), catalog)
    limit = float(params["max_monthly_usd"])
    if estimate.total_monthly_usd > limit:
        top = sorted(estimate.lines, key=lambda line: -line.monthly_usd)[:3]
        biggest = ", ".join(f"{line.resource} ${line.monthly_usd:,.0f}" for line in top)
        unverified = len(estimate.unverified)
        honesty = f"; {unverified} of {len(estimate.lines)} lines priced with unverified prices" if unverified else ""
        report(
            f"Estimated monthly cost ${estimate.total_monthly_usd:,.2f} exceeds the limit ${limit:,.2f} "
            f"(largest: {biggest}; {region} prices{honesty})."
        )
    if estimate.unpriced:
        report(
            f"{len(estimate.unpriced)} resource(s) have no price in the catalog, so the estimate is low: "
            + ", ".join(estimate.unpriced[:5])
            + "."
        )


def _stack_region(resources: Sequence[PolicyResource]) -> str:
    """The region of the stack's resource group (else of any resource), for a pack run without config."""
    located = sorted(resources, key=lambda r: r.resource_type != "azure-native:resources:ResourceGroup")
    for resource in located:
        try:
            location = get(resource.props, "location")
        except UnknownValueError:
            continue
        if isinstance(location, str) and location:
            return location.replace(" ", "").lower()
    return DEFAULT_REGION


RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
MANAGED_CLUSTER = "azure-native:containerservice:ManagedCluster"


def _budget_coverage(budget_props: Any) -> set[str] | None:
    """Resource groups a budget watches (lowercase); None: every group of its subscription, or
    not knowable before deployment (unknown values count as covered)."""
    scope = get(budget_props, "scope")
    if not isinstance(scope, str):
        return None
    parts = scope.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    if "resourcegroups" in lowered:
        return {parts[lowered.index("resourcegroups") + 1].lower()}
    dimensions = get(budget_props, "filter.dimensions")
    if not dimensions:
        return None
    if str(get(dimensions, "name", "")).lower() != "resourcegroupname":
        return set()
    values = items(get(dimensions, "values"))
    if any(not isinstance(v, str) for v in values):
        return None
    return {v.lower() for v in values}


@stack_rule(
    "COST-06",
    "budget-covers-billing",
    scope="P",
    severity=Severity.MEDIUM,
    description="The budget watches every resource group the estate bills to, the AKS node resource group included.",
    remediation="Set the cluster's nodeResourceGroup, and scope the budget to the subscription with a "
    "ResourceGroupName filter that lists the estate's group and the node resource group.",
)
def cost_budget_covers_billing(resources: Sequence[PolicyResource], report: Report, params: Params) -> None:
    graph = Graph(resources)
    budgets = graph.of_type(BUDGET)
    if not budgets:
        return  # COST-01 reports a missing budget
    billed: dict[str, str] = {}
    for group in graph.of_type(RESOURCE_GROUP):
        name = get(group.props, "resourceGroupName")
        if isinstance(name, str):
            billed[name.lower()] = group.urn
    for cluster in graph.of_type(MANAGED_CLUSTER):
        if not present(cluster.props, "nodeResourceGroup"):
            report(
                f"Cluster {cluster.name} leaves its node resource group to AKS (MC_…): its GPU VMs are billed "
                "there, and no budget can name a group that is not known in advance.",
                cluster.urn,
            )
            continue
        name = get(cluster.props, "nodeResourceGroup")
        if isinstance(name, str):
            billed[name.lower()] = cluster.urn
    coverages = [_budget_coverage(b.props) for b in budgets]
    if any(c is None for c in coverages):
        return
    covered = set().union(*(c for c in coverages if c is not None))
    for name, urn in sorted(billed.items()):
        if name not in covered:
            report(f"No budget watches resource group {name}: its spend is never compared with a budget.", urn)
