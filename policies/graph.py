"""Relations between resources for stack rules: who refers to whom.

A stack rule sees `pulumi_policy.PolicyResource`s (type, props, urn, name, dependencies). One
resource refers to another when it depends on it (the engine records the dependency whenever
an input is built from the other's outputs, even where the value is unknown at preview), or
when one of its string properties is the other's ARM id (or a child id of it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from llmops_infra.policies.framework import get, items, same

PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint"


def strings(value: Any) -> Iterable[str]:
    """Every string inside a property value (unknown values are skipped, not raised)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key in list(value):
            yield from strings(_safe(value, key))
    elif isinstance(value, Sequence):
        for i in range(len(value)):
            yield from strings(_safe(value, i))


def _safe(container: Any, key: Any) -> Any:
    try:
        return container[key]
    except (UnknownValueError, KeyError, IndexError):  # unknown at preview: refers to nothing known
        return None


class Graph:
    """Index of a stack's resources by type, with reference lookups."""

    def __init__(self, resources: Sequence[PolicyResource]) -> None:
        self.resources = list(resources)
        self._by_type: dict[str, list[PolicyResource]] = {}
        for resource in self.resources:
            self._by_type.setdefault(resource.resource_type, []).append(resource)

    def of_type(self, *types: str) -> list[PolicyResource]:
        return [r for t in types for r in self._by_type.get(t, [])]

    @staticmethod
    def resource_id(resource: PolicyResource) -> str | None:
        value = _safe(resource.props, "id") if isinstance(resource.props, Mapping) else None
        return value.lower() if isinstance(value, str) and value.startswith("/subscriptions/") else None

    def refers(self, source: PolicyResource, target: PolicyResource) -> bool:
        """Does `source` depend on `target`, or name `target`'s id (or a child of it)?"""
        if any(dep.urn == target.urn for dep in source.dependencies or ()):
            return True
        target_id = self.resource_id(target)
        if not target_id:
            return False
        for text in strings(source.props):
            lowered = text.lower()
            if lowered == target_id or lowered.startswith(target_id + "/"):
                return True
        return False

    def private_endpoints_for(self, target: PolicyResource, group: str) -> list[PolicyResource]:
        found: list[PolicyResource] = []
        for endpoint in self.of_type(PRIVATE_ENDPOINT):
            connections = items(get(endpoint.props, "privateLinkServiceConnections")) + items(
                get(endpoint.props, "manualPrivateLinkServiceConnections")
            )
            groups = [g for c in connections for g in items(get(c, "groupIds"))]
            if any(same(g, group) for g in groups) and self.refers(endpoint, target):
                found.append(endpoint)
        return found

    def referring(self, target: PolicyResource, *types: str) -> list[PolicyResource]:
        """Resources of `types` that refer to `target`."""
        return [r for r in self.of_type(*types) if self.refers(r, target)]
