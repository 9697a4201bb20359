"""The project's environments: `environments` and `validate`."""

from __future__ import annotations

from llmops_infra.render import to_json
from llmops_infra.render.safe import literal


def environments_json(names: list[str]) -> str:
    return to_json({"environments": names}, indent=None)


def valid_json(names: list[str], warnings: dict[str, list[str]] | None = None) -> str:
    return to_json({"valid": names, "warnings": warnings or {name: [] for name in names}}, indent=None)


def valid_lines(names: list[str]) -> list[str]:
    """Console markup, one line per valid environment."""
    return [f"[green]ok[/] {literal(name)}" for name in names]
