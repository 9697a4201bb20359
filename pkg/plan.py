"""The offline plan: every resource a program registers, as the engine would see it.

Produced by `llmops_infra.offline.synth` (the program run under Pulumi mocks) and judged by
`llmops_infra.policies` (which know nothing of how it was made). It lives in the root package
so that both sides depend on it and not on each other.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from llmops_infra.errors import ConfigError

SECRET_MARKER = "[secret]"


@dataclass(frozen=True)
class PlannedResource:
    """One registered resource: a custom resource, a component or a provider."""

    type: str
    name: str
    urn: str
    parent: str | None
    custom: bool
    props: dict[str, Any]
    """Inputs in the provider's wire names (camelCase); secret values are `[secret]`."""
    outputs: dict[str, Any] = field(default_factory=dict)
    """What the mocks answered (ids, URIs): lets wiring resolve; not the real cloud state."""
    dependencies: list[str] = field(default_factory=list)
    provider: str | None = None
    protect: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    delete_before_replace: bool = False
    retain_on_delete: bool = False

    @property
    def is_component(self) -> bool:
        return not self.custom and not self.type.startswith("pulumi:providers:")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> PlannedResource:
        """The inverse of `to_dict`; a malformed resource is a `ConfigError` naming what is wrong."""
        if not isinstance(data, dict):
            raise ConfigError(f"a planned resource is a JSON object, not {type(data).__name__}")
        where = data.get("urn", "a planned resource")
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ConfigError(f"{where}: unknown keys {unknown}")
        missing = [name for name in _REQUIRED if name not in data]
        if missing:
            raise ConfigError(f"{where}: missing keys {missing}")
        return cls(**data)


_REQUIRED = ("type", "name", "urn", "parent", "custom", "props")

CONFIG_SCHEME = "llmops-config:"


@dataclass(frozen=True)
class Origin:
    """Where a resource comes from: the config key the estate built it from, or the file and line
    of its constructor call in a program. Reports locate findings with it (SARIF, JSON)."""

    key: str = ""
    """Config key path, e.g. `cluster` or `openai.deployments` (the estate)."""
    file: str = ""
    """Absolute path of the program file that constructed it (any program)."""
    line: int = 0

    @staticmethod
    def config_uri(key: str) -> str:
        """The `sourcePosition` uri that carries a config key through a registration."""
        return CONFIG_SCHEME + key

    @classmethod
    def from_position(cls, uri: str, line: int) -> Origin:
        if uri.startswith(CONFIG_SCHEME):
            return cls(key=uri.removeprefix(CONFIG_SCHEME))
        from urllib.parse import unquote, urlparse

        parsed = urlparse(uri)
        return cls(file=unquote(parsed.path) if parsed.scheme == "file" else uri, line=line)


@dataclass(frozen=True)
class Plan:
    """A synthesized estate: its resources in URN order and its stack outputs.

    One plan may hold several stacks (the platform and workload stacks of an environment):
    `stack_projects` maps each stack's name to its Pulumi project, and each resource's URN
    names its project.
    """

    environment: str
    project: str
    resources: list[PlannedResource]
    outputs: dict[str, Any] = field(default_factory=dict)
    stack_projects: dict[str, str] = field(default_factory=dict)
    origins: dict[str, Origin] = field(default_factory=dict, compare=False, repr=False)
    """URN -> where the resource comes from (synthesis records it). Not part of the plan's
    content: it is not serialized, so digests and stored plans do not depend on it."""

    @staticmethod
    def merge(plans: list[Plan], *, project: str) -> Plan:
        """One plan of several stacks of the same environment (outputs: later stacks win)."""
        outputs: dict[str, Any] = {}
        stack_projects: dict[str, str] = {}
        origins: dict[str, Origin] = {}
        for plan in plans:
            outputs.update(plan.outputs)
            stack_projects[plan.project.removeprefix(f"{project}-")] = plan.project
            origins.update(plan.origins)
        resources = sorted((r for plan in plans for r in plan.resources), key=lambda r: r.urn)
        return Plan(plans[0].environment, project, resources, outputs, stack_projects, origins)

    def stacks(self) -> dict[str, list[PlannedResource]]:
        """Resources by stack name (a plan of one stack: {project: all resources})."""
        if not self.stack_projects:
            return {self.project: list(self.resources)}
        return {
            name: [r for r in self.resources if r.urn.split("::")[1] == project]
            for name, project in self.stack_projects.items()
        }

    def by_urn(self) -> dict[str, PlannedResource]:
        return {r.urn: r for r in self.resources}

    def custom_resources(self) -> list[PlannedResource]:
        return [r for r in self.resources if r.custom]

    def of_type(self, type_: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_]

    def component_of(self, resource: PlannedResource) -> PlannedResource | None:
        """The nearest ancestor component of `resource` (None at top level)."""
        index = self.by_urn()
        parent = index.get(resource.parent or "")
        while parent is not None and not parent.is_component:
            parent = index.get(parent.parent or "")
        return parent

    def to_dict(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "project": self.project,
            "resources": [r.to_dict() for r in self.resources],
            "outputs": self.outputs,
            "stacks": [
                {"name": name, "project": self.stack_projects.get(name, name), "resources": [r.urn for r in members]}
                for name, members in self.stacks().items()
            ],
        }

    @classmethod
    def from_dict(cls, data: Any) -> Plan:
        """The inverse of `to_dict`: `Plan.from_dict(plan.to_dict()) == plan`. Plans handed between
        steps (a stored release's plan, a plan file) come back through here."""
        if not isinstance(data, dict) or not isinstance(data.get("resources"), list):
            raise ConfigError("not a plan: a JSON object with a 'resources' list (from `plan --format json`) expected")
        for key in ("environment", "project"):
            if not isinstance(data.get(key), str):
                raise ConfigError(f"not a plan: '{key}' must be a string")
        outputs = data.get("outputs", {})
        if not isinstance(outputs, dict):
            raise ConfigError("not a plan: 'outputs' must be an object")
        stacks = data.get("stacks", [])
        if not isinstance(stacks, list) or not all(
            isinstance(s, dict) and isinstance(s.get("name"), str) and isinstance(s.get("project"), str) for s in stacks
        ):
            raise ConfigError("not a plan: 'stacks' must be a list of objects with a name and a project")
        projects = {s["name"]: s["project"] for s in stacks}
        if projects == {data["project"]: data["project"]}:
            projects = {}  # a plan of one stack lists itself as its only stack
        return cls(
            environment=data["environment"],
            project=data["project"],
            resources=[PlannedResource.from_dict(r) for r in data["resources"]],
            outputs=outputs,
            stack_projects=projects,
        )

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, default=str, **kwargs)

    def digest(self) -> str:
        """sha256 of the canonical JSON: equal plans, equal digests."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), default=str)
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
