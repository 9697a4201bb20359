"""How a rule is declared: metadata, the scope table, parameters, and property helpers.

A rule is a plain `pulumi_policy` policy object (so the same object runs in the engine and in
the offline runner). `resource_rule` / `stack_rule` build it from one pure validator and
record its catalog metadata in `RULES`. Validators read environment parameters (limits,
allow-lists, scope) from the policy config (`args.get_config()`), falling back to `DEFAULTS`,
so that the engine (`--policy-pack-config`) and the offline runner feed them the same way.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypedDict

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from llmops_infra.policies.props import get as get
from llmops_infra.policies.props import is_false as is_false
from llmops_infra.policies.props import is_true as is_true
from llmops_infra.policies.props import items as items
from llmops_infra.policies.props import mapping as mapping
from llmops_infra.policies.props import same as same

SCOPES = ("dev", "staging", "prod")

# The catalog's scope column, as data: letter -> level in each scope.
# A: mandatory everywhere; P: mandatory in prod; N: mandatory outside prod; advisory: never blocks.
SCOPE_LEVELS: dict[str, dict[str, str]] = {
    "A": {"dev": "mandatory", "staging": "mandatory", "prod": "mandatory"},
    "P": {"dev": "advisory", "staging": "advisory", "prod": "mandatory"},
    "N": {"dev": "mandatory", "staging": "mandatory", "prod": "advisory"},
    "advisory": {"dev": "advisory", "staging": "advisory", "prod": "advisory"},
}

# Environment parameters a validator may read; the defaults are the strictest sensible ones
# (the pack run without config judges as prod with nothing allowed that costs extra).
DEFAULTS: dict[str, Any] = {
    "scope": "prod",
    "allowed_gpu_sizes": [],
    "max_gpu_nodes": 0,
    "allowed_regions": [],
    "max_openai_capacity": 0,
    "allow_ptu": False,
    "max_monthly_usd": 0.0,
    "allowed_ml_instance_types": [],
    "max_ml_instances": 10,
    "allowed_registries": ["*.azurecr.io"],
    "required_tags": ["environment", "owner", "cost-center", "workload", "managed-by"],
    # Namespaces whose Pod Security level is privileged (node agents: drivers, device plugins,
    # GPU exporters need host access and root by nature); K8S-01/02/06 do not apply there.
    "privileged_namespaces": ["kube-system", "gpu-operator"],
    # The day the lifecycle rules judge (YYYY-MM-DD); empty: today.
    "lifecycle_date": "",
    # The price catalog COST-05 prices with (a file or a directory of <region>.json; empty: the
    # user's refreshed copy, else the shipped one) and the region it prices (empty: the stack's).
    "price_catalog": "",
    "price_region": "",
}

Params = Mapping[str, Any]
"""A rule's environment parameters (`DEFAULTS` overlaid with the policy config): JSON values."""


class Report(Protocol):
    """What a validator calls for each finding; stack rules name the resource's URN."""

    def __call__(self, message: str, urn: str | None = None, /) -> None: ...


ResourceValidator = Callable[[ResourceValidationArgs, Report, Params], None]
"""`fn(args, report, params)`: judges one resource."""
StackValidator = Callable[[Sequence[PolicyResource], Report, Params], None]
"""`fn(resources, report, params)`: judges the whole stack."""

_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array"}


@dataclass(frozen=True)
class RuleInfo:
    """Catalog metadata of one rule; `name` is the pulumi_policy name (stable id)."""

    id: str
    name: str
    scope: str
    severity: Severity
    description: str
    remediation: str
    params: tuple[str, ...]
    kind: str  # "resource" | "stack"
    domain: str

    def default_level(self, scope: str) -> str:
        return SCOPE_LEVELS[self.scope][scope]

    def to_dict(self) -> dict[str, Any]:
        """What `policy list --format json` shows of the rule: `policy` is the pulumi_policy name."""
        return {
            "id": self.id,
            "policy": self.name,
            "scope": self.scope,
            "severity": self.severity.value,
            "kind": self.kind,
            "domain": self.domain,
            "description": self.description,
            "remediation": self.remediation,
            "levels": {s: self.default_level(s) for s in ("dev", "staging", "prod")},
            "params": list(self.params),
        }


RULES: dict[str, RuleInfo] = {}
"""Policy name -> metadata, in declaration order."""
POLICIES: dict[str, ResourceValidationPolicy | StackValidationPolicy] = {}
"""Policy name -> the policy object."""
TYPES: dict[str, tuple[str, ...]] = {}
"""Policy name -> resource types a resource rule judges (empty: every type)."""


def policy_name(rule_id: str, slug: str) -> str:
    """ "KV-01", "purge-protection" -> "kv-01-purge-protection" (a valid, stable policy name)."""
    return f"{rule_id.lower()}-{slug}"


def params_of(config: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    merged = {name: DEFAULTS[name] for name in names}
    for name in names:
        if name in config:
            merged[name] = config[name]
    return merged


def _schema(params: tuple[str, ...]) -> PolicyConfigSchema:
    props: dict[str, Any] = {
        "exempt": {
            "type": "array",
            "items": {"type": "string"},
            "description": "fnmatch patterns of exempted resource names",
        }
    }
    for name in params:
        props[name] = {"type": _JSON_TYPES[type(DEFAULTS[name])]}
    return PolicyConfigSchema(properties=props)


def _exempt(name: str, config: Mapping[str, Any]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in config.get("exempt") or ())


def _register(info: RuleInfo, policy: ResourceValidationPolicy | StackValidationPolicy) -> None:
    if info.name in RULES:
        raise ValueError(f"policy {info.name} is declared twice")
    if info.scope not in SCOPE_LEVELS:
        raise ValueError(f"policy {info.name}: scope {info.scope!r} is not one of {sorted(SCOPE_LEVELS)}")
    RULES[info.name] = info
    POLICIES[info.name] = policy


def _level(scope: str) -> EnforcementLevel:
    # The object's own level is the non-prod one; environments set theirs through config.
    return EnforcementLevel(SCOPE_LEVELS[scope]["dev"])


class _PolicyFields(TypedDict):
    """The constructor arguments a resource and a stack policy object share."""

    name: str
    description: str
    enforcement_level: EnforcementLevel
    config_schema: PolicyConfigSchema
    severity: Severity
    remediation_steps: str
    display_name: str
    tags: list[str]


def _rule_info(
    kind: str,
    rule_id: str,
    slug: str,
    scope: str,
    severity: Severity,
    description: str,
    remediation: str,
    params: tuple[str, ...],
    fn: Callable[..., None],
) -> RuleInfo:
    domain = fn.__module__.rsplit(".", 1)[-1]
    return RuleInfo(
        rule_id, policy_name(rule_id, slug), scope, severity, description, remediation, params, kind, domain
    )


def _fields(info: RuleInfo) -> _PolicyFields:
    """The policy object's fields of one rule (the engine's and the runner's)."""
    return _PolicyFields(
        name=info.name,
        description=info.description,
        enforcement_level=_level(info.scope),
        config_schema=_schema(info.params),
        severity=info.severity,
        remediation_steps=info.remediation,
        display_name=info.id,
        tags=[info.id, info.domain],
    )


def resource_rule(
    rule_id: str,
    slug: str,
    *,
    scope: str,
    severity: Severity,
    description: str,
    remediation: str,
    types: Iterable[str] = (),
    params: Iterable[str] = (),
) -> Callable[[ResourceValidator], ResourceValidationPolicy]:
    """Declare a resource rule. The validator is `fn(args, report_violation, params)`."""
    types_ = tuple(types)
    params_ = tuple(params)

    def decorate(fn: ResourceValidator) -> ResourceValidationPolicy:
        def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
            if types_ and args.resource_type not in types_:
                return
            config = args.get_config() or {}
            if _exempt(args.name, config):
                return

            def report(message: str, urn: str | None = None) -> None:
                report_violation(message, urn)

            fn(args, report, params_of(config, params_))

        info = _rule_info("resource", rule_id, slug, scope, severity, description, remediation, params_, fn)
        policy = ResourceValidationPolicy(validate=validate, **_fields(info))
        _register(info, policy)
        TYPES[policy.name] = types_
        return policy

    return decorate


def stack_rule(
    rule_id: str,
    slug: str,
    *,
    scope: str,
    severity: Severity,
    description: str,
    remediation: str,
    params: Iterable[str] = (),
) -> Callable[[StackValidator], StackValidationPolicy]:
    """Declare a stack rule. The validator is `fn(resources, report_violation, params)`."""
    params_ = tuple(params)

    def decorate(fn: StackValidator) -> StackValidationPolicy:
        def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
            config = args.get_config() or {}

            def report(message: str, urn: str | None = None) -> None:
                if urn and _exempt(urn.rsplit("::", 1)[-1], config):
                    return
                report_violation(message, urn)

            fn(args.resources, report, params_of(config, params_))

        info = _rule_info("stack", rule_id, slug, scope, severity, description, remediation, params_, fn)
        policy = StackValidationPolicy(validate=validate, **_fields(info))
        _register(info, policy)
        return policy

    return decorate


# --------------------------------------------------------------------------- property helpers
# They take plain dicts or pulumi_policy's unknown-checking proxies (Mapping / Sequence, not
# dict / list). Reading an unknown value raises UnknownValueError: neither pass nor fail.


def present(obj: Any, path: str) -> bool:
    """Is the property set? A value unknown at preview counts as set: it is another resource's
    output (an id), so the wiring exists even though its value is not known yet."""
    *parents, last = path.split(".")
    parent = get(obj, ".".join(parents)) if parents else obj
    if not isinstance(parent, Mapping) or last not in list(parent):  # keys only: `in` would read the value
        return False
    try:
        return bool(parent[last])
    except UnknownValueError:
        return True


def expect(obj: Any, report: Callable[[str], None], *checks: tuple[str, Any, str]) -> None:
    """Report `message` for each `(path, wanted, message)` whose property is not as wanted.

    `wanted` True or False: the property must be exactly that boolean (absent fails, since the
    Azure default is the one to avoid); a tuple of strings: one of those enum values, in any case.
    """
    for path, wanted, message in checks:
        value = get(obj, path)
        ok = value is wanted if isinstance(wanted, bool) else same(value, *wanted)
        if not ok:
            report(message)


def gpu_size(vm_size: Any) -> bool:
    """Azure GPU VM sizes are the N family: Standard_NC…, Standard_ND…, Standard_NV…."""
    return isinstance(vm_size, str) and vm_size.lower().startswith("standard_n")


def prod(params: Mapping[str, Any]) -> bool:
    return params.get("scope") == "prod"
