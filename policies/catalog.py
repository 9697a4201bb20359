"""Every rule of the pack, in catalog order, with its metadata.

Importing the domain modules registers their rules in `framework.RULES` / `framework.POLICIES`.
"""

from __future__ import annotations

from typing import TypeVar

from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

from llmops_infra.policies import (  # noqa: F401 - imported for their registrations
    agents,
    ai,
    aks,
    app_tier,
    ci_runners,
    cost,
    egress,
    gateway,
    gpu,
    identity,
    key_vault,
    kubernetes,
    lifecycle,
    ml,
    monitoring,
    network,
    registry,
    schema,
    storage,
)
from llmops_infra.policies.framework import POLICIES, RULES, TYPES, RuleInfo

DOMAIN_ORDER = (
    "KV",
    "IAM",
    "NET",
    "FW",
    "AKS",
    "GPU",
    "AI",
    "GW",
    "ML",
    "APP",
    "SRCH",
    "COS",
    "ST",
    "ACR",
    "MON",
    "CI",
    "K8S",
    "COST",
    "LIFE",
    "SCHEMA",
)


def _order(info: RuleInfo) -> tuple[int, str]:
    prefix = info.id.split("-", 1)[0]
    return (DOMAIN_ORDER.index(prefix) if prefix in DOMAIN_ORDER else len(DOMAIN_ORDER), info.id)


def rules() -> list[RuleInfo]:
    """Metadata of every rule, ordered by domain and id."""
    return sorted(RULES.values(), key=_order)


def policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    return [POLICIES[info.name] for info in rules()]


_Kind = TypeVar("_Kind", ResourceValidationPolicy, StackValidationPolicy)


def policy(name: str, kind: type[_Kind]) -> _Kind:
    """The policy object of rule `name`, which must be a `kind` (resource or stack) policy."""
    found = POLICIES[name]
    if not isinstance(found, kind):
        raise TypeError(f"policy {name} is not a {kind.__name__}")
    return found


def resource_types(name: str) -> tuple[str, ...]:
    """Types a resource rule judges (empty: every type)."""
    return TYPES.get(name, ())


def find(key: str) -> RuleInfo | None:
    """A rule by catalog id ("KV-01") or policy name ("kv-01-purge-protection"), case-insensitive."""
    lowered = key.lower()
    for info in RULES.values():
        if info.id.lower() == lowered or info.name == lowered:
            return info
    return None
