"""The offline runner: evaluate the pack's policy objects over a `Plan`, as the engine would.

For each resource it builds the `pulumi_policy` argument objects the engine builds (props
wrapped in the SDK's unknown-checking proxy, so a value unknown at preview raises instead of
passing or failing) and calls each policy's own `validate` with a collecting
`report_violation`. Stack rules get every resource as a `PolicyResource` with parents and
dependencies linked. Levels, parameters and exemptions come from `PolicySettings`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from llmops_infra.plan import Plan, PlannedResource
from llmops_infra.policies import catalog, schema_memo
from llmops_infra.policies.framework import Report, RuleInfo
from llmops_infra.policies.settings import Exemption, PolicySettings


@dataclass(frozen=True)
class Location:
    """Where a finding points: a file (relative to the repository root where it lies inside one),
    a line, and the config key found there (empty for a program's line)."""

    file: str
    line: int | None = None
    key: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, **({"key": self.key} if self.key else {})}


Locator = Callable[[str, RuleInfo], "Location | None"]
"""(URN, or "" for a stack-wide finding; the rule) -> where the finding points."""


@dataclass(frozen=True)
class Violation:
    policy: str
    rule_id: str
    severity: str
    enforcement: str
    resource_type: str
    resource_name: str
    urn: str
    message: str
    environment: str
    note: str = ""
    """e.g. which exemption covers it, or that the covering exemption expired."""
    location: Location | None = None
    """The setting (or the program line) that produced the resource, when known."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "rule_id": self.rule_id,
            "severity": self.severity,
            "enforcement": self.enforcement,
            "resource_type": self.resource_type,
            "resource_name": self.resource_name,
            "urn": self.urn,
            "message": self.message,
            "environment": self.environment,
            "remediation": self.remediation,
            **({"note": self.note} if self.note else {}),
            **({"location": self.location.to_dict()} if self.location else {}),
        }

    @property
    def remediation(self) -> str:
        """What to change, from the rule's catalog entry."""
        info = catalog.find(self.rule_id)
        return info.remediation if info else ""


@dataclass(frozen=True)
class ConfigFinding:
    """Something wrong in an environment's configuration: nothing could be planned or checked."""

    environment: str
    message: str
    """What is wrong and how to fix it (the loader's message)."""
    location: Location | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "message": self.message,
            **({"location": self.location.to_dict()} if self.location else {}),
        }

    def where(self) -> str:
        """`file:line: key` (as much of it as is known)."""
        if self.location is None:
            return ""
        text = self.location.file + (f":{self.location.line}" if self.location.line else "")
        return f"{text}: {self.location.key}" if self.location.key else text


@dataclass
class CheckResult:
    environment: str
    source: str
    """File the findings point at (environments/<env>.yaml or the program)."""
    violations: list[Violation] = field(default_factory=list)
    exempted: list[Violation] = field(default_factory=list)
    expired_exemptions: list[Exemption] = field(default_factory=list)
    not_evaluated: list[dict[str, str]] = field(default_factory=list)
    ignored_overrides: list[str] = field(default_factory=list)
    """Level lowerings the runner did not apply (no active exemption for the rule)."""
    rules_run: int = 0
    resources: int = 0
    config_errors: list[ConfigFinding] = field(default_factory=list)
    """The environment's configuration is invalid: nothing was planned (exit 2)."""

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement == "mandatory"]

    @property
    def advisory(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement == "advisory"]

    @property
    def passed(self) -> bool:
        return not self.mandatory and not self.config_errors

    def summary(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "source": self.source,
            "passed": self.passed,
            "resources": self.resources,
            "rules_run": self.rules_run,
            "mandatory": len(self.mandatory),
            "advisory": len(self.advisory),
            "exempted": len(self.exempted),
            "not_evaluated": len(self.not_evaluated),
            "expired_exemptions": [e.to_dict() for e in self.expired_exemptions],
            "ignored_overrides": list(self.ignored_overrides),
            "config_errors": len(self.config_errors),
        }


def _options(resource: PlannedResource) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=resource.protect,
        ignore_changes=list(resource.ignore_changes),
        delete_before_replace=resource.delete_before_replace,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=resource.parent,
    )


class _Collector:
    def __init__(
        self, result: CheckResult, settings: PolicySettings, today: date, locate: Locator | None = None
    ) -> None:
        self.result, self.settings, self.today, self.locate = result, settings, today, locate
        self.names_by_urn: dict[str, tuple[str, str]] = {}

    def reporter(self, info: RuleInfo, level: str, default: PlannedResource | None) -> Report:
        def report_violation(message: str, urn: str | None = None) -> None:
            target_urn = default.urn if default is not None else (urn or "")
            type_, name = self.names_by_urn.get(target_urn, ("pulumi:pulumi:Stack", ""))
            self.add(
                Violation(
                    info.name,
                    info.id,
                    info.severity.value,
                    level,
                    type_,
                    name,
                    target_urn,
                    message,
                    self.result.environment,
                    location=self.locate(target_urn, info) if self.locate else None,
                )
            )

        return report_violation

    def add(self, violation: Violation) -> None:
        info = catalog.find(violation.policy)
        covering = [e for e in self.settings.exemptions if info and e.covers(info, violation.resource_name)]
        active = [e for e in covering if e.active(self.today)]
        if active:
            e = active[0]
            self.result.exempted.append(_with_note(violation, f"exempted until {e.expires} ({e.owner}): {e.reason}"))
        elif covering:
            self.result.violations.append(_with_note(violation, f"exemption expired on {covering[0].expires}"))
        else:
            self.result.violations.append(violation)


def _with_note(violation: Violation, note: str) -> Violation:
    return Violation(**{**violation.__dict__, "note": note})


def _stack_resources(plan: Plan) -> list[PolicyResource]:
    built: dict[str, PolicyResource] = {}
    for r in plan.resources:
        built[r.urn] = PolicyResource(
            r.type, unknown_checking_proxy({**r.props, **r.outputs}), r.urn, r.name, _options(r), None, None, [], {}
        )
    for r in plan.resources:
        resource = built[r.urn]
        resource.parent = built.get(r.parent or "")
        resource.dependencies = [built[d] for d in r.dependencies if d in built]
    return list(built.values())


def check_plan(
    plan: Plan,
    settings: PolicySettings,
    *,
    source: str = "",
    today: date | None = None,
    locate: Locator | None = None,
) -> CheckResult:
    """Every rule of the pack over `plan`, with the levels, parameters and exemptions of `settings`;
    `locate` says where each finding points (`offline.locations`)."""
    today = today or date.today()
    result = CheckResult(environment=plan.environment, source=source or f"environments/{plan.environment}.yaml")
    result.expired_exemptions = [e for e in settings.exemptions if not e.active(today)]
    collector = _Collector(result, settings, today, locate)
    collector.names_by_urn = {r.urn: (r.type, r.name) for r in plan.resources}
    by_urn = plan.by_urn()

    active = []
    for info in catalog.rules():
        level, note = settings.effective_level(info, today)
        if note:
            result.ignored_overrides.append(note)
        if level != "disabled":
            active.append((info, level))
    result.rules_run = len(active)
    resource_rules = [(i, lvl) for i, lvl in active if i.kind == "resource"]
    by_type: dict[str, list[tuple[RuleInfo, str]]] = {}
    generic = [(i, lvl) for i, lvl in resource_rules if not catalog.resource_types(i.name)]
    for info, level in resource_rules:
        for type_ in catalog.resource_types(info.name):
            by_type.setdefault(type_, []).append((info, level))

    custom = plan.custom_resources()
    result.resources = len(custom)
    for resource in custom:
        rules = by_type.get(resource.type, []) + generic
        if not rules:
            continue
        props = unknown_checking_proxy(resource.props)
        provider_resource = by_urn.get(resource.provider or "")
        provider = (
            PolicyProviderResource(
                provider_resource.type, provider_resource.props, provider_resource.urn, provider_resource.name
            )
            if provider_resource
            else None
        )
        for info, level in rules:
            policy = catalog.policy(info.name, ResourceValidationPolicy)
            args = ResourceValidationArgs(
                resource.type,
                props,
                resource.urn,
                resource.name,
                _options(resource),
                provider,
                settings.config_for(info),
            )
            try:
                policy.validate(args, collector.reporter(info, level, resource))
            except UnknownValueError as exc:
                result.not_evaluated.append({"policy": info.name, "urn": resource.urn, "reason": exc.message})

    stack_rules = [(i, lvl) for i, lvl in active if i.kind == "stack"]
    if stack_rules:
        resources = _stack_resources(plan)
        for info, level in stack_rules:
            stack_policy = catalog.policy(info.name, StackValidationPolicy)
            try:
                stack_policy.validate(
                    StackValidationArgs(resources, settings.config_for(info)), collector.reporter(info, level, None)
                )
            except UnknownValueError as exc:
                result.not_evaluated.append({"policy": info.name, "urn": "", "reason": exc.message})
    result.violations.sort(key=lambda v: (v.enforcement != "mandatory", v.rule_id, v.urn))
    schema_memo.save()  # what SCHEMA-01 read from the SDK, for the next check
    return result
