"""The environment configuration: typed, strict, documented models.

`environments/base.yaml` and `environments/<env>.yaml` are merged (see `loader.py`) and
validated into an `EnvironmentConfig`. Every field has a description: they become the JSON
Schema (`environments/schema.json`) that editors use to complete and check the YAML.
Environment differences live in the YAML files, never in `if env == "prod"` in code.
"""

from __future__ import annotations

import ipaddress
from datetime import date
from enum import Enum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from llmops_infra.components.dns_zones import known_zone_names
from llmops_infra.components.gpu_sizes import fit_problem

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

Uuid = Annotated[str, StringConstraints(pattern=UUID_PATTERN)]
ShortName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]{1,9}$")]
DnsLabel = Annotated[str, StringConstraints(pattern=r"^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
GpuVmSize = Annotated[str, StringConstraints(pattern=r"^Standard_N[A-Za-z0-9_]+$")]
VmSize = Annotated[str, StringConstraints(pattern=r"^Standard_[A-Za-z0-9_]+$")]


class Strict(BaseModel):
    """Base of every config model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class EnforcementLevel(str, Enum):
    """How a policy verdict acts: mandatory stops a deployment, advisory only reports."""

    mandatory = "mandatory"
    advisory = "advisory"
    disabled = "disabled"


# --------------------------------------------------------------------------- identity


class AzureTarget(Strict):
    subscription_id: Uuid = Field(description="Azure subscription that holds the environment.")
    tenant_id: Uuid = Field(description="Entra ID tenant of the subscription.")
    location: str = Field(
        pattern=r"^[a-z0-9]+$",
        description="Azure region name, lowercase without spaces, e.g. eastus or swedencentral.",
    )


class Tags(Strict):
    owner: str = Field(min_length=1, description="Team or person accountable for the estate.")
    cost_center: str = Field(min_length=1, description="Cost center that pays for the estate.")
    workload: str = Field(min_length=1, description="Use case the estate serves, for cost attribution.")
    extra: dict[str, str] = Field(
        default_factory=dict, description="Additional tags applied to every taggable resource."
    )


class StateBackend(Strict):
    url: str = Field(
        "file://.llmops/state",
        description="Pulumi backend: file://<dir> (relative to the project) or azblob://<container>.",
        pattern=r"^(file://|azblob://|https://)",
    )
    secrets_provider: str = Field(
        "passphrase",
        description="passphrase (read from PULUMI_CONFIG_PASSPHRASE at run time) or azurekeyvault://<vault>.vault.azure.net/keys/<key>.",
        pattern=r"^(passphrase|azurekeyvault://.+)$",
    )


# --------------------------------------------------------------------------- network


class Subnets(Strict):
    aks_nodes: str = Field(description="CIDR of the AKS node subnet.")
    private_endpoints: str = Field(description="CIDR of the subnet that holds private endpoints.")
    ml_compute: str = Field(description="CIDR of the subnet for Azure ML managed compute.")


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
        return str(_network(value))

    @model_validator(mode="after")
    def _subnets_inside(self) -> NetworkConfig:
        space = _network(self.address_space)
        nets = {}
        for key, cidr in self.subnets.model_dump().items():
            net = _network(cidr)
            if not net.subnet_of(space):
                raise ValueError(
                    f"subnets.{key} ({cidr}) is outside address_space ({self.address_space}): choose a range inside it"
                )
            for other, other_net in nets.items():
                if net.overlaps(other_net):
                    raise ValueError(f"subnets.{key} ({cidr}) overlaps subnets.{other}: use disjoint ranges")
            nets[key] = net
        known = known_zone_names()
        unknown = sorted(set(self.existing_private_dns_zones) - known)
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


def _network(cidr: str) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(cidr, strict=True)
    except ValueError as exc:
        raise ValueError(f"{cidr!r} is not an IPv4 CIDR with its host bits zero ({exc})") from None


# --------------------------------------------------------------------------- security


class KeyVaultConfig(Strict):
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
    def _ranges_need_public_access(self) -> KeyVaultConfig:
        if self.allowed_ip_ranges and not self.allow_public_network_access:
            raise ValueError(
                "allowed_ip_ranges has no effect while allow_public_network_access is false: "
                "remove allowed_ip_ranges or allow public network access"
            )
        for cidr in self.allowed_ip_ranges:
            net = _network(cidr)
            if any(net.overlaps(private) for private in _NON_PUBLIC):
                raise ValueError(
                    f"allowed_ip_ranges: {cidr} is not a public range: the vault firewall takes public IPv4 "
                    "ranges only; clients in the VNet come in through the private endpoint"
                )
        _unique(list(self.allowed_ip_ranges), "allowed_ip_ranges", "range")
        return self


# Ranges a Key Vault firewall rule refuses: private (RFC 1918), shared (RFC 6598), loopback, link-local.
_NON_PUBLIC = [
    ipaddress.IPv4Network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "0.0.0.0/8",
    )
]


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
        _unique(list(self.workloads), "workloads", "workload")
        return self


# --------------------------------------------------------------------------- monitoring, cost


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
        _unique(list(self.grafana_admin_group_object_ids), "grafana_admin_group_object_ids", "group")
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
        return value


class CostLimits(Strict):
    max_monthly_usd: float = Field(gt=0, description="Policy limit on the plan's estimated monthly cost (max scale).")
    allowed_gpu_sizes: list[GpuVmSize] = Field(min_length=1, description="GPU VM sizes this environment may use.")
    max_gpu_nodes: int = Field(ge=0, description="Cap on the sum of max_nodes over GPU pools.")
    allowed_regions: list[str] = Field(min_length=1, description="Regions resources may be deployed to.")
    max_openai_capacity: int = Field(
        ge=0, description="Cap on the summed capacity (thousands of tokens per minute) of OpenAI deployments."
    )
    allow_provisioned_throughput: bool = Field(
        False, description="Allow OpenAI provisioned (PTU) SKUs, billed hourly whether used or not."
    )


# --------------------------------------------------------------------------- compute


class SystemPool(Strict):
    vm_size: VmSize = Field("Standard_D4ds_v5", description="VM size of the system node pool.")
    min_nodes: int = Field(2, ge=1, le=100, description="Autoscaler minimum.")
    max_nodes: int = Field(3, ge=1, le=100, description="Autoscaler maximum.")
    zones: list[Literal["1", "2", "3"]] = Field(
        default_factory=lambda: ["1", "2", "3"], description="Availability zones of the pool."
    )

    @model_validator(mode="after")
    def _bounds(self) -> SystemPool:
        _check_bounds(self.min_nodes, self.max_nodes)
        return self


class GpuPool(Strict):
    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]{0,11}$")] = Field(
        description="AKS pool name: lowercase letters and digits, at most 12 characters."
    )
    vm_size: GpuVmSize = Field(description="Azure GPU VM size, e.g. Standard_NC24ads_A100_v4.")
    min_nodes: int = Field(0, ge=0, le=100, description="Autoscaler minimum (0 lets the pool scale to zero).")
    max_nodes: int = Field(2, ge=1, le=100, description="Autoscaler maximum.")
    spot: bool = Field(False, description="Spot capacity: cheaper, can be evicted at any time.")
    spot_max_price: float = Field(
        -1, description="Highest spot price per hour in USD; -1 pays up to the on-demand price."
    )
    zones: list[Literal["1", "2", "3"]] = Field(default_factory=list, description="Availability zones of the pool.")

    @model_validator(mode="after")
    def _bounds(self) -> GpuPool:
        _check_bounds(self.min_nodes, self.max_nodes)
        if self.spot_max_price != -1 and not self.spot:
            raise ValueError("spot_max_price is set but spot is false: set spot: true or remove spot_max_price")
        return self


class ClusterConfig(Strict):
    kubernetes_version: str = Field(pattern=r"^1\.\d{2}(\.\d+)?$", description="AKS Kubernetes version, e.g. 1.31.")
    sku_tier: Literal["Free", "Standard", "Premium"] = Field(
        "Standard", description="AKS tier; Standard and Premium carry the uptime SLA."
    )
    private_cluster: bool = Field(True, description="API server reachable only from the VNet.")
    authorized_ip_ranges: list[str] = Field(
        default_factory=list,
        description="Public CIDRs allowed to reach the API server when it is not private.",
    )
    admin_group_object_ids: list[Uuid] = Field(
        default_factory=list, description="Entra ID groups that administer the cluster through Azure RBAC."
    )
    gpu_driver: Literal["operator", "aks"] = Field(
        "operator",
        description="operator: the NVIDIA GPU operator installs drivers (pools are created with "
        "gpuProfile.driver None); aks: AKS installs drivers and the device plugin runs.",
    )
    device_plugin_image_digest: str = Field(
        "sha256:7089559ce6153018806857f5049085bae15b3bf6f1c8bd19d8b12f707d087dea",
        pattern=r"^sha256:[0-9a-f]{64}$",
        description="gpu_driver aks: digest of nvidia/k8s-device-plugin in the estate's registry (imported from "
        "nvcr.io/nvidia/k8s-device-plugin:v0.17.0, digest kept). Refresh it on every upgrade.",
    )
    dcgm_exporter_image_digest: str = Field(
        "sha256:98781424e83e14e8855aa6881e5ca8e68c81fdc75c82dd1bb3fe924349aee9d4",
        pattern=r"^sha256:[0-9a-f]{64}$",
        description="gpu_driver aks: digest of nvidia/k8s/dcgm-exporter in the estate's registry (imported from "
        "nvcr.io/nvidia/k8s/dcgm-exporter:3.3.7-3.5.0-ubuntu22.04, digest kept). Refresh it on every upgrade.",
    )
    system_pool: SystemPool = Field(default_factory=SystemPool, description="The system (non-GPU) pool.")
    gpu_pools: list[GpuPool] = Field(min_length=1, description="GPU user pools.")
    maintenance_day: Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] = Field(
        "Sunday", description="Day of the weekly maintenance window for upgrades."
    )

    @model_validator(mode="after")
    def _access(self) -> ClusterConfig:
        if self.private_cluster and self.authorized_ip_ranges:
            raise ValueError(
                "authorized_ip_ranges has no effect on a private cluster: remove it or set private_cluster: false"
            )
        if not self.private_cluster and not self.authorized_ip_ranges:
            raise ValueError(
                "a public API server needs authorized_ip_ranges: list the CIDRs that may reach it "
                "or set private_cluster: true"
            )
        names = [p.name for p in self.gpu_pools]
        _unique(names, "gpu_pools", "name")
        if "system" in names:
            raise ValueError("gpu_pools: 'system' is the system pool's name: choose another")
        for cidr in self.authorized_ip_ranges:
            _network(cidr)
        return self


CronExpression = Annotated[str, StringConstraints(pattern=r"^\S+( \S+){4}$")]


class ActiveHours(Strict):
    """A window in which KEDA keeps replicas running whatever the queue (a cron trigger)."""

    timezone: str = Field(
        "UTC", pattern=r"^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$", description="IANA time zone, e.g. Europe/Paris."
    )
    start: CronExpression = Field(description="Cron expression (5 fields) opening the window, e.g. '0 8 * * 1-5'.")
    end: CronExpression = Field(description="Cron expression (5 fields) closing the window, e.g. '0 19 * * 1-5'.")
    replicas: int = Field(1, ge=1, le=100, description="Replicas kept during the window.")


class InferenceModel(Strict):
    name: DnsLabel = Field(description="Name of the inference service (Kubernetes namespace and objects).")
    model: str = Field(
        min_length=1,
        description="Model to serve: a Hugging Face id (org/name) or a path in the weights storage.",
    )
    image: str = Field(
        "vllm/vllm-openai",
        pattern=r"^[a-z0-9._-]+(/[a-z0-9._-]+)*$",
        description="Repository in the estate's registry (imported from upstream), without tag.",
    )
    image_digest: str = Field(
        pattern=r"^sha256:[0-9a-f]{64}$", description="Image digest; images are pinned by digest."
    )
    gpu_pool: str = Field(description="Name of the GPU pool the service runs on.")
    gpus_per_replica: int = Field(1, ge=1, le=8, description="GPUs per replica (tensor parallel size).")
    min_replicas: int = Field(
        1,
        ge=0,
        le=100,
        description="Autoscaler minimum. 0 lets KEDA scale the service to zero when nothing is queued "
        "(the PodDisruptionBudget then allows one disruption instead of holding a floor).",
    )
    max_replicas: int = Field(2, ge=1, le=100, description="Autoscaler maximum.")
    queue_threshold: int = Field(
        5,
        ge=1,
        le=1000,
        description="Waiting requests per replica (vllm:num_requests_waiting) above which KEDA adds a replica.",
    )
    active_hours: ActiveHours | None = Field(
        None,
        description="Keep replicas running in a weekly window. With min_replicas 0 this is what wakes the service: "
        "vLLM's queue metric has no series while no replica runs, so the queue alone never scales up from zero.",
    )
    max_model_len: int = Field(8192, ge=256, description="vLLM --max-model-len.")
    dtype: Literal["auto", "half", "bfloat16"] = Field(
        "auto",
        description="vLLM --dtype of weights and activations. T4 GPUs have no bfloat16: use half there.",
    )
    quantization: Literal["none", "awq", "awq_marlin", "gptq", "gptq_marlin", "fp8"] = Field(
        "none",
        description="vLLM --quantization; the model must be published in that format (e.g. an -AWQ repository), "
        "except fp8, which vLLM can apply on load. The *_marlin kernels are the fast ones on Ampere and newer "
        "(plain awq/gptq force the slower kernels).",
    )
    weights_gb: float | None = Field(
        None,
        gt=0,
        le=2000,
        description="Estimated size of the weights in GPU memory, GB (after quantization). When set, validation "
        "checks that weights_gb x 1.2 fits the GPU memory of gpus_per_replica GPUs of the pool's VM size.",
    )
    hub_token_secret: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9-]{1,127}$",
        description="Name of the Key Vault secret with a model hub token, mounted through the secrets provider.",
    )

    @model_validator(mode="after")
    def _bounds(self) -> InferenceModel:
        _check_bounds(self.min_replicas, self.max_replicas, "min_replicas", "max_replicas")
        if self.active_hours is not None:
            _check_bounds(self.active_hours.replicas, self.max_replicas, "active_hours.replicas", "max_replicas")
        return self


class InferenceConfig(Strict):
    gateway_namespace: DnsLabel = Field("gateway", description="Namespace whose pods may call the inference services.")
    models: list[InferenceModel] = Field(default_factory=list, description="Models served on the cluster.")


# --------------------------------------------------------------------------- AI services


class ContentFilterLevel(str, Enum):
    low = "Low"
    medium = "Medium"
    high = "High"


class OpenAIDeployment(Strict):
    name: DnsLabel = Field(description="Deployment name that applications call.")
    model: str = Field(min_length=1, description="OpenAI model name, e.g. gpt-4o.")
    version: str = Field(min_length=1, description="Model version, e.g. 2024-11-20.")
    sku: Literal["Standard", "GlobalStandard", "DataZoneStandard", "ProvisionedManaged", "GlobalProvisionedManaged"] = (
        Field("Standard", description="Deployment SKU; Provisioned* are PTU (reserved, billed hourly).")
    )
    capacity: int = Field(ge=1, description="Capacity in thousands of tokens per minute (or PTUs).")
    auto_upgrade: bool = Field(False, description="Let Azure upgrade the model version automatically.")


class OpenAIConfig(Strict):
    allow_public_network_access: bool = Field(
        False, description="Dangerous. Default: reachable only through its private endpoint."
    )
    allowed_fqdns: list[str] = Field(
        default_factory=list, description="Outbound FQDNs the account may reach (data sources)."
    )
    content_filter_threshold: ContentFilterLevel = Field(
        ContentFilterLevel.medium,
        description="Severity at which prompts and completions are blocked; Low blocks the most.",
    )
    deployments: list[OpenAIDeployment] = Field(default_factory=list, description="Model deployments.")

    @model_validator(mode="after")
    def _unique_names(self) -> OpenAIConfig:
        _unique([d.name for d in self.deployments], "deployments", "name")
        return self


class ContentSafetyConfig(Strict):
    allow_public_network_access: bool = Field(
        False, description="Dangerous. Default: reachable only through its private endpoint."
    )


class MlDeployment(Strict):
    name: DnsLabel = Field(description="Deployment slot, e.g. blue or green.")
    flow_version: str = Field(min_length=1, description="Version of the prompt flow this slot serves.")
    instance_type: VmSize = Field("Standard_DS3_v2", description="Managed compute SKU.")
    instance_count: int = Field(1, ge=1, le=20, description="Instances of this deployment.")
    traffic_percent: int = Field(
        ge=0,
        le=100,
        description="Share of live traffic routed to this slot; the split is applied after every slot exists, so a "
        "new slot may take traffic in the update that creates it. A slot at 0 is created and gets no traffic.",
    )


class MlEndpoint(Strict):
    name: DnsLabel = Field(description="Endpoint name (unique in the region).")
    deployments: list[MlDeployment] = Field(min_length=1, description="Blue/green deployments.")

    @model_validator(mode="after")
    def _traffic(self) -> MlEndpoint:
        _unique([d.name for d in self.deployments], f"{self.name}.deployments", "name")
        total = sum(d.traffic_percent for d in self.deployments)
        # 0 is a new endpoint's first rollout: slots are created before any traffic reaches them.
        if total not in (0, 100):
            raise ValueError(
                f"traffic_percent of endpoint {self.name!r} sums to {total}: the split must sum to 100 "
                "(or to 0 for a new endpoint's first rollout)"
            )
        return self


class MlConfig(Strict):
    allow_public_network_access: bool = Field(
        False, description="Dangerous. Default: workspace and endpoints reachable only privately."
    )
    allowed_instance_types: list[VmSize] = Field(
        default_factory=lambda: ["Standard_DS3_v2", "Standard_F4s_v2"],
        description="Managed compute SKUs online deployments may use.",
    )
    max_instances: int = Field(10, ge=1, description="Cap on instances per online deployment.")
    endpoints: list[MlEndpoint] = Field(default_factory=list, description="Managed online endpoints.")

    @model_validator(mode="after")
    def _allowed(self) -> MlConfig:
        for ep in self.endpoints:
            for dep in ep.deployments:
                if dep.instance_type not in self.allowed_instance_types:
                    raise ValueError(
                        f"endpoints.{ep.name}.{dep.name}: instance_type {dep.instance_type} is not in "
                        f"allowed_instance_types {self.allowed_instance_types}"
                    )
                if dep.instance_count > self.max_instances:
                    raise ValueError(
                        f"endpoints.{ep.name}.{dep.name}: instance_count {dep.instance_count} exceeds "
                        f"max_instances ({self.max_instances})"
                    )
        return self


class RegistryConfig(Strict):
    sku: Literal["Basic", "Standard", "Premium"] = Field(
        "Premium", description="ACR SKU; only Premium supports private endpoints and retention."
    )
    retention_days: int = Field(30, ge=0, le=365, description="Days untagged manifests are kept.")


# --------------------------------------------------------------------------- policy, promotion


class PolicyExemption(Strict):
    policy: str = Field(min_length=1, description="Id of the exempted rule, e.g. AKS-12.")
    resources: list[str] = Field(min_length=1, description="Resource names (or fnmatch patterns) the exemption covers.")
    reason: str = Field(min_length=10, description="Why the exemption is acceptable.")
    owner: str = Field(min_length=1, description="Who is accountable for the exemption.")
    expires: date = Field(description="Date after which the exemption stops applying.")


class PolicyConfig(Strict):
    default_level: EnforcementLevel | None = Field(
        None, description="Override every rule's default level (e.g. mandatory in prod)."
    )
    levels: dict[str, EnforcementLevel] = Field(
        default_factory=dict, description="Per-rule enforcement levels, by rule id."
    )
    scope: Literal["dev", "staging", "prod"] = Field(
        description="Which scope column of the policy catalog applies (prod rules are mandatory in prod)."
    )
    exemptions: list[PolicyExemption] = Field(default_factory=list, description="Time-boxed exemptions.")


class PromotionConfig(Strict):
    source: str | None = Field(None, description="Environment whose tested release this one receives.")
    requires_approval: bool = Field(False, description="A recorded approval is needed before `up`.")


# --------------------------------------------------------------------------- the environment


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
    policy: PolicyConfig = Field(description="Policy enforcement for this environment.")
    promotion: PromotionConfig = Field(
        default_factory=PromotionConfig, description="How releases reach this environment."
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
        _unique([m.name for m in self.inference.models], "inference.models", "name")
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
        return self


def _check_bounds(low: int, high: int, low_name: str = "min_nodes", high_name: str = "max_nodes") -> None:
    if low > high:
        raise ValueError(f"{low_name} ({low}) exceeds {high_name} ({high}): lower {low_name} or raise {high_name}")


def _unique(names: list[str], where: str, key: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{where}: {key} {name!r} appears twice: names must be unique")
        seen.add(name)
