"""The environment configuration: typed, strict, documented models.

`environments/base.yaml` and `environments/<env>.yaml` are merged (see `loader.py`) and
validated into an `EnvironmentConfig`. Every field has a description: they become the JSON
Schemas (`environments/*.schema.json`, `config.schema`) that editors use to complete and check the YAML.
Environment differences live in the YAML files, never in `if env == "prod"` in code.

The section models live beside this module (`platform`, `compute`, `ai`, `governance`), their
cross-field rules in `llmops_infra.components.rules` (shared with the component Args); this
module composes them and re-exports every model, so `from llmops_infra.config.models import X`
works for all of them.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from llmops_infra.components.gpu_sizes import fit_problem
from llmops_infra.components.rules import check_unique
from llmops_infra.config.ai import (
    ContentFilterLevel,
    ContentSafetyConfig,
    FlowImage,
    ImportCredentials,
    MlConfig,
    MlDeployment,
    MlEndpoint,
    OpenAIConfig,
    OpenAIDeployment,
    RegistryConfig,
)
from llmops_infra.config.apps import AppConfig, AppRevision, CosmosConfig, FoundryConfig, FoundryProject, SearchConfig
from llmops_infra.config.common import (
    UUID_PATTERN,
    DnsLabel,
    Email,
    EnforcementLevel,
    GpuVmSize,
    ShortName,
    Strict,
    Uuid,
    VmSize,
)
from llmops_infra.config.compute import ClusterConfig, GpuPool, SystemPool
from llmops_infra.config.delivery import AzureDevOpsRunners, CiConfig, GitHubRunners, RunnerConfig
from llmops_infra.config.gateway import (
    EgressConfig,
    GatewayConfig,
    TeamConfig,
    check_gateway_addresses,
    check_teams,
)
from llmops_infra.config.governance import PolicyConfig, PolicyExemption, PromotionConfig
from llmops_infra.config.inference import (
    ActiveHours,
    CronExpression,
    InferenceConfig,
    InferenceModel,
    WeightsLoader,
)
from llmops_infra.config.platform import (
    AzureDevOpsFederation,
    AzureTarget,
    BudgetConfig,
    CostLimits,
    GitHubFederation,
    IdentityConfig,
    KeyVaultConfig,
    MonitoringConfig,
    NetworkConfig,
    PipelineIdentity,
    SecretFromEnv,
    StateBackend,
    Subnets,
    Tags,
)


class EnvironmentConfig(Strict):
    """One environment of the estate: base.yaml overlaid with <env>.yaml."""

    name: ShortName = Field(description="Environment name (dev, staging, prod): used in names and tags.")
    workload: ShortName = Field(description="Short workload name used in resource names, e.g. llmops.")
    azure: AzureTarget = Field(description="Where the environment lives.")
    tags: Tags = Field(description="Cost-allocation tags.")
    state: StateBackend = Field(default_factory=StateBackend, description="Pulumi backend and secrets provider.")
    network: NetworkConfig = Field(description="Virtual network, subnets and private DNS.")
    key_vault: KeyVaultConfig = Field(default_factory=KeyVaultConfig, description="The estate's Key Vault.")
    identity: IdentityConfig = Field(
        default_factory=IdentityConfig, description="Managed identities and CI federation."
    )
    monitoring: MonitoringConfig = Field(description="Logs, metrics, alerts.")
    budget: BudgetConfig = Field(description="Consumption budget.")
    cost: CostLimits = Field(description="Cost limits enforced by policy.")
    registry: RegistryConfig = Field(default_factory=RegistryConfig, description="Container registry.")
    cluster: ClusterConfig = Field(description="GPU inference cluster.")
    inference: InferenceConfig = Field(
        default_factory=InferenceConfig, description="Inference services on the cluster."
    )
    content_safety: ContentSafetyConfig = Field(
        default_factory=ContentSafetyConfig, description="Azure AI Content Safety."
    )
    openai: OpenAIConfig = Field(default_factory=OpenAIConfig, description="Azure OpenAI account and deployments.")
    ml: MlConfig = Field(default_factory=MlConfig, description="Azure ML workspace and online endpoints.")
    foundry: FoundryConfig = Field(
        default_factory=FoundryConfig, description="Projects (and agents) on the Foundry resource (openai)."
    )
    apps: list[AppConfig] = Field(
        default_factory=list, description="Team apps on the internal Container Apps environment (docs/apps.md)."
    )
    search: SearchConfig = Field(default_factory=SearchConfig, description="AI Search, when an app or agent uses it.")
    cosmos: CosmosConfig = Field(
        default_factory=CosmosConfig, description="Cosmos DB for NoSQL, when an app or agent uses it."
    )
    policy: PolicyConfig = Field(description="Policy enforcement for this environment.")
    promotion: PromotionConfig = Field(
        default_factory=PromotionConfig, description="How releases reach this environment."
    )
    ci: CiConfig = Field(
        default_factory=CiConfig, description="Where CI deploys this environment from: runners, timeout."
    )
    gateway: GatewayConfig | None = Field(
        None, description="The AI gateway (API Management) in front of every model. Default: no gateway."
    )
    teams: list[TeamConfig] = Field(
        default_factory=list, description="Who calls which model through the gateway, with token limits. Default: none."
    )
    egress: EgressConfig = Field(
        default_factory=EgressConfig,
        description="How the cluster's nodes reach the internet. Default: through an Azure Firewall in the estate.",
    )

    @model_validator(mode="after")
    def _cross_checks(self) -> EnvironmentConfig:
        pools = {p.name: p for p in self.cluster.gpu_pools}
        for model in self.inference.models:
            if model.gpu_pool not in pools:
                raise ValueError(
                    f"inference.models.{model.name}.gpu_pool {model.gpu_pool!r} is not a GPU pool: "
                    f"use one of {sorted(pools)}"
                )
            problem = fit_problem(
                vm_size=pools[model.gpu_pool].vm_size,
                gpus_per_replica=model.gpus_per_replica,
                weights_gb=model.weights_gb,
                dtype=model.dtype,
            )
            if problem:
                raise ValueError(f"inference.models.{model.name} on pool {model.gpu_pool!r}: {problem}")
        check_unique([m.name for m in self.inference.models], "inference.models", "name")
        if self.inference.models and "inference" not in self.identity.workloads:
            raise ValueError(
                "inference.models run as the 'inference' workload identity: add inference to "
                "identity.workloads or remove the models"
            )
        if self.azure.location not in self.cost.allowed_regions:
            raise ValueError(
                f"azure.location {self.azure.location!r} is not in cost.allowed_regions "
                f"{self.cost.allowed_regions}: add it or choose an allowed region"
            )
        if self.ml.endpoints and self.registry.sku != "Premium":
            # The ML workspace's managed network reaches its registry only through a private
            # endpoint, and only Premium registries have one: online deployments could not pull.
            raise ValueError(
                f"registry.sku is {self.registry.sku} but ml.endpoints are configured: the ML workspace's "
                "managed network reaches its registry only through a private endpoint, which needs a Premium "
                "registry. Set registry.sku: Premium, or remove ml.endpoints"
            )
        self._ci_checks()
        self._gateway_checks()
        return self

    def bootstrap_variables(self) -> tuple[str, ...]:
        """The environment variables `up`'s bootstrap reads (never their values): each secret of
        `key_vault.secrets_from_env`, each `registry.import_credentials` pair. CI passes them in."""
        names = [secret.env for secret in self.key_vault.secrets_from_env]
        for entry in self.registry.import_credentials:
            names += [entry.username_env, entry.password_env]
        return tuple(dict.fromkeys(names))

    def _gateway_checks(self) -> None:
        subnets = self.network.subnets
        if self.gateway is not None and subnets.gateway is None:
            raise ValueError(
                "gateway needs network.subnets.gateway: a subnet of its own for API Management (/27 or larger)"
            )
        if self.egress.mode == "firewall" and subnets.firewall is None:
            raise ValueError(
                "egress.mode firewall needs network.subnets.firewall (/26 or larger, named AzureFirewallSubnet): add it, "
                "or route through a hub firewall (egress.mode: hub), or opt out (egress.mode: direct)"
            )
        if self.egress.mode != "firewall" and subnets.firewall is not None:
            raise ValueError(f"network.subnets.firewall is set but egress.mode is {self.egress.mode}: remove one")
        served = {d.name for d in self.openai.deployments} | {m.name for m in self.inference.models}
        served |= {e.name for e in self.ml.endpoints}
        check_teams(list(self.teams), self.gateway, served)
        if self.gateway is not None and self.inference.models:
            nodes = self.cluster.system_pool.max_nodes + sum(p.max_nodes for p in self.cluster.gpu_pools)
            check_gateway_addresses(subnets.aks_nodes, nodes, len(self.inference.models))

    def _ci_checks(self) -> None:
        runners = self.ci.runners
        if runners.enabled and self.network.subnets.ci_runners is None:
            raise ValueError(
                "ci.runners.enabled needs network.subnets.ci_runners: a subnet of the VNet for the runners "
                "(/27 or larger)"
            )
        if self.network.subnets.ci_runners is not None and not runners.enabled:
            raise ValueError(
                "network.subnets.ci_runners is set but ci.runners.enabled is false: remove one or the other"
            )
        if runners.enabled and runners.kind == "azure-devops" and self.identity.pipeline.azure_devops is None:
            raise ValueError(
                "ci.runners.kind azure-devops needs identity.pipeline.azure_devops (the organization and project "
                "the pool serves)"
            )
        if runners.enabled and runners.kind == "github" and self.identity.pipeline.github is None:
            raise ValueError("ci.runners.kind github needs identity.pipeline.github (the repository the runners serve)")


__all__ = [
    "UUID_PATTERN",
    "ActiveHours",
    "AppConfig",
    "AppRevision",
    "AzureDevOpsFederation",
    "AzureDevOpsRunners",
    "AzureTarget",
    "BudgetConfig",
    "CiConfig",
    "ClusterConfig",
    "ContentFilterLevel",
    "ContentSafetyConfig",
    "CosmosConfig",
    "CostLimits",
    "CronExpression",
    "DnsLabel",
    "EgressConfig",
    "Email",
    "EnforcementLevel",
    "EnvironmentConfig",
    "FlowImage",
    "FoundryConfig",
    "FoundryProject",
    "GatewayConfig",
    "GitHubFederation",
    "GitHubRunners",
    "GpuPool",
    "GpuVmSize",
    "IdentityConfig",
    "ImportCredentials",
    "InferenceConfig",
    "InferenceModel",
    "KeyVaultConfig",
    "MlConfig",
    "MlDeployment",
    "MlEndpoint",
    "MonitoringConfig",
    "NetworkConfig",
    "OpenAIConfig",
    "OpenAIDeployment",
    "PipelineIdentity",
    "PolicyConfig",
    "PolicyExemption",
    "PromotionConfig",
    "RegistryConfig",
    "RunnerConfig",
    "SearchConfig",
    "SecretFromEnv",
    "ShortName",
    "StateBackend",
    "Strict",
    "Subnets",
    "SystemPool",
    "Tags",
    "TeamConfig",
    "Uuid",
    "VmSize",
    "WeightsLoader",
]
