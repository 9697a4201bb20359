"""The cost model: price resources (type + wire-name props) line by line from the catalog.

Works on anything with a type, a name and props: `Plan` resources offline, `PolicyResource`s
in the engine (COST-05). Node pools are priced at their maximum and at their minimum node
count (spot price where the pool is spot). Usage-billed services (pay-per-token models,
Content Safety) have no fixed monthly cost and are listed with a note, not guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from llmops_infra.policies.cost_app_tier import TYPES as APP_TIER_TYPES
from llmops_infra.policies.cost_app_tier import price_app_tier
from llmops_infra.policies.pricing import PriceCatalog, catalog_for
from llmops_infra.policies.props import get, items, same

CLUSTER = "azure-native:containerservice:ManagedCluster"
AGENT_POOL = "azure-native:containerservice:AgentPool"


@dataclass(frozen=True)
class CostLine:
    resource: str
    type: str
    sku: str
    monthly_usd: float
    """At the maximum scale (autoscalers at max)."""
    monthly_usd_min: float
    """At the minimum scale (autoscalers at min)."""
    quantity: str = ""
    unit_price: float | None = None
    source: str = ""
    note: str = ""
    price_region: str = ""
    """The region the unit price was recorded for (another region's when the catalog falls back)."""
    price_date: str | None = None
    verified: bool = False
    """The unit price was read from the Retail Prices API for the priced region (and is dated)."""

    def price_label(self, region: str) -> str:
        """How trustworthy the line's price is, for tables: its date, or "unverified" and why."""
        if self.unit_price is None:
            return "—"
        if self.verified:
            return str(self.price_date)
        borrowed = f", {self.price_region} price" if self.price_region and self.price_region != region else ""
        return f"unverified{borrowed}" + (f", {self.price_date}" if self.price_date else "")


@dataclass
class Estimate:
    lines: list[CostLine] = field(default_factory=list)
    unpriced: list[str] = field(default_factory=list)
    """Resources whose SKU the catalog lacks ("name (sku)"): counted as 0, listed so nobody trusts the total blindly."""
    region: str = ""
    """The region priced."""
    catalog: str = ""
    """Which catalog priced it (path, region, fallback)."""

    @property
    def priced(self) -> list[CostLine]:
        """Lines with a unit price (usage-billed lines and unpriced SKUs have none)."""
        return [line for line in self.lines if line.unit_price is not None]

    @property
    def unverified(self) -> list[CostLine]:
        """Priced lines whose price is not a dated Retail Prices API figure for the region."""
        return [line for line in self.lines if line.unit_price is not None and not line.verified]

    @property
    def price_dates(self) -> list[str]:
        return sorted({line.price_date for line in self.lines if line.price_date})

    @property
    def total_monthly_usd(self) -> float:
        return round(sum(line.monthly_usd for line in self.lines), 2)

    @property
    def total_monthly_usd_min(self) -> float:
        return round(sum(line.monthly_usd_min for line in self.lines), 2)

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": "USD",
            "total_monthly_usd": self.total_monthly_usd,
            "total_monthly_usd_min": self.total_monthly_usd_min,
            "region": self.region,
            "catalog": self.catalog,
            "price_dates": self.price_dates,
            "unverified_lines": len(self.unverified),
            "lines": [{**asdict(line), "price": line.price_label(self.region)} for line in self.lines],
            "unpriced": list(self.unpriced),
        }


class _Pricer:
    def __init__(self, catalog: PriceCatalog) -> None:
        self.catalog = catalog
        self.hours = catalog.hours_per_month
        self.estimate = Estimate(region=catalog.asked or catalog.region, catalog=catalog.describe())

    def add(
        self,
        name: str,
        type_: str,
        sku: str,
        key: str,
        quantity_max: float,
        quantity_min: float,
        *,
        hours: float | None = None,
        spot: bool = False,
        quantity: str = "",
        note: str = "",
    ) -> None:
        found = self.catalog.lookup(key, spot=spot)
        if found is None:
            self.estimate.unpriced.append(f"{name} ({sku})")
            note = (note + "; " if note else "") + "no price in the catalog"
        elif spot and not found.spot_known:
            note = (note + "; " if note else "") + "no spot price in the catalog: on-demand used"
        price = found.value if found else 0.0
        factor = price * (hours if hours is not None else 1.0)
        self.estimate.lines.append(
            CostLine(
                resource=name,
                type=type_,
                sku=sku,
                monthly_usd=round(factor * quantity_max, 2),
                monthly_usd_min=round(factor * quantity_min, 2),
                quantity=quantity,
                unit_price=found.value if found else None,
                source=found.source if found else "",
                note=note,
                price_region=found.region if found else "",
                price_date=found.date if found else None,
                verified=found.verified if found else False,
            )
        )

    def free(self, name: str, type_: str, sku: str, quantity: str, note: str) -> None:
        """A resource without a fixed charge: a line at 0 with the reason."""
        self.estimate.lines.append(CostLine(name, type_, sku, 0.0, 0.0, quantity=quantity, note=note))

    def assumption(self, name: str) -> float:
        return self.catalog.assumption(name)

    def pool(self, name: str, type_: str, pool: Any) -> None:
        size = str(get(pool, "vmSize") or "unknown")
        count = get(pool, "count", 1)
        if get(pool, "enableAutoScaling") is True:
            high, low = get(pool, "maxCount", count), get(pool, "minCount", count)
        else:
            high = low = count
        spot = same(get(pool, "scaleSetPriority"), "Spot")
        self.add(
            name,
            type_,
            size,
            f"vm/{size}",
            float(high),
            float(low),
            hours=self.hours,
            spot=spot,
            quantity=f"{low}-{high} nodes" + (" (spot)" if spot else ""),
        )

    def resource(self, type_: str, name: str, props: Any) -> None:
        hours = self.hours
        if type_ in APP_TIER_TYPES:
            price_app_tier(self, type_, name, props)
            return
        if type_ == CLUSTER:
            tier = str(get(props, "sku.tier") or "Free")
            self.add(name, type_, f"AKS {tier}", f"aks/{tier}", 1, 1, hours=hours, quantity="1 cluster")
            for pool in items(get(props, "agentPoolProfiles")):
                self.pool(f"{name}/{get(pool, 'name')}", type_, pool)
        elif type_ == AGENT_POOL:
            self.pool(name, type_, props)
        elif type_ == "azure-native:containerregistry:Registry":
            sku = str(get(props, "sku.name") or "Basic")
            self.add(name, type_, sku, f"acr/{sku}", 1, 1, hours=hours / 24, quantity="1 registry")
        elif type_ == "azure-native:operationalinsights:Workspace":
            gb = self.catalog.assumption("log_analytics_gb_per_day") * hours / 24
            self.add(
                name,
                type_,
                "PerGB2018",
                "log-analytics/ingestion",
                gb,
                gb,
                quantity=f"{gb:.0f} GB/month (assumed)",
                note="ingestion volume assumed",
            )
        elif type_ == "azure-native:keyvault:Vault":
            ops = self.catalog.assumption("key_vault_operations_per_month") / 10_000
            self.add(
                name,
                type_,
                str(get(props, "properties.sku.name") or "standard"),
                "key-vault/operations",
                ops,
                ops,
                quantity=f"{ops * 10_000:.0f} operations (assumed)",
            )
        elif type_ == "azure-native:storage:StorageAccount":
            sku = str(get(props, "sku.name") or "Standard_LRS")
            gb = self.catalog.assumption("storage_gb")
            self.add(name, type_, sku, f"storage/{sku}", gb, gb, quantity=f"{gb:.0f} GB (assumed)")
        elif type_ == "azure-native:dashboard:Grafana":
            sku = str(get(props, "sku.name") or "Standard")
            self.add(name, type_, sku, f"grafana/{sku}", 1, 1, hours=hours, quantity="1 instance")
        elif type_ == "azure-native:machinelearningservices:OnlineDeployment":
            size = str(get(props, "properties.instanceType") or "unknown")
            count = float(get(props, "sku.capacity", 1))
            self.add(name, type_, size, f"vm/{size}", count, count, hours=hours, quantity=f"{count:.0f} instances")
        elif type_ == "azure-native:cognitiveservices:Deployment":
            sku = str(get(props, "sku.name") or "Standard")
            capacity = float(get(props, "sku.capacity", 0))
            if "provisioned" in sku.lower():
                self.add(
                    name, type_, sku, "openai/ptu", capacity, capacity, hours=hours, quantity=f"{capacity:.0f} PTU"
                )
            else:
                self.estimate.lines.append(
                    CostLine(
                        name,
                        type_,
                        sku,
                        0.0,
                        0.0,
                        quantity=f"{capacity:.0f}K TPM",
                        note="billed per token: not in the fixed estimate",
                    )
                )
        elif type_ == "azure-native:network:PrivateEndpoint":
            self.add(
                name, type_, "private endpoint", "network/private-endpoint", 1, 1, hours=hours, quantity="1 endpoint"
            )
        elif type_ == "azure-native:privatedns:PrivateZone":
            self.add(name, type_, "private zone", "dns/private-zone", 1, 1, quantity="1 zone")
        elif type_ == "azure-native:network:NatGateway":
            self.add(name, type_, "Standard", "network/nat-gateway", 1, 1, hours=hours, quantity="1 gateway")
        elif type_ == "azure-native:network:PublicIPAddress":
            self.add(name, type_, "Standard", "network/public-ip-standard", 1, 1, hours=hours, quantity="1 address")
        elif type_ == "azure-native:apimanagement:ApiManagementService":
            sku = str(get(props, "sku.name") or "Developer")
            units = float(get(props, "sku.capacity", 1) or 1)
            self.add(
                name,
                type_,
                f"API Management {sku}",
                f"apim/{sku}",
                units,
                units,
                hours=hours,
                quantity=f"{units:.0f} unit(s)",
            )
        elif type_ == "azure-native:network:AzureFirewall":
            tier = str(get(props, "sku.tier") or "Standard")
            self.add(
                name,
                type_,
                f"Azure Firewall {tier}",
                f"firewall/{tier}",
                1,
                1,
                hours=hours,
                quantity="1 deployment",
                note="data processed (per GB) not included",
            )
        elif type_ == "azure-native:app:Job":
            self.runner_job(name, type_, props)
        elif type_ == "azure-native:devopsinfrastructure:Pool":
            size = str(get(props, "fabricProfile.sku.name") or "unknown")
            agents = float(get(props, "maximumConcurrency", 1))
            busy = self.catalog.assumption("ci_busy_hours_per_runner")
            self.add(
                name,
                type_,
                size,
                f"vm/{size}",
                agents * busy,
                0,
                quantity=f"0-{agents:.0f} agents x {busy:.0f} busy h (assumed)",
                note="agents exist only while jobs run",
            )

    def runner_job(self, name: str, type_: str, props: Any) -> None:
        """Container Apps job runners: billed per vCPU- and GiB-second while an execution runs."""
        containers = items(get(props, "template.containers"))
        cpu = sum(float(get(c, "resources.cpu", 0) or 0) for c in containers)
        memory = sum(float(str(get(c, "resources.memory", "0Gi") or "0Gi").removesuffix("Gi")) for c in containers)
        runners = float(get(props, "configuration.eventTriggerConfig.scale.maxExecutions", 1))
        seconds = self.catalog.assumption("ci_busy_hours_per_runner") * 3600 * runners
        for key, quantity, what in (
            ("container-apps/vcpu-second", cpu, f"{cpu:g} vCPU"),
            ("container-apps/gib-second", memory, f"{memory:g} GiB"),
        ):
            self.add(
                name,
                type_,
                what,
                key,
                quantity * seconds,
                0,
                quantity=f"0-{runners:.0f} runners x {what} x {seconds / 3600 / runners:.0f} busy h (assumed)",
                note="runners scale to zero between jobs",
            )


def estimate_resources(resources: Iterable[tuple[str, str, Any]], catalog: PriceCatalog | None = None) -> Estimate:
    """Price `(type, name, props)` triples (default catalog: East US's)."""
    pricer = _Pricer(catalog or catalog_for("eastus"))
    for type_, name, props in resources:
        pricer.resource(type_, name, props)
    return pricer.estimate


def estimate_plan(plan: Any, catalog: PriceCatalog | None = None) -> Estimate:
    """Price the custom resources of a `llmops_infra.plan.Plan` (give the catalog of its region:
    `offline.costing.price_catalog(config)`)."""
    return estimate_resources(((r.type, r.name, r.props) for r in plan.custom_resources()), catalog)
