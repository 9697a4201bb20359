"""Releases: what `release`, `promote` and `rollback` did, and an environment's manifests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmops_infra.render import to_json
from llmops_infra.render.safe import clean, literal

if TYPE_CHECKING:
    from llmops_infra.release.manifest import Manifest
    from llmops_infra.release.promotion import Result


def result_json(result: Result) -> str:
    return to_json(result.to_dict(), sort_keys=True)


def result_line(result: Result) -> str:
    """One line of console markup: action, environment, origin, manifest and its status in colour."""
    manifest = result.manifest
    origin = f" from {result.source.environment} manifest {result.source.short_id}" if result.source else ""
    colour = "green" if manifest.passed else "red"
    head = literal(f"{result.action} {result.environment}{origin}: manifest {manifest.short_id}")
    return f"{head} [{colour}]{literal(manifest.status)}[/]"


def history_json(history: list[Manifest]) -> str:
    return to_json([m.to_dict() for m in history], sort_keys=True)


def history_lines(history: list[Manifest]) -> list[str]:
    """Plain text (no markup), one line per manifest, oldest first: short id, time, status, author, origin."""
    lines = []
    for m in history:
        origin = m.source.get("promoted_from") or m.source.get("rolled_back_to") or ""
        origin = f" from {origin.removeprefix('sha256:')[:12]}" if origin else ""
        lines.append(clean(f"{m.short_id}  {m.created_at}  {m.status!s:6}  by {m.created_by}{origin}"))
    return lines


def approval_line(manifest: Manifest, env: str, by: str, path: object) -> str:
    return clean(f"approved manifest {manifest.short_id} ({manifest.environment}) for {env} by {by.strip()}: {path}")
