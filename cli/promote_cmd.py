"""Release, promote, approve, roll back and list releases: thin commands over `release.promotion`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from llmops_infra.cli.common import (
    EnvArg,
    ListFormat,
    ListFormatOpt,
    PricesOpt,
    ProjectDir,
    console,
    emit,
    err_console,
)

if TYPE_CHECKING:
    from llmops_infra.release.artifacts import Releases
    from llmops_infra.release.promotion import Hooks, Result

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
Format = ListFormatOpt


def _releases(artifacts: str | None, project_dir: Path) -> Releases:
    from llmops_infra.release.artifacts import Releases, open_store

    return Releases(open_store(artifacts, project_dir))


def _hooks() -> Hooks:
    from llmops_infra.release.hooks import default_hooks
    from llmops_infra.render.diff import diff_text

    def show(text: str) -> None:
        err_console.print(text, end="", markup=False, highlight=False)

    interactive = sys.stdin.isatty()
    return default_hooks(
        confirm=(lambda question: typer.confirm(question, default=False)) if interactive else None,
        show=show,
        show_changes=lambda changes, plan_diff, before: show(diff_text(changes, plan_diff, config_before=before)),
    )


def _report(result: Result, fmt: ListFormat) -> None:
    from llmops_infra.render.release import result_details, result_json, result_line

    if fmt is ListFormat.json:
        emit(result_json(result))
    else:
        console.print(result_line(result), markup=True)
        for line in result_details(result):
            console.print(line, markup=False, highlight=False)


def release_cmd(
    env: EnvArg,
    project_dir: ProjectDir = Path(),
    artifacts: Artifacts = None,
    fmt: Format = ListFormat.table,
    prices: PricesOpt = None,
) -> None:
    """Record ENV's release manifest after its checks (policy, cost). Exit 1 when they fail, saying which check failed and why."""
    from llmops_infra.policies.pricing import override
    from llmops_infra.release.promotion import release

    with override(prices):
        result = release(env, project_dir, _releases(artifacts, project_dir), _hooks())
    _report(result, fmt)
    if not result.manifest.passed:
        raise typer.Exit(1)


def promote_cmd(
    src: Annotated[str, typer.Argument(help="Environment whose tested release moves.", show_default=False)],
    dst: Annotated[str, typer.Argument(help="Environment that receives it.", show_default=False)],
    manifest: Annotated[
        str | None, typer.Option("--manifest", help="A manifest id of SRC (default: its latest).")
    ] = None,
    project_dir: ProjectDir = Path(),
    artifacts: Artifacts = None,
    fmt: Format = ListFormat.table,
    prices: PricesOpt = None,
) -> None:
    """Promote SRC's latest passed release to DST: pinned versions, DST's overlay, gates, approval, up."""
    from llmops_infra.policies.pricing import override
    from llmops_infra.release.promotion import promote

    with override(prices):
        _report(promote(src, dst, project_dir, _releases(artifacts, project_dir), _hooks(), manifest), fmt)


def rollback_cmd(
    env: EnvArg,
    to: Annotated[
        str, typer.Option("--to", help="Id (or 8+ hex characters) of an earlier manifest of ENV.", show_default=False)
    ],
    project_dir: ProjectDir = Path(),
    artifacts: Artifacts = None,
    fmt: Format = ListFormat.table,
    prices: PricesOpt = None,
) -> None:
    """Re-apply an earlier passed release of ENV."""
    from llmops_infra.policies.pricing import override
    from llmops_infra.release.promotion import rollback

    with override(prices):
        _report(rollback(env, to, project_dir, _releases(artifacts, project_dir), _hooks()), fmt)


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
    from llmops_infra.release.promotion import approve
    from llmops_infra.render.release import approval_line

    chosen, path = approve(
        env, project_dir, _releases(artifacts, project_dir), by, manifest_ref=manifest, source=source, hours=hours
    )
    console.print(approval_line(chosen, env, by, path))


def releases_cmd(
    env: EnvArg,
    project_dir: ProjectDir = Path(),
    artifacts: Artifacts = None,
    fmt: Format = ListFormat.table,
    latest: Annotated[bool, typer.Option("--latest", help="Only the newest manifest.")] = False,
) -> None:
    """List ENV's release manifests, oldest first."""
    from llmops_infra.config.loader import require_environment
    from llmops_infra.render.release import history_json, history_lines

    require_environment(env, project_dir)  # an unknown environment is bad input, not "no releases yet"
    history = _releases(artifacts, project_dir).history(env)
    if latest:
        history = history[-1:]
    if fmt is ListFormat.json:
        emit(history_json(env, history))
        return
    if not history:
        err_console.print(f"{env} has no release manifest yet: `llmops-infra release {env}` records one")
    for line in history_lines(history):
        console.print(line)
