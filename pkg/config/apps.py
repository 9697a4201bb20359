"""The application tier's config: team apps on Container Apps, Foundry projects and agents, the stores.

`apps:` lists team applications (Agent Framework apps, chat back-ends, migrated prompt flows)
that run on the estate's internal Container Apps environment from the private registry, by
digest, each under its own identity. `foundry:` adds projects to the model account (the
Foundry resource), with the Agent Service's standard setup where a project enables `agents`; `search:` and `cosmos:` size the stores that apps
name in `stores`. What one section cannot check alone (an app naming a model deployment that
does not exist, a store without its section) is `cross_check_apps`, which the loader runs after
the models validate, so that the error names the file and line of the offending key.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from llmops_infra.components.rules import check_bounds, check_unique
from llmops_infra.config.common import DnsLabel, Strict

Store = Literal["search", "cosmos"]
DIGEST_PATTERN = r"^sha256:[0-9a-f]{64}$"


class AppRevision(Strict):
    name: DnsLabel = Field(
        description="Revision suffix: Azure names the revision <app>--<name>. The last revision listed is the one "
        "this update deploys (the app's template); earlier ones must exist from earlier updates."
    )
    traffic_percent: int = Field(
        ge=0, le=100, description="Share of the app's requests this revision serves; an app's revisions sum to 100."
    )


class AppConfig(Strict):
    name: DnsLabel = Field(description="App name (unique in the environment); also its internal host name.")
    image: str = Field(
        min_length=1,
        pattern=r"^[a-z0-9]+([._/-][a-z0-9]+)*$",
        description="Repository in the estate's registry, e.g. teams/chat-api (no registry host, no tag).",
    )
    image_digest: str = Field(pattern=DIGEST_PATTERN, description="sha256:<64 hex> digest the app runs.")
    team: DnsLabel = Field(
        description="Owning team: tagged on the app, shown by `access` and `graph`; with a gateway, one of `teams` "
        "(the app's API apps/<name> is in that team's product)."
    )
    models: list[DnsLabel] = Field(
        default_factory=list,
        description="Model deployments (openai.deployments names) the app calls: its identity gets "
        "Cognitive Services OpenAI User on the Foundry resource. Default: none.",
    )
    stores: list[Store] = Field(
        default_factory=list, description="Stores the app reads: search (AI Search) and/or cosmos (Cosmos DB)."
    )
    writes: list[Store] = Field(
        default_factory=list,
        description="Stores (of `stores`) the app also writes: Search Index Data Contributor / Cosmos DB Built-in "
        "Data Contributor instead of the reader roles. Default: read only.",
    )
    min_replicas: int = Field(1, ge=0, le=30, description="Fewest replicas per revision (0 scales to zero).")
    max_replicas: int = Field(3, ge=1, le=30, description="Most replicas per revision.")
    cpu: float = Field(0.5, gt=0, le=4, description="vCPUs per replica (Consumption profile sizes).")
    memory_gi: float = Field(1.0, gt=0, le=8, description="Memory per replica in GiB (2 GiB per vCPU at most).")
    target_port: int = Field(8080, ge=1, le=65535, description="Port the container listens on.")
    revisions: list[AppRevision] = Field(
        min_length=1, description="Revisions serving traffic (blue/green, A/B); the traffic split sums to 100."
    )

    @field_validator("revisions")
    @classmethod
    def _traffic(cls, revisions: list[AppRevision]) -> list[AppRevision]:
        check_unique([r.name for r in revisions], "revisions", "name")
        total = sum(r.traffic_percent for r in revisions)
        if total != 100:
            split = " + ".join(f"{r.name} {r.traffic_percent}" for r in revisions)
            raise ValueError(f"traffic_percent sums to {total} ({split}): the revisions' split must sum to 100")
        return revisions

    @model_validator(mode="after")
    def _checks(self) -> AppConfig:
        check_bounds(self.min_replicas, self.max_replicas, "min_replicas", "max_replicas")
        check_unique(self.models, f"apps.{self.name}.models", "model")
        check_unique(self.stores, f"apps.{self.name}.stores", "store")
        extra = sorted(set(self.writes) - set(self.stores))
        if extra:
            raise ValueError(f"writes {extra} are not in stores {self.stores}: add them to stores or remove them")
        if self.memory_gi > 2 * self.cpu:
            raise ValueError(
                f"memory_gi {self.memory_gi:g} exceeds 2 GiB per vCPU ({self.cpu:g} vCPU): the Consumption profile "
                "allows 2 GiB per vCPU; raise cpu or lower memory_gi"
            )
        return self


class FoundryProject(Strict):
    name: DnsLabel = Field(description="Project name (a team or use case).")
    display_name: str = Field("", max_length=64, description="Name shown in the Foundry portal. Default: the name.")
    agents: bool = Field(
        False,
        description="Run the Agent Service's standard setup in this project: agent threads in the estate's Cosmos DB, "
        "files in a dedicated private storage account, vector stores in its AI Search, agents injected into "
        "network.subnets.agents (docs/apps.md). Needs network.subnets.agents and 3000 RU/s of Cosmos DB per "
        "agent project. Default: off.",
    )


class FoundryConfig(Strict):
    projects: list[FoundryProject] = Field(
        default_factory=list, description="Projects under the Foundry resource, one per team or use case."
    )

    @model_validator(mode="after")
    def _unique(self) -> FoundryConfig:
        check_unique([p.name for p in self.projects], "foundry.projects", "name")
        return self


class SearchConfig(Strict):
    sku: Literal["basic", "standard", "standard2", "standard3"] = Field(
        "basic", description="AI Search tier (basic is the smallest with private endpoints)."
    )
    replicas: int = Field(1, ge=1, le=12, description="Replicas (query capacity; 2 for read SLA, 3 for write SLA).")
    partitions: int = Field(1, ge=1, le=12, description="Partitions (index size).")
    allow_public_network_access: bool = Field(False, description="Dangerous. Default: private endpoint only.")


class CosmosConfig(Strict):
    throughput: int = Field(
        1000, ge=400, le=100000, description="Provisioned RU/s shared by the database's containers (100 steps)."
    )
    backup: Literal["periodic", "Continuous7Days", "Continuous30Days"] = Field(
        "Continuous7Days",
        description="Backup mode: continuous (point-in-time restore within 7 or 30 days) or periodic.",
    )
    allow_public_network_access: bool = Field(False, description="Dangerous. Default: private endpoint only.")
    total_throughput_limit: int | None = Field(
        None,
        ge=400,
        description="Cap on the RU/s provisioned on the whole account (capacity.totalThroughputLimit): a cost guard. "
        "Agent projects add 3000 RU/s each (three containers of 1000 RU/s the Agent Service creates), so the cap "
        "must cover throughput + 3000 per agent project. Default: none (no account-wide cap).",
    )

    @field_validator("throughput")
    @classmethod
    def _steps(cls, value: int) -> int:
        if value % 100:
            raise ValueError(f"throughput {value} is not a multiple of 100 RU/s")
        return value


def _located(config: Any) -> Iterator[tuple[tuple[str | int, ...], str]]:
    deployments = [d.name for d in config.openai.deployments]
    teams = [t.name for t in config.teams]
    seen: set[str] = set()
    for index, app in enumerate(config.apps):
        if app.name in seen:
            yield ("apps", index, "name"), f"app name {app.name!r} appears twice: names must be unique"
        seen.add(app.name)
        if config.gateway is not None and app.team not in teams:
            yield (
                ("apps", index, "team"),
                f"team {app.team!r} is not in teams {teams}: behind the gateway, an app's API belongs to its team's "
                "product; add the team or name one of them",
            )
        team = next((t for t in config.teams if t.name == app.team), None)
        for position, model in enumerate(app.models):
            if model not in deployments:
                yield (
                    ("apps", index, "models", position),
                    f"model {model!r} is not a deployment of openai.deployments: use one of {deployments}",
                )
            elif config.gateway is not None and team is not None and model not in team.models:
                yield (
                    ("apps", index, "models", position),
                    f"model {model!r} is not among the models of team {team.name!r} {list(team.models)}: behind the "
                    "gateway an app calls models through its team's product; add it to the team's models",
                )
    names = [a.name for a in config.apps]
    for index, endpoint in enumerate(config.ml.endpoints):
        migration = endpoint.migrate_to
        if migration is None:
            continue
        if config.gateway is None:
            yield (
                ("ml", "endpoints", index, "migrate_to"),
                "a flow moves to an app behind its gateway route (models/<name>): configure gateway, or remove migrate_to",
            )
        elif migration.app not in names:
            yield (
                ("ml", "endpoints", index, "migrate_to", "app"),
                f"app {migration.app!r} is not in apps {names}: add the app that takes over the flow, or name one",
            )
    if config.apps and config.network.subnets.apps is None:
        yield ("apps",), "apps run in the Container Apps environment, which needs network.subnets.apps (/27 or larger)"
    if config.network.subnets.apps is not None and not config.apps:
        yield ("network", "subnets", "apps"), "network.subnets.apps is set but no apps are configured: remove it"


AGENT_RU_PER_PROJECT = 3000
"""RU/s the Agent Service provisions per project: three containers of 1000 RU/s (Learn, standard agent setup,
"Cosmos DB throughput requirements", read 2026-12-02)."""


def _agent_checks(config: Any) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """The standard agent setup's prerequisites, each at the key to change."""
    agents = [i for i, p in enumerate(config.foundry.projects) if p.agents]
    subnet = config.network.subnets.agents
    if not agents:
        if subnet is not None:
            yield ("network", "subnets", "agents"), "network.subnets.agents is set but no foundry project has agents"
        return
    first = ("foundry", "projects", agents[0], "agents")
    if config.openai.kind != "AIServices":
        yield first, f"agents need a Foundry resource: set openai.kind AIServices (it is {config.openai.kind})"
    if subnet is None:
        yield (
            first,
            "agents run in a subnet of their own, delegated to Microsoft.App/environments: add network.subnets.agents "
            "(/27 or larger, /24 recommended), unused by anything else",
        )
    for store in ("search", "cosmos"):
        if getattr(config, store).allow_public_network_access:
            yield (
                (store, "allow_public_network_access"),
                f"agent projects keep their data in {store}, which must be private: remove allow_public_network_access",
            )
    limit = config.cosmos.total_throughput_limit
    needed = config.cosmos.throughput + AGENT_RU_PER_PROJECT * len(agents)
    if limit is not None and limit < needed:
        yield (
            ("cosmos", "total_throughput_limit"),
            f"total_throughput_limit {limit} RU/s is below what the account needs: {config.cosmos.throughput} "
            f"(cosmos.throughput) + {AGENT_RU_PER_PROJECT} x {len(agents)} agent project(s) = {needed} RU/s "
            "(the capability host fails otherwise): raise it to at least that, or remove it",
        )


def cross_check_apps(config: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """Checks across sections (key path, message): the loader turns the first into a located ConfigError."""
    return [*_located(config), *_agent_checks(config)]
