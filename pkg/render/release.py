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


MAX_SHOWN = 10


def result_details(result: Result) -> list[str]:
    """Plain text after the result line: why it failed (each failed check and its findings) and
    whether the working tree had uncommitted changes."""
    lines: list[str] = []
    for check in result.manifest.failed_checks():
        lines.append(f"  failed check {check['gate']}: {check['message']}")
        findings = check["findings"]
        lines += [f"    {f['rule_id']} {f['resource']}: {f['message']}" for f in findings[:MAX_SHOWN]]
        if len(findings) > MAX_SHOWN:
            lines.append(f"    … {len(findings) - MAX_SHOWN} more: `llmops-infra policy check {result.environment}`")
    if result.manifest.source.get("dirty"):
        paths = result.manifest.source.get("dirty_paths") or []
        lines.append(
            "  note: the working tree had uncommitted changes (recorded with the manifest): "
            + ", ".join(paths[:MAX_SHOWN])
        )
    return lines


def history_json(environment: str, history: list[Manifest]) -> str:
    """`{"schema_version", "environment", "releases": [manifests, oldest first]}`."""
    return to_json({"environment": environment, "releases": [m.to_dict() for m in history]}, sort_keys=True)


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
