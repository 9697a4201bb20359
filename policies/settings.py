"""What an environment decides about the rules, as plain data: scope, levels, exemptions, limits.

`llmops_infra.offline.policy_check` converts an `EnvironmentConfig` into `PolicySettings`; the
policies never read environment files. Level resolution, in order: a per-rule level
(`policy.levels`, by catalog id or policy name), then `policy.default_level`, then the
catalog's scope column for this environment's scope.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from llmops_infra.errors import ConfigError
from llmops_infra.policies.framework import DEFAULTS, SCOPES, RuleInfo

LEVELS = ("mandatory", "advisory", "disabled")
RANK = {"disabled": 0, "advisory": 1, "mandatory": 2}


class PolicySettingsError(ConfigError, ValueError):
    """Settings that name unknown rules or levels (bad input: exit 2)."""


@dataclass(frozen=True)
class Exemption:
    policy: str
    """Catalog id (KV-01) or policy name."""
    resources: tuple[str, ...]
    """fnmatch patterns of resource names."""
    reason: str
    owner: str
    expires: date

    def active(self, today: date) -> bool:
        return today <= self.expires

    def covers(self, info: RuleInfo, resource_name: str) -> bool:
        if self.policy.lower() not in (info.id.lower(), info.name):
            return False
        return any(fnmatch.fnmatchcase(resource_name, pattern) for pattern in self.resources)

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "resources": list(self.resources),
            "reason": self.reason,
            "owner": self.owner,
            "expires": self.expires.isoformat(),
        }


@dataclass(frozen=True)
class PolicySettings:
    scope: str = "prod"
    default_level: str | None = None
    levels: dict[str, str] = field(default_factory=dict)
    exemptions: tuple[Exemption, ...] = ()
    max_monthly_usd: float = DEFAULTS["max_monthly_usd"]
    allowed_gpu_sizes: tuple[str, ...] = ()
    max_gpu_nodes: int = DEFAULTS["max_gpu_nodes"]
    allowed_regions: tuple[str, ...] = ()
    max_openai_capacity: int = DEFAULTS["max_openai_capacity"]
    allow_ptu: bool = False
    allowed_ml_instance_types: tuple[str, ...] = ()
    max_ml_instances: int = DEFAULTS["max_ml_instances"]
    allowed_registries: tuple[str, ...] = tuple(DEFAULTS["allowed_registries"])
    required_tags: tuple[str, ...] = tuple(DEFAULTS["required_tags"])
    privileged_namespaces: tuple[str, ...] = tuple(DEFAULTS["privileged_namespaces"])
    lifecycle_date: str = DEFAULTS["lifecycle_date"]
    price_catalog: str = DEFAULTS["price_catalog"]
    price_region: str = DEFAULTS["price_region"]

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise PolicySettingsError(f"policy scope {self.scope!r} is not one of {list(SCOPES)}")
        for key, level in [("default_level", self.default_level), *self.levels.items()]:
            if level is not None and level not in LEVELS:
                raise PolicySettingsError(f"policy level {key}: {level!r} is not one of {list(LEVELS)}")

    def params(self) -> dict[str, Any]:
        """The values validators read (`framework.DEFAULTS` keys), JSON-ready."""
        values = {name: getattr(self, name) for name in DEFAULTS}
        return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}

    def level(self, info: RuleInfo) -> str:
        for key in (info.id, info.name):
            for configured, level in self.levels.items():
                if configured.lower() == key.lower():
                    return level
        if self.default_level is not None:
            return self.default_level
        return info.default_level(self.scope)

    def effective_level(self, info: RuleInfo, today: date) -> tuple[str, str]:
        """(level, note): a level below the catalog's default for this scope holds only while an
        exemption for the rule is active (the catalog: lowering one needs an exemption)."""
        wanted, default = self.level(info), info.default_level(self.scope)
        if RANK[wanted] >= RANK[default]:
            return wanted, ""
        if any(e.policy.lower() in (info.id.lower(), info.name) and e.active(today) for e in self.exemptions):
            return wanted, ""
        return default, (
            f"{info.id}: lowering to {wanted} ignored (the {self.scope} default is {default}): "
            "it needs an active exemption with a reason, an owner and an expiry date"
        )

    def config_for(self, info: RuleInfo) -> dict[str, Any]:
        """The policy config a rule receives: its own parameters only (as the engine validates them)."""
        params = self.params()
        return {name: params[name] for name in info.params}

    def validate_against(self, rules: list[RuleInfo]) -> None:
        """Fail on levels or exemptions that name no rule (a typo would silently do nothing)."""
        known = {r.id.lower() for r in rules} | {r.name for r in rules}
        for key in list(self.levels) + [e.policy for e in self.exemptions]:
            if key.lower() not in known:
                close = difflib_close(key, sorted({r.id for r in rules}))
                hint = f" (did you mean {close}?)" if close else ""
                raise PolicySettingsError(f"policy rule {key!r} does not exist{hint}: see `llmops-infra policy list`")


def difflib_close(word: str, choices: list[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(word.upper(), choices, n=1)
    return found[0] if found else None
