"""Run one rule over small fixtures: how rule tests (and rule authors) check a validator.

`violations("KV-01", "azure-native:keyvault:Vault", {"properties": {...}})` returns the messages
the rule reports for that one resource, through the same `pulumi_policy` objects and proxies
the runner and the engine use. `stack_violations` does the same for stack rules over a list
of `Fixture`s (dependencies name other fixtures by name).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

from llmops_infra.policies import catalog
from llmops_infra.policies.framework import RuleInfo


def _rule(rule: str) -> RuleInfo:
    info = catalog.find(rule)
    if info is None:
        raise KeyError(f"no rule {rule!r}")
    return info


def _options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], False, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def _collect(found: list[str]) -> ReportViolation:
    """A `report_violation` that keeps the messages in `found`."""

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    return report


def _urn(type_: str, name: str) -> str:
    return f"urn:pulumi:test::test::{type_}::{name}"


def violations(
    rule: str, type_: str, props: dict[str, Any], params: dict[str, Any] | None = None, name: str = "res"
) -> list[str]:
    """Messages `rule` reports for one resource of `type_` with `props` (wire names)."""
    info = _rule(rule)
    found: list[str] = []
    args = ResourceValidationArgs(
        type_, unknown_checking_proxy(props), _urn(type_, name), name, _options(), None, dict(params or {})
    )
    catalog.policy(info.name, ResourceValidationPolicy).validate(args, _collect(found))
    return found


@dataclass
class Fixture:
    type: str
    name: str
    props: dict[str, Any] = field(default_factory=dict)
    depends_on: list[str] = field(default_factory=list)


def stack_violations(rule: str, fixtures: list[Fixture], params: dict[str, Any] | None = None) -> list[str]:
    """Messages a stack rule reports over `fixtures`."""
    info = _rule(rule)
    built = {
        f.name: PolicyResource(
            f.type, unknown_checking_proxy(f.props), _urn(f.type, f.name), f.name, _options(), None, None, [], {}
        )
        for f in fixtures
    }
    for f in fixtures:
        built[f.name].dependencies = [built[d] for d in f.depends_on]
    found: list[str] = []
    catalog.policy(info.name, StackValidationPolicy).validate(
        StackValidationArgs(list(built.values()), dict(params or {})), _collect(found)
    )
    return found
