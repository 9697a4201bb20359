"""Cost lines of the app tier: AI Search, Cosmos DB, Container Apps, Foundry projects.

- AI Search (dedicated tiers): search units (replicas x partitions) at the tier's hourly rate.
- Cosmos DB (provisioned): the database's RU/s in units of 100 RU/s per hour, plus the assumed
  storage. Continuous backup: the 7-day tier carries no charge we could confirm offline and the
  30-day tier is billed per GB; both are noted, not guessed.
- Container apps (Consumption profile): vCPU- and GiB-seconds of every allocated replica, per
  revision that takes traffic (each active revision scales on its own), between min and max
  replicas, at the active rate (an upper bound: idle replicas bill lower; the monthly free grant
  is not subtracted).
- The Consumption-only environment and Foundry projects have no fixed charge: listed with a note.
- A project capability host (Agent Service standard setup) is free itself, but creates three Cosmos DB
  containers of 1000 RU/s each in the estate's account (Learn, standard agent setup, "Cosmos DB throughput
  requirements", read 2026-12-02): priced as 3000 RU/s of provisioned throughput. Project connections are free.
"""

from __future__ import annotations

from typing import Any, Protocol

from llmops_infra.policies.props import get, items

SEARCH = "azure-native:search:Service"
COSMOS_DATABASE = "azure-native:cosmosdb:SqlResourceSqlDatabase"
COSMOS_ACCOUNT = "azure-native:cosmosdb:DatabaseAccount"
CONTAINER_APP = "azure-native:app:ContainerApp"
APP_ENVIRONMENT = "azure-native:app:ManagedEnvironment"
PROJECT = "azure-native:cognitiveservices:Project"
CAPABILITY_HOST = "azure-native:cognitiveservices:ProjectCapabilityHost"
CONNECTION = "azure-native:cognitiveservices:ProjectConnection"
AGENT_RU = 3000
"""RU/s the Agent Service provisions per project capability host (three containers of 1000 RU/s)."""
TYPES = frozenset(
    {SEARCH, COSMOS_DATABASE, COSMOS_ACCOUNT, CONTAINER_APP, APP_ENVIRONMENT, PROJECT, CAPABILITY_HOST, CONNECTION}
)


class Pricer(Protocol):
    hours: float

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
    ) -> None: ...

    def free(self, name: str, type_: str, sku: str, quantity: str, note: str) -> None: ...

    def assumption(self, name: str) -> float: ...


def price_app_tier(pricer: Pricer, type_: str, name: str, props: Any) -> None:
    hours = pricer.hours
    if type_ == SEARCH:
        sku = str(get(props, "sku.name") or "basic")
        units = float(get(props, "replicaCount", 1) or 1) * float(get(props, "partitionCount", 1) or 1)
        pricer.add(name, type_, sku, f"search/{sku}", units, units, hours=hours, quantity=f"{units:g} search units")
    elif type_ == COSMOS_DATABASE:
        throughput = float(get(props, "options.throughput", 0) or 0)
        hundreds = throughput / 100
        pricer.add(
            name,
            type_,
            "provisioned",
            "cosmos/provisioned-100ru",
            hundreds,
            hundreds,
            hours=hours,
            quantity=f"{throughput:g} RU/s",
        )
    elif type_ == COSMOS_ACCOUNT:
        gb = pricer.assumption("cosmos_storage_gb")
        tier = str(get(props, "backupPolicy.continuousModeProperties.tier") or get(props, "backupPolicy.type") or "")
        pricer.add(
            name,
            type_,
            "storage",
            "cosmos/storage-gb",
            gb,
            gb,
            quantity=f"{gb:g} GB (assumed)",
            note=f"backup {tier or 'periodic'}: not in the estimate" + (" (billed per GB)" if "30" in tier else ""),
        )
    elif type_ == CONTAINER_APP:
        _container_app(pricer, type_, name, props)
    elif type_ == APP_ENVIRONMENT:
        pricer.free(name, type_, "Consumption", "1 environment", "no fixed charge without dedicated profiles")
    elif type_ == PROJECT:
        pricer.free(name, type_, "project", "1 project", "no charge of its own: use is billed on the account")
    elif type_ == CAPABILITY_HOST:
        hundreds = AGENT_RU / 100
        pricer.add(
            name,
            type_,
            "agent threads (Cosmos DB)",
            "cosmos/provisioned-100ru",
            hundreds,
            hundreds,
            hours=hours,
            quantity=f"{AGENT_RU} RU/s",
            note="the three containers the Agent Service creates in the estate's Cosmos DB",
        )
    elif type_ == CONNECTION:
        pricer.free(name, type_, "connection", "1 connection", "no charge")


def _container_app(pricer: Pricer, type_: str, name: str, props: Any) -> None:
    containers = items(get(props, "template.containers"))
    cpu = sum(float(get(c, "resources.cpu", 0) or 0) for c in containers)
    memory = sum(float(str(get(c, "resources.memory", "0Gi") or "0Gi").removesuffix("Gi")) for c in containers)
    revisions = len([t for t in items(get(props, "configuration.ingress.traffic")) if (get(t, "weight", 0) or 0) > 0])
    revisions = max(revisions, 1)
    low = float(get(props, "template.scale.minReplicas", 0) or 0) * revisions
    high = float(get(props, "template.scale.maxReplicas", 1) or 1) * revisions
    seconds = pricer.hours * 3600 * pricer.assumption("app_busy_fraction")
    for key, per_replica, what in (
        ("container-apps/vcpu-second", cpu, f"{cpu:g} vCPU"),
        ("container-apps/gib-second", memory, f"{memory:g} GiB"),
    ):
        pricer.add(
            name,
            type_,
            what,
            key,
            per_replica * seconds * high,
            per_replica * seconds * low,
            quantity=f"{low:g}-{high:g} replicas ({revisions} revisions) x {what}",
            note="active rate, free grant not subtracted",
        )
