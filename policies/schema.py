"""Schema conformance (SCHEMA-01): every property an azure-native resource sends is one its API knows.

The installed SDK's input types say which wire names each resource and each nested object accepts
(`sdk_types`, remembered between processes by `schema_memo`). A key outside them reaches the provider as is, and Azure ignores or rejects it: a
snake_case key the SDK could not translate (a plain dict where the input is a union of types, such
as `OnlineDeployment.properties`), or a typo in a nested dict. The rule walks the props the
resource sends, reports each unknown key with its property path and the closest known name, and
does not look inside values it cannot see yet (unknown until the deployment runs) or that the API
leaves free (maps, `Any`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence

from pulumi_policy import ResourceValidationArgs, Severity
from pulumi_policy.proxy import UnknownValueError

from llmops_infra.policies import schema_memo
from llmops_infra.policies.framework import Params, Report, resource_rule
from llmops_infra.policies.schema_memo import Node
from llmops_infra.policies.sdk_types import AZURE

MAX_FINDINGS = 20
"""Unknown keys reported per resource (a dict passed whole in snake_case can hold dozens)."""
_UPPER = re.compile(r"_([a-z0-9])")


def camel(key: str) -> str:
    """`instance_type` -> `instanceType` (what the SDK would have sent for a typed input)."""
    return _UPPER.sub(lambda m: m.group(1).upper(), key)


def closest(key: str, names: list[str]) -> str | None:
    """The known name the key most likely meant: its camelCase, the same name in another case, or the nearest."""
    if camel(key) in names:
        return camel(key)
    lowered = {name.lower(): name for name in names}
    if key.lower() in lowered:
        return lowered[key.lower()]
    found = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    return found[0] if found else None


def unknown_keys(value: object, shape: Node, path: str) -> list[tuple[str, str | None]]:
    """(property path, closest known name) of every key `value` holds that `shape` does not know."""
    if shape.free:
        return []
    found: list[tuple[str, str | None]] = []
    if isinstance(value, Mapping) and shape.objects and shape.values is None:
        names = shape.known()
        if names is None:
            return []
        for key in list(value):  # the keys alone: a value may be unknown until the deployment runs
            sub = f"{path}.{key}" if path else str(key)
            if key not in names:
                found.append((sub, closest(str(key), sorted(names))))
                continue
            found += _inside(value, key, names[key], sub)
    elif isinstance(value, Mapping) and shape.values is not None:
        for key in list(value):
            found += _inside(value, key, shape.values, f"{path}[{key}]")
    elif isinstance(value, Sequence) and not isinstance(value, str) and shape.items is not None:
        for index in range(len(value)):
            found += _inside(value, index, shape.items, f"{path}[{index}]")
    return found


def _inside(container: object, key: object, shape: Node, path: str) -> list[tuple[str, str | None]]:
    try:
        value = container[key]  # type: ignore[index]  # a Mapping or Sequence, checked by the caller
    except UnknownValueError:
        return []
    return unknown_keys(value, shape, path)


@resource_rule(
    "SCHEMA-01",
    "known-properties",
    scope="A",
    severity=Severity.HIGH,
    description="Every property an azure-native resource sends is one its API knows (the installed SDK's "
    "input types): no untranslated snake_case key, no misspelt nested key.",
    remediation="Write the wire (camelCase) name the message suggests, or build the value with the SDK's "
    "input type (e.g. machinelearningservices.ManagedOnlineDeploymentArgs) so the SDK translates it.",
)
def known_properties(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if not args.resource_type.startswith(AZURE):
        return
    shape = schema_memo.memo().resource(args.resource_type)
    if shape is None:  # a resource this SDK does not have: nothing to compare with
        return
    problems = unknown_keys(args.props, shape, "")
    for path, suggestion in problems[:MAX_FINDINGS]:
        leaf = path.rsplit(".", 1)[-1]
        hint = ""
        if suggestion is not None:
            hint = f" Did you mean {path[: len(path) - len(leaf)]}{suggestion}?"
            if suggestion == camel(leaf) and "_" in leaf:
                hint += (
                    " (a snake_case key the SDK did not translate: a plain dict where the input takes a typed value)"
                )
        report(
            f"Property {path} is not in the API of {args.resource_type}: the provider sends it as is and Azure "
            f"ignores or rejects it.{hint}"
        )
    if len(problems) > MAX_FINDINGS:
        report(f"{len(problems) - MAX_FINDINGS} more unknown properties: fix the ones above first.")
