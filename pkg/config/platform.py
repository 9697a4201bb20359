"""Config of the platform's shared parts: Azure target, tags, state, network, Key Vault, identities, monitoring, budget and cost limits."""

from __future__ import annotations

from datetime import date
from ipaddress import IPv4Network
from typing import Literal

from pydantic import Field, field_validator, model_validator

from llmops_infra.components.dns_zones import is_regional_zone, known_zone_names
from llmops_infra.components.rules import check_unique, check_vault_firewall, ipv4_network
from llmops_infra.config import azure_limits
from llmops_infra.config.common import DnsLabel, Email, EnvVarName, GpuVmSize, SecretName, Strict, Uuid


class AzureTarget(Strict):
    subscription_id: Uuid = Field(description="Azure subscription that holds the environment.")
    tenant_id: Uuid = Field(description="Entra ID tenant of the subscription.")
    location: str = Field(
        pattern=r"^[a-z0-9]+$",
        description="Azure region name, lowercase without spaces, e.g. eastus or swedencentral.",
    )

    @field_validator("location")
    @classmethod
    def _known_region(cls, value: str) -> str:
        problem = azure_limits.region_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class Tags(Strict):
    owner: str = Field(min_length=1, description="Team or person accountable for the estate.")
    cost_center: str = Field(min_length=1, description="Cost center that pays for the estate.")
    workload: str = Field(min_length=1, description="Use case the estate serves, for cost attribution.")
    extra: dict[str, str] = Field(
        default_factory=dict,
        description="Additional tags applied to every taggable resource. Azure's limits apply: names up to 128 "
        "characters without < > % & \\ ? / or spaces, values up to 256, 50 tags per resource in all.",
    )

    @model_validator(mode="after")
    def _azure_limits(self) -> Tags:
        from llmops_infra.components.tags import REQUIRED_TAGS

        for name, value in (("owner", self.owner), ("cost-center", self.cost_center), ("workload", self.workload)):
            problem = azure_limits.tag_value_problem(name, value)
            if problem:
                raise ValueError(problem)
        problem = azure_limits.tags_problem(self.extra, fixed=len(REQUIRED_TAGS))
        if problem:
            raise ValueError(f"extra: {problem}")
        return self


class StateBackend(Strict):
    url: str = Field(
        "file://.llmops/state",
        description="Pulumi backend: file://<dir> (relative to the project; one person trying it, refused when "
        "CI=true), azblob://<container>?storage_account=<account> (what `llmops-infra bootstrap` creates), or "
        "https://api.pulumi.com (Pulumi Cloud; PULUMI_ACCESS_TOKEN at run time).",
        pattern=r"^(file://|azblob://|https://)",
    )
    secrets_provider: str = Field(
        "passphrase",
        description="passphrase (read from PULUMI_CONFIG_PASSPHRASE at run time), "
        "azurekeyvault://<vault>.vault.azure.net/keys/<key>, or service (Pulumi Cloud's own, with an https:// "
        "Pulumi Cloud backend only).",
        pattern=r"^(passphrase|service|azurekeyvault://.+)$",
    )

    @model_validator(mode="after")
    def _service_needs_cloud(self) -> StateBackend:
        if self.secrets_provider == "service" and not self.url.startswith("https://"):
            raise ValueError(
                f"secrets_provider service is Pulumi Cloud's and url is {self.url}: use url https://api.pulumi.com "
                "(or your Pulumi Cloud URL), or another secrets provider"
            )
        return self


RFC1918 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
"""The agent subnet's allowed ranges (Learn, "Set up private networking for Foundry Agent Service", read 2026-12-02)."""


class Subnets(Strict):
    aks_nodes: str = Field(description="CIDR of the AKS node subnet.")
    private_endpoints: str = Field(description="CIDR of the subnet that holds private endpoints.")
    ml_compute: str = Field(description="CIDR of the subnet for Azure ML managed compute.")
    ci_runners: str | None = Field(
        None,
        description="CIDR of the CI runners' subnet (ci.runners), delegated to Container Apps (GitHub runners; "
        "/27 or larger) or to Managed DevOps Pools (Azure DevOps; room for the pool plus 5 addresses), with a NAT "
        "gateway for outbound traffic. Default: none.",
    )
    gateway: str | None = Field(
        None,
        description="CIDR of the AI gateway's subnet (API Management in internal VNet mode; /27 or larger, not "
        "delegated). Required with `gateway`. Default: none.",
    )
    firewall: str | None = Field(
        None,
        description="CIDR of the Azure Firewall's subnet (AzureFirewallSubnet, /26 or larger). Required with "
        "egress.mode firewall. Default: none.",
    )
    apps: str | None = Field(
        None,
        description="CIDR of the internal Container Apps environment's subnet (apps), delegated to "
        "Microsoft.App/environments; /27 or larger. Default: none (no apps).",
    )
    agents: str | None = Field(
        None,
        description="CIDR of the Foundry Agent Service's subnet (foundry.projects[].agents), delegated to "
        "Microsoft.App/environments and used by nothing else (one Foundry resource per subnet); a private "
        "(RFC 1918) range, /27 or larger, /24 recommended. Default: none (no agents).",
    )


class NetworkConfig(Strict):
    address_space: str = Field(description="CIDR of the virtual network, e.g. 10.20.0.0/16.")
    subnets: Subnets = Field(description="Subnet ranges; each must lie inside address_space.")
    existing_private_dns_zones: dict[str, str] = Field(
        default_factory=dict,
        description="Private DNS zones owned by a hub: zone name -> resource id. These zones are "
        "used instead of creating new ones.",
    )

    @field_validator("address_space")
    @classmethod
    def _cidr(cls, value: str) -> str:
        return str(ipv4_network(value))

    @model_validator(mode="after")
    def _subnets_inside(self) -> NetworkConfig:
        space = ipv4_network(self.address_space)
        nets: dict[str, IPv4Network] = {}
        for key, cidr in self.subnets.model_dump().items():
            if cidr is None:
                continue
            net = ipv4_network(cidr)
            if key in ("apps", "agents") and net.prefixlen > 27:
                raise ValueError(
                    f"subnets.{key} ({cidr}) is smaller than /27, the least a subnet delegated to "
                    "Microsoft.App/environments takes"
                )
            if key == "agents" and not any(net.subnet_of(ipv4_network(r)) for r in RFC1918):
                raise ValueError(
                    f"subnets.agents ({cidr}) is not a private RFC 1918 range: the Agent Service refuses it"
                )
            if not net.subnet_of(space):
                raise ValueError(
                    f"subnets.{key} ({cidr}) is outside address_space ({self.address_space}): choose a range inside it"
                )
            for other, other_net in nets.items():
                if net.overlaps(other_net):
                    raise ValueError(f"subnets.{key} ({cidr}) overlaps subnets.{other}: use disjoint ranges")
            nets[key] = net
        known = known_zone_names()
        unknown = sorted(z for z in set(self.existing_private_dns_zones) - known if not is_regional_zone(z))
        if unknown:
            raise ValueError(
                f"existing_private_dns_zones {unknown} are not private DNS zones the estate uses: "
                f"use names from {sorted(known)}"
            )
        for zone, zone_id in self.existing_private_dns_zones.items():
            if "/providers/Microsoft.Network/privateDnsZones/" not in zone_id:
                raise ValueError(
                    f"existing_private_dns_zones.{zone} is not a private DNS zone resource id "
                    "(/subscriptions/.../providers/Microsoft.Network/privateDnsZones/<zone>)"
                )
        return self


class SecretFromEnv(Strict):
    """A Key Vault secret the bootstrap creates, once, from an environment variable."""

    name: SecretName = Field(description="Name of the secret in the estate's Key Vault, e.g. hf-hub-token.")
    env: EnvVarName = Field(
        description="Environment variable that holds the value when the bootstrap creates the secret, e.g. HF_TOKEN. "
        "Read only while the secret is missing; the value is never written to YAML, state, output or logs."
    )
    description: str | None = Field(None, max_length=200, description="What the secret is for (shown in preview).")


class KeyVaultConfig(Strict):
    secrets_from_env: list[SecretFromEnv] = Field(
        default_factory=list,
        description="Secrets the bootstrap (between the platform and the workload stack) creates in the vault from "
        "environment variables when they are missing. A secret that exists is kept (rotate it in the vault). "
        "Secrets the workloads reference but that are not listed here must exist before the workload stack runs.",
    )
    soft_delete_retention_days: int = Field(
        90, ge=7, le=90, description="Days a deleted vault or secret stays recoverable (7-90)."
    )
    allow_public_network_access: bool = Field(
        False, description="Dangerous. Default: reachable only through its private endpoint."
    )
    allowed_ip_ranges: list[str] = Field(
        default_factory=list,
        description="Public IP ranges allowed through the vault firewall (only with public access).",
    )

    @model_validator(mode="after")
    def _firewall(self) -> KeyVaultConfig:
        check_vault_firewall(self.allow_public_network_access, self.allowed_ip_ranges)
        check_unique([s.name for s in self.secrets_from_env], "secrets_from_env", "name")
        return self


class GitHubFederation(Strict):
    repository: str = Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", description="owner/repo of the pipelines.")
    environment: str = Field(min_length=1, description="GitHub deployment environment allowed to deploy.")


class AzureDevOpsFederation(Strict):
    organization: str = Field(min_length=1, description="Azure DevOps organization name.")
    organization_id: Uuid = Field(description="Azure DevOps organization id (the OIDC issuer path).")
    project: str = Field(min_length=1, description="Azure DevOps project.")
    service_connection: str = Field(min_length=1, description="Name of the workload-identity service connection.")


class PipelineIdentity(Strict):
    github: GitHubFederation | None = Field(None, description="GitHub Actions OIDC federation.")
    azure_devops: AzureDevOpsFederation | None = Field(None, description="Azure DevOps OIDC federation.")
    deployer: Literal["bootstrap", "estate"] = Field(
        "bootstrap",
        description="Who owns the identity CI deploys as. bootstrap (default): `llmops-infra bootstrap ENV` creates "
        "it and its federated credentials before the first run; the estate grants it what deploying needs. "
        "estate: the stack creates the identity and its federated credentials (first deployments by hand).",
    )


class IdentityConfig(Strict):
    workloads: list[DnsLabel] = Field(
        default_factory=lambda: ["inference", "promptflow", "chatops"],
        min_length=1,
        description="Workloads that get a user-assigned managed identity each.",
    )
    pipeline: PipelineIdentity = Field(
        default_factory=PipelineIdentity,
        description="CI systems whose OIDC tokens the pipeline principal trusts (no client secrets).",
    )

    @model_validator(mode="after")
    def _unique_workloads(self) -> IdentityConfig:
        check_unique(list(self.workloads), "workloads", "workload")
        return self


class MonitoringConfig(Strict):
    log_retention_days: int = Field(30, ge=30, le=730, description="Log Analytics retention in days.")
    alert_emails: list[Email] = Field(min_length=1, description="Who receives alerts.")
    chat_webhook_env: str | None = Field(
        None,
        pattern=r"^[A-Z][A-Z0-9_]*$",
        description="Name of the environment variable that holds the team chat webhook URL at run "
        "time (the URL carries a token, so it never lives in YAML).",
    )
    grafana: bool = Field(True, description="Provision Azure Managed Grafana for dashboards.")
    grafana_admin_group_object_ids: list[Uuid] = Field(
        default_factory=list,
        description="Entra ID groups granted Grafana Admin on the Grafana instance (only there). Default: none.",
    )
    allow_public_network_access: bool = Field(
        False,
        description="Dangerous. Default: Log Analytics and Application Insights accept ingestion and queries only "
        "through the Azure Monitor Private Link Scope (access mode PrivateOnly); agents in the VNet ingest "
        "through its private endpoint. True also lets public networks in (e.g. portal queries from outside).",
    )

    @model_validator(mode="after")
    def _grafana_admins(self) -> MonitoringConfig:
        if self.grafana_admin_group_object_ids and not self.grafana:
            raise ValueError(
                "grafana_admin_group_object_ids has no effect without Grafana: remove it or set grafana: true"
            )
        check_unique(list(self.grafana_admin_group_object_ids), "grafana_admin_group_object_ids", "group")
        return self


class BudgetConfig(Strict):
    monthly_usd: float = Field(gt=0, description="Monthly consumption budget in USD.")
    contact_emails: list[Email] = Field(min_length=1, description="Who is notified as the budget is consumed.")
    actual_threshold_percent: int = Field(80, ge=1, le=1000, description="Notify at this % of actual spend.")
    forecast_threshold_percent: int = Field(100, ge=1, le=1000, description="Notify at this % of forecast spend.")
    start_date: date | None = Field(
        None,
        description="First day of the first budgeted month (YYYY-MM-01). Default: the first day of the current "
        "month (UTC) when the stack runs. Azure accepts only the current month or a later one when the budget "
        "is created; later changes are ignored (a new start would replace the budget and its history).",
    )

    @field_validator("start_date")
    @classmethod
    def _first_of_month(cls, value: date | None) -> date | None:
        if value is not None and value.day != 1:
            raise ValueError(f"start_date {value} is not the first day of a month: use {value.replace(day=1)}")
        problem = azure_limits.budget_start_problem(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value


class CostLimits(Strict):
    max_monthly_usd: float = Field(gt=0, description="Policy limit on the plan's estimated monthly cost (max scale).")
    allowed_gpu_sizes: list[GpuVmSize] = Field(min_length=1, description="GPU VM sizes this environment may use.")
    max_gpu_nodes: int = Field(ge=0, description="Cap on the sum of max_nodes over GPU pools.")
    allowed_regions: list[str] = Field(min_length=1, description="Regions resources may be deployed to.")

    @field_validator("allowed_regions")
    @classmethod
    def _known_regions(cls, value: list[str]) -> list[str]:
        for region in value:
            problem = azure_limits.region_problem(region)
            if problem:
                raise ValueError(problem)
        return value

    max_openai_capacity: int = Field(
        ge=0, description="Cap on the summed capacity (thousands of tokens per minute) of OpenAI deployments."
    )
    allow_provisioned_throughput: bool = Field(
        False, description="Allow OpenAI provisioned (PTU) SKUs, billed hourly whether used or not."
    )
    price_catalog: str | None = Field(
        None,
        min_length=1,
        description="Price catalog that prices this environment: a JSON file, or a directory of <region>.json "
        "files (as `llmops-infra prices refresh --output DIR` writes), relative to the project directory. "
        "Default: the refreshed copy in the user cache, else the catalog shipped with llmops-infra. "
        "`--prices` on a command overrides it.",
    )
