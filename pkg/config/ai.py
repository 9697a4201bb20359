"""Config of the AI services: Azure OpenAI deployments, Content Safety, Azure ML endpoints and the registry."""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import Field, model_validator

from llmops_infra.components.rules import check_unique
from llmops_infra.config.common import (
    Digest,
    DnsLabel,
    EnvVarName,
    RegistryHost,
    Repository,
    Strict,
    VmSize,
)


class ContentFilterLevel(str, Enum):
    low = "Low"
    medium = "Medium"
    high = "High"


class OpenAIDeployment(Strict):
    name: DnsLabel = Field(description="Deployment name that applications call.")
    model: str = Field(
        min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", description="OpenAI model name, e.g. gpt-4o."
    )
    version: str = Field(
        min_length=1,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$",
        description="Model version, e.g. 2024-11-20 (letters, digits, dots, dashes).",
    )
    sku: Literal["Standard", "GlobalStandard", "DataZoneStandard", "ProvisionedManaged", "GlobalProvisionedManaged"] = (
        Field("Standard", description="Deployment SKU; Provisioned* are PTU (reserved, billed hourly).")
    )
    capacity: int = Field(ge=1, description="Capacity in thousands of tokens per minute (or PTUs).")
    auto_upgrade: bool = Field(False, description="Let Azure upgrade the model version automatically.")


class OpenAIConfig(Strict):
    kind: Literal["AIServices", "OpenAI"] = Field(
        "AIServices",
        description="The model account: AIServices (a Foundry resource with projects) or OpenAI (a plain Azure "
        "OpenAI account). Moving OpenAI to AIServices is Microsoft's in-place upgrade.",
    )
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
        check_unique([d.name for d in self.deployments], "deployments", "name")
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
    request_timeout_seconds: int = Field(
        90,
        ge=1,
        le=180,
        description="Scoring timeout (request_settings.request_timeout). Azure's default is 5 s, too short for "
        "flows that call a language model; Azure allows at most 180 s.",
    )
    workers: int = Field(
        4,
        ge=1,
        le=64,
        description="Serving processes per instance (PROMPTFLOW_WORKER_NUM; the runtime's default is 8).",
    )
    worker_threads: int = Field(
        1,
        ge=1,
        le=16,
        description="Threads per serving process (PROMPTFLOW_WORKER_THREADS; the runtime's default is 1).",
    )

    @property
    def max_concurrent_requests(self) -> int:
        """request_settings.max_concurrent_requests_per_instance: what the instance serves at once
        (workers x threads). Azure's default is 1; more than the container serves only queues inside it."""
        return self.workers * self.worker_threads


class FlowMigration(Strict):
    app: DnsLabel = Field(description="The team app (a name in `apps`) that takes over the flow (docs/migration.md).")
    traffic_percent: int = Field(
        ge=0,
        le=100,
        description="Share of the gateway route's requests sent to the app; the rest still go to the endpoint.",
    )


class MlEndpoint(Strict):
    name: DnsLabel = Field(description="Endpoint name (unique in the region).")
    deployments: list[MlDeployment] = Field(min_length=1, description="Blue/green deployments.")
    migrate_to: FlowMigration | None = Field(
        None,
        description="Move the flow to a Container Apps app behind the same gateway route (models/<name>): the "
        "route sends traffic_percent of its requests to the app. Needs a gateway. Default: none, all to the endpoint.",
    )

    @model_validator(mode="after")
    def _traffic(self) -> MlEndpoint:
        check_unique([d.name for d in self.deployments], f"{self.name}.deployments", "name")
        total = sum(d.traffic_percent for d in self.deployments)
        # 0 is a new endpoint's first rollout: slots are created before any traffic reaches them.
        if total not in (0, 100):
            raise ValueError(
                f"traffic_percent of endpoint {self.name!r} sums to {total}: the split must sum to 100 "
                "(or to 0 for a new endpoint's first rollout)"
            )
        return self


class FlowImage(Strict):
    """The image the online deployments run flows in, pinned by digest, in the estate's registry."""

    repository: Repository = Field(
        "azureml/promptflow/promptflow-runtime", description="Repository in the estate's registry."
    )
    digest: Digest = Field(description="Manifest digest the deployments pull (sha256:...).")
    tag: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$",
        description="The upstream tag the digest was read from (for people; the import and the pull use the digest).",
    )
    source: RegistryHost | None = Field(
        "mcr.microsoft.com",
        description="Registry the bootstrap imports the image from (ACR importImage). null: your flow pipeline pushes "
        "its own image (FROM the prompt flow runtime, with the flow's requirements) and the bootstrap only checks "
        "that it is present.",
    )


class MlConfig(Strict):
    flow_image: FlowImage | None = Field(
        None, description="The image of every flow deployment (required when endpoints are configured)."
    )
    flow_source: str = Field(
        "azureml://datastores/workspaceblobstore/paths/flows",
        pattern=r"^(azureml|https)://\S+[^/]$",
        description="Where each flow's publishing pipeline uploads a version's folder: <flow_source>/<endpoint>/"
        "<flow_version>. The workload stack registers that folder as the model version the deployment serves.",
    )
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
        if self.endpoints and self.flow_image is None:
            raise ValueError(
                "endpoints are configured but flow_image is not: pin the image the deployments run flows in "
                "(repository and digest, see environments/base.yaml)"
            )
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


class ImportCredentials(Strict):
    """Credentials the bootstrap passes to ACR importImage for one source registry (e.g. a Docker Hub
    account, which lifts the anonymous pull limits). Only the names of the variables live here."""

    registry: RegistryHost = Field(description="The source registry, as written in image_source (e.g. docker.io).")
    username_env: EnvVarName = Field(description="Environment variable holding the user name.")
    password_env: EnvVarName = Field(description="Environment variable holding the password or access token.")


class RegistryConfig(Strict):
    import_credentials: list[ImportCredentials] = Field(
        default_factory=list,
        description="Source-registry credentials for the bootstrap's image imports. Default: anonymous imports.",
    )
    sku: Literal["Basic", "Standard", "Premium"] = Field(
        "Premium", description="ACR SKU; only Premium supports private endpoints and retention."
    )
    retention_days: int = Field(30, ge=0, le=365, description="Days untagged manifests are kept.")
