"""Config of governance: policy levels and exemptions, and how releases are promoted."""

from __future__ import annotations

import difflib
from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from llmops_infra.config.common import EnforcementLevel, Strict
from llmops_infra.errors import clean


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

    @model_validator(mode="after")
    def _known_rules(self) -> PolicyConfig:
        """A level or exemption naming no rule would do nothing (and fail `policy check` only)."""
        named = [(f"levels.{key}", key) for key in self.levels]
        named += [(f"exemptions[{i}].policy", e.policy) for i, e in enumerate(self.exemptions)]
        if not named:
            return self
        from llmops_infra.policies.catalog import find, rules

        for where, key in named:
            if find(key) is None:
                ids = sorted({r.id for r in rules()})
                close = difflib.get_close_matches(key.upper(), ids, n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise ValueError(
                    f"{where}: {clean(key)[:40]!r} is not a rule id{hint}: known rules are {', '.join(ids)} "
                    "(`llmops-infra policy list` describes them)"
                )
        return self


class PromotionConfig(Strict):
    source: str | None = Field(
        None,
        description="Environment whose tested release this one receives: another environment of the project "
        "(checked when the files are read).",
    )
    requires_approval: bool = Field(False, description="A recorded approval is needed before `up`.")
