"""Config of the AI services: Azure OpenAI deployments, Content Safety, Azure ML endpoints and the registry."""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import Field, model_validator

from llmops_infra.components.rules import check_unique
from llmops_infra.config.common import DnsLabel, Strict, VmSize


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


class MlEndpoint(Strict):
    name: DnsLabel = Field(description="Endpoint name (unique in the region).")
    deployments: list[MlDeployment] = Field(min_length=1, description="Blue/green deployments.")

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
