"""JSON Schemas of the environment files, generated from the models, for editors and tools.

Three files in `environments/`:

- `schema.json`: the merged document (base.yaml overlaid with one environment's file), complete:
  every required key required. What the loader validates, for tools that merge themselves.
- `base.schema.json`: base.yaml, which every environment shares. No mapping requires a key (an
  environment's file may supply it), `name` is not allowed (it would name every environment).
- `overlay.schema.json`: an environment's file (dev.yaml, prod.yaml …). No mapping requires a key
  (base.yaml may supply it).

In both partial schemas an item of a list still requires its keys: lists are replaced, not merged,
so an item is complete in the file that writes it. Unknown keys are refused everywhere. The
modeline at the top of each shipped and scaffolded file names its schema.

Regenerate with `python -m llmops_infra.config.schema environments/` (writes the three files);
a test fails when a shipped file is out of date.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

from llmops_infra.config.models import EnvironmentConfig

DRAFT = "https://json-schema.org/draft/2020-12/schema"
MERGED, BASE, OVERLAY = "schema.json", "base.schema.json", "overlay.schema.json"
PARTIAL = "Partial"
"""Suffix of the relaxed copy of a definition (no required keys), used where a mapping merges."""


def environment_schema() -> dict[str, Any]:
    """The merged document: complete."""
    schema = EnvironmentConfig.model_json_schema(mode="validation")
    schema["$schema"] = DRAFT
    schema["title"] = "llmops-infra environment (base.yaml merged with one environment's file)"
    return schema


def base_schema() -> dict[str, Any]:
    """base.yaml: partial mappings, complete list items, no `name`."""
    schema = _partial(environment_schema(), "llmops-infra base.yaml (what every environment shares)")
    schema["properties"].pop("name", None)
    return schema


def overlay_schema() -> dict[str, Any]:
    """An environment's own file: partial mappings, complete list items."""
    return _partial(environment_schema(), "llmops-infra environment file (overrides base.yaml)")


def schemas() -> dict[str, dict[str, Any]]:
    """File name in environments/ -> schema."""
    return {MERGED: environment_schema(), BASE: base_schema(), OVERLAY: overlay_schema()}


def schema_text(name: str = MERGED) -> str:
    return json.dumps(schemas()[name], indent=2, sort_keys=True) + "\n"


def schema_for(file_name: str) -> str:
    """Which schema a file of environments/ follows: base.yaml the base one, the others the overlay one."""
    return BASE if file_name == "base.yaml" else OVERLAY


def _partial(schema: dict[str, Any], title: str) -> dict[str, Any]:
    definitions: dict[str, Any] = schema.pop("$defs", {})
    relaxed: dict[str, Any] = {}

    def relax(node: Any) -> Any:
        """A copy of `node` where mappings require nothing; list items are left complete."""
        if isinstance(node, list):
            return [relax(item) for item in node]
        if not isinstance(node, dict):
            return node
        result: dict[str, Any] = {}
        for key, value in node.items():
            if key == "required":
                continue
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                name = value.removeprefix("#/$defs/")
                if name + PARTIAL not in relaxed:
                    relaxed[name + PARTIAL] = {}  # reserve the name first: definitions may recurse
                    relaxed[name + PARTIAL] = relax(definitions[name])
                same = relaxed[name + PARTIAL] == definitions[name]  # nothing to relax (an enum)
                result[key] = f"#/$defs/{name}" if same else f"#/$defs/{name}{PARTIAL}"
            elif key in ("items", "prefixItems"):
                result[key] = copy.deepcopy(value)  # replaced whole: complete
            else:
                result[key] = relax(value)
        return result

    partial: dict[str, Any] = relax(schema)
    used = _referenced(partial, {**definitions, **relaxed})
    partial["$defs"] = {name: d for name, d in {**definitions, **relaxed}.items() if name in used}
    partial["title"] = title
    return partial


def _referenced(root: Any, definitions: dict[str, Any]) -> set[str]:
    """Names of the definitions reachable from `root` through $ref."""
    found: set[str] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                name = ref.removeprefix("#/$defs/")
                if name not in found:
                    found.add(name)
                    stack.append(definitions[name])
            stack.extend(v for k, v in node.items() if k != "$defs")
        elif isinstance(node, list):
            stack.extend(node)
    return found


def write(directory: Path) -> list[Path]:
    """Write the three schemas into `directory`; returns the paths written."""
    written = []
    for name in schemas():
        path = directory / name
        path.write_text(schema_text(name), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m llmops_infra.config.schema DIRECTORY (e.g. environments/)")
    for written_path in write(Path(sys.argv[1])):
        print(written_path)
