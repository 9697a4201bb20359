"""Config of governance: policy levels and exemptions, and how releases are promoted."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from llmops_infra.config.common import EnforcementLevel, Strict


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
