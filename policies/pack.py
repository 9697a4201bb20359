"""The CrossGuard pack's arguments: the same rule objects the offline runner evaluates.

Without `--policy-pack-config`, the pack judges with the strictest settings (prod scope,
empty allow-lists, zero limits). `llmops-infra policy pack-config ENV` writes the config that
gives an environment its own levels, limits and active exemptions.
"""

from __future__ import annotations

from typing import Any

from pulumi_policy import EnforcementLevel

from llmops_infra.policies import catalog
from llmops_infra.policies.settings import PolicySettings

PACK_NAME = "llmops-infra"


def initial_config(settings: PolicySettings | None = None) -> dict[str, Any]:
    settings = settings or PolicySettings(scope="prod")
    return {
        info.name: {"enforcementLevel": EnforcementLevel(settings.level(info)), **settings.config_for(info)}
        for info in catalog.rules()
    }


def pack_arguments(settings: PolicySettings | None = None) -> dict[str, Any]:
    """Keyword arguments of `pulumi_policy.PolicyPack` for the estate's pack."""
    return {
        "name": PACK_NAME,
        "policies": catalog.policies(),
        "enforcement_level": EnforcementLevel.ADVISORY,
        "initial_config": initial_config(settings),
        "description": "Security and cost rules of the llmops-infra estate (POLICY_CATALOG.md).",
        "provider": "azure",
        "tags": ["azure", "kubernetes", "security", "finops"],
    }
