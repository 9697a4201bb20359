"""Release, promote, approve, roll back and list releases: thin commands over `stacks.promotion`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from llmops_infra.cli.common import ListFormat, ProjectDir, console, emit, err_console, handle_errors

if TYPE_CHECKING:
    from llmops_infra.release.artifacts import Releases
    from llmops_infra.release.promotion import Hooks, Result

EnvArg = Annotated[str, typer.Argument(help="Environment name: a file environments/ENV.yaml.", show_default=False)]
Artifacts = Annotated[
    str | None,
    typer.Option(
        "--artifacts",
        envvar="LLMOPS_ARTIFACTS",
        show_default=False,
        help="Artifact store for manifests and audit records: a directory (default "
        ".llmops/releases), azblob://<account>/<container> or s3://<bucket> (each optionally followed by /prefix).",
    ),
]
Format = Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")]


def _releases(artifacts: str | None, project_dir: Path) -> Releases:
    from llmops_infra.release.artifacts import Releases, open_store

    return Releases(open_store(artifacts, project_dir))


def _hooks() -> Hooks:
    from llmops_infra.release.hooks import default_hooks

    interactive = sys.stdin.isatty()
    return default_hooks(
        confirm=(lambda question: typer.confirm(question, default=False)) if interactive else None,
        show=lambda text: err_console.print(text, end="", markup=False, highlight=False),
    )


def _report(result: Result, fmt: ListFormat) -> None:
    manifest = result.manifest
    if fmt is ListFormat.json:
        emit(
            json.dumps(
                {
                    "action": result.action,
                    "environment": result.environment,
                    "manifest": manifest.id,
                    "status": manifest.status,
                    "source_manifest": result.source.id if result.source else None,
                    "summary": result.outcome.summary if result.outcome else None,
                    "notes": result.notes,
                },
                indent=2,
                sort_keys=True,
            ),
            None,
        )
        return
    origin = f" from {result.source.environment} manifest {result.source.short_id}" if result.source else ""
    colour = "green" if manifest.passed else "red"
    console.print(
        f"{result.action} {result.environment}{origin}: manifest {manifest.short_id} [{colour}]{manifest.status}[/]"
    )


@handle_errors
def release_cmd(
    env: EnvArg, project_dir: ProjectDir = Path(), artifacts: Artifacts = None, fmt: Format = ListFormat.table
) -> None:
    """Record ENV's release manifest after its checks (policy, cost). Exit 1 when they fail."""
    from llmops_infra.release.promotion import release

    result = release(env, project_dir, _releases(artifacts, project_dir), _hooks())
    _report(result, fmt)
    if not result.manifest.passed:
        raise typer.Exit(1)


@handle_errors
def promote_cmd(
    src: Annotated[str, typer.Argument(help="Environment whose tested release moves.", show_default=False)],
    dst: Annotated[str, typer.Argument(help="Environment that receives it.", show_default=False)],
    manifest: Annotated[
        str | None, typer.Option("--manifest", help="A manifest id of SRC (default: its latest).")
    ] = None,
    project_dir: ProjectDir = Path(),
    artifacts: Artifacts = None,
    fmt: Format = ListFormat.table,
) -> None:
    """Promote SRC's latest passed release to DST: pinned versions, DST's overlay, gates, approval, up."""
    from llmops_infra.release.promotion import promote

    _report(promote(src, dst, project_dir, _releases(artifacts, project_dir), _hooks(), manifest), fmt)


@handle_errors
def rollback_cmd(
    env: EnvArg,
    to: Annotated[
        str, typer.Option("--to", help="Id (or 8+ hex characters) of an earlier manifest of ENV.", show_default=False)
    ],
    project_dir: ProjectDir = Path(),
    artifacts: Artifacts = None,
    fmt: Format = ListFormat.table,
) -> None:
    """Re-apply an earlier passed release of ENV."""
    from llmops_infra.release.promotion import rollback

    _report(rollback(env, to, project_dir, _releases(artifacts, project_dir), _hooks()), fmt)


@handle_errors
def approve_cmd(
    env: EnvArg,
    by: Annotated[str, typer.Option("--by", help="Who approves (recorded in the audit trail).", show_default=False)],
    manifest: Annotated[str | None, typer.Option("--manifest", help="Manifest id to approve.")] = None,
    source: Annotated[
        str | None, typer.Option("--from", help="Approve the latest release of this environment.")
    ] = None,
    hours: Annotated[float, typer.Option("--valid-hours", min=0.1, help="How long the approval stays valid.")] = 24,
    project_dir: ProjectDir = Path(),
    artifacts: Artifacts = None,
) -> None:
    """Record an approval of one manifest for ENV (`.llmops/approvals/ENV.json`), read by promote and up."""
    from llmops_infra.config.loader import require_environment
    from llmops_infra.errors import ConfigError
    from llmops_infra.release.audit import record_approval
    from llmops_infra.release.promotion import PromotionRefused

    for name in (env, source):
        if name is not None:
            require_environment(name, project_dir)  # before any lookup: a typo is bad input (exit 2)
    releases = _releases(artifacts, project_dir)
    if (manifest is None) == (source is None):
        raise ConfigError("name what is approved: --manifest ID or --from SOURCE_ENV (one of them)", key="--manifest")
    chosen = releases.find(manifest) if manifest else releases.latest(source or "")
    if chosen is None:
        raise PromotionRefused(f"{source} has no release manifest in {releases.store.url}")
    if not chosen.passed:
        raise PromotionRefused(f"manifest {chosen.short_id} {chosen.status}: only a passed release can be approved")
    path = record_approval(env, project_dir, chosen, by, hours=hours, releases=releases)
    console.print(f"approved manifest {chosen.short_id} ({chosen.environment}) for {env} by {by.strip()}: {path}")


@handle_errors
def releases_cmd(
    env: EnvArg,
    project_dir: ProjectDir = Path(),
    artifacts: Artifacts = None,
    fmt: Format = ListFormat.table,
    latest: Annotated[bool, typer.Option("--latest", help="Only the newest manifest.")] = False,
) -> None:
    """List ENV's release manifests, oldest first."""
    from llmops_infra.config.loader import require_environment

    require_environment(env, project_dir)  # an unknown environment is bad input, not "no releases yet"
    history = _releases(artifacts, project_dir).history(env)
    if latest:
        history = history[-1:]
    if fmt is ListFormat.json:
        emit(json.dumps([json.loads(m.to_json()) for m in history], indent=2, sort_keys=True), None)
        return
    if not history:
        err_console.print(f"{env} has no release manifest yet: `llmops-infra release {env}` records one")
    for m in history:
        origin = m.source.get("promoted_from") or m.source.get("rolled_back_to") or ""
        origin = f" from {origin.removeprefix('sha256:')[:12]}" if origin else ""
        console.print(f"{m.short_id}  {m.created_at}  {m.status:6}  by {m.created_by}{origin}")
