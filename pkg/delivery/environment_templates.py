"""The environment templates shipped in the package (what `init` scaffolds and pipelines fall back to).

They are the repository's own `environments/*.yaml` and `*.json` schemas, copied into
`pkg/delivery/templates/environments/` (package data, so an installed wheel can scaffold);
tests/test_init_cmd.py fails when the two drift apart.
"""

from __future__ import annotations

from importlib.resources import files

from llmops_infra.errors import ConfigError

TEMPLATES = "templates/environments"


def template_files() -> dict[str, str]:
    """environments/<name> -> text, from the package data."""
    root = files("llmops_infra.delivery").joinpath(TEMPLATES)
    names = sorted(entry.name for entry in root.iterdir() if entry.name.endswith((".yaml", ".json")))
    if "base.yaml" not in names or "schema.json" not in names:
        raise ConfigError("the installed llmops-infra has no environment templates: reinstall it")
    return {f"environments/{name}": root.joinpath(name).read_text(encoding="utf-8") for name in names}
