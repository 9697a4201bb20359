"""Where a finding points: the environment file and line of the setting that produced the resource,
or the program file and line of its constructor call, as a path relative to the repository root.

Synthesis records each resource's origin (`Plan.origins`): the config key of the stage that built
it, or the program frame that constructed it. The estate's key is narrowed to the list item the
resource was built from when the resource's name names it (`cluster-pool-gpua100` comes from the
GPU pool named `gpua100`), then located with the loader's line table (`config.loader.Source`): the
environment's own file when it sets the key, else base.yaml. Findings of stack rules that name no
resource point at the setting of the rule's parameter (COST-05 at `cost.max_monthly_usd`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from llmops_infra.config.loader import KeyPath, Source
from llmops_infra.config.secrets_scan import format_path
from llmops_infra.errors import ConfigError
from llmops_infra.plan import Plan
from llmops_infra.policies.framework import RuleInfo
from llmops_infra.policies.runner import ConfigFinding, Location

Locator = Callable[[str, RuleInfo], Location | None]
"""(urn or "", rule) -> where the finding points."""

PARAM_KEYS: dict[str, KeyPath] = {
    "max_monthly_usd": ("cost", "max_monthly_usd"),
    "allowed_gpu_sizes": ("cost", "allowed_gpu_sizes"),
    "max_gpu_nodes": ("cost", "max_gpu_nodes"),
    "allowed_regions": ("cost", "allowed_regions"),
    "max_openai_capacity": ("cost", "max_openai_capacity"),
    "allow_ptu": ("cost", "allow_provisioned_throughput"),
    "allowed_ml_instance_types": ("ml", "allowed_instance_types"),
    "max_ml_instances": ("ml", "max_instances"),
    "scope": ("policy", "scope"),
}
"""Policy parameter -> the setting it comes from (`offline.policy_check.policy_settings`)."""


def repository_root(start: Path) -> Path:
    """The nearest directory at or above `start` that holds `.git` (a checkout or a worktree), else `start`."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return start


def repository_path(path: Path, root: Path) -> str:
    """`path` relative to `root` with forward slashes; an absolute path when it lies outside `root`."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(root).as_posix()
    except ValueError:
        return resolved.as_posix()


def parse_key(key: str) -> KeyPath:
    """`ci.runners` -> ("ci", "runners"); `inference.models.0` -> ("inference", "models", 0)."""
    return tuple(int(part) if part.isdigit() else part for part in key.split(".") if part)


def narrow(document: Mapping[str, Any], path: KeyPath, resource_name: str) -> KeyPath:
    """`path` extended to the list item (and its nested items) whose `name` the resource's name
    spells out as whole hyphen-separated words; the longest such name wins, a tie keeps `path`."""
    node: Any = document
    for part in path:
        in_mapping = isinstance(node, Mapping) and part in node
        in_list = isinstance(node, Sequence) and isinstance(part, int) and part < len(node)
        if not (in_mapping or in_list):
            return path
        node = node[part]
    words = resource_name.split("-")
    best: list[tuple[int, KeyPath, Any]] = []
    for sub, item in _named_items(node, ()):
        name = str(item["name"]).split("-")
        if _spells(words, name):
            best.append((len(name), sub, item))
    if not best:
        return path
    best.sort(key=lambda found: -found[0])
    if len(best) > 1 and best[0][0] == best[1][0]:
        return path
    _, sub, item = best[0]
    return (*path, *sub, *narrow(item, (), resource_name))


def _named_items(node: Any, at: KeyPath) -> list[tuple[KeyPath, Mapping[str, Any]]]:
    """Every list item with a string `name` below `node`, not looking inside such items."""
    found: list[tuple[KeyPath, Mapping[str, Any]]] = []
    if isinstance(node, Mapping):
        for key, value in node.items():
            found += _named_items(value, (*at, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if isinstance(value, Mapping) and isinstance(value.get("name"), str):
                found.append(((*at, index), value))
            else:
                found += _named_items(value, (*at, index))
    return found


def _spells(words: list[str], name: list[str]) -> bool:
    return any(words[i : i + len(name)] == name for i in range(len(words) - len(name) + 1))


def estate_locator(
    plan: Plan, document: Mapping[str, Any], source: Source, project_dir: Path, env_file: str
) -> Locator:
    """Locate findings of an environment's plan in its files (`env_file`: the overlay, as the
    loader displays it, for findings no setting explains)."""
    root = repository_root(project_dir)
    names = {r.urn: r.name for r in plan.resources}

    def place(path: KeyPath) -> Location | None:
        file, line = source.locate(path)
        if file is None:
            return None
        return Location(repository_path(Path(project_dir) / file, root), line, format_path(path))

    def locate(urn: str, info: RuleInfo) -> Location | None:
        origin = plan.origins.get(urn)
        if origin is not None and origin.key:
            found = place(narrow(document, parse_key(origin.key), names.get(urn, "")))
            if found is not None:
                return found
        for param in info.params:
            if param in PARAM_KEYS:
                found = place(PARAM_KEYS[param])
                if found is not None:
                    return found
        return Location(repository_path(Path(project_dir) / env_file, root), 1)

    return locate


def program_locator(plan: Plan, program: Path) -> Locator:
    """Locate findings of a program's plan at the line of each resource's constructor call."""
    file = program / "__main__.py" if program.is_dir() else program
    root = repository_root(file.parent)
    fallback = Location(repository_path(file, root), 1)

    def locate(urn: str, info: RuleInfo) -> Location | None:
        origin = plan.origins.get(urn)
        if origin is None or not origin.file:
            return fallback
        return Location(repository_path(Path(origin.file), root), origin.line or 1)

    return locate


def config_findings(error: ConfigError, environment: str, project_dir: Path) -> list[ConfigFinding]:
    """Each problem of `error` as a finding located in the repository (files the loader names
    relative to the project directory)."""
    root = repository_root(project_dir)
    found = []
    for file, line, key, message in error.problems:
        if file:
            path = Path(file) if Path(file).is_absolute() else Path(project_dir) / file
            found.append(ConfigFinding(environment, message, Location(repository_path(path, root), line, key or "")))
        else:  # a command-line value or the project itself: no file to point at
            found.append(ConfigFinding(environment, f"{key}: {message}" if key else message))
    return found
