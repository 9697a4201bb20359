"""The project's environments: `environments` and `validate`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmops_infra.render import to_json
from llmops_infra.render.safe import literal

if TYPE_CHECKING:
    from llmops_infra.policies.runner import ConfigFinding


def environments_json(names: list[str]) -> str:
    return to_json({"environments": names}, indent=None)


def valid_json(
    names: list[str],
    warnings: dict[str, list[str]] | None = None,
    invalid: dict[str, list[ConfigFinding]] | None = None,
) -> str:
    """`{"valid": [...], "invalid": {env: [findings]}, "warnings": {env: [...]}}`."""
    return to_json(
        {
            "valid": names,
            "invalid": {env: [f.to_dict() for f in found] for env, found in (invalid or {}).items()},
            "warnings": warnings or {name: [] for name in names},
        },
        indent=None,
    )


def invalid_lines(invalid: dict[str, list[ConfigFinding]]) -> list[str]:
    """Plain text, one line per problem: `error: file:line: key: message`."""
    return [f"error: {f.where() + ': ' if f.where() else ''}{f.message}" for found in invalid.values() for f in found]


def valid_lines(names: list[str]) -> list[str]:
    """Console markup, one line per valid environment."""
    return [f"[green]ok[/] {literal(name)}" for name in names]
