"""`llmops-infra access ENV`: who can do what on which resource, from the offline plan."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from llmops_infra.cli.common import ListFormat, ProjectDir, emit, handle_errors, synthesize

if TYPE_CHECKING:
    from llmops_infra.review.access import Grant


def access_table(environment: str, grants: list[Grant], width: int = 160) -> str:
    from rich.console import Console
    from rich.table import Table

    buffer = StringIO()
    console = Console(file=buffer, width=width, force_terminal=False, highlight=False)
    table = Table(title=f"Access: {environment} ({len(grants)} role assignments)")
    for column in ("Who", "Kind", "Role", "On", "Resource type"):
        table.add_column(column)
    for g in grants:
        table.add_row(g.principal, g.principal_kind, g.role, g.scope, g.scope_type)
    console.print(table)
    return buffer.getvalue()


@handle_errors
def access_cmd(
    env: Annotated[str, typer.Argument(help="Environment name: a file environments/ENV.yaml.", show_default=False)],
    project_dir: ProjectDir = Path(),
    fmt: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.table,
) -> None:
    """Show who (identity) can do what (role) on which resource in ENV, from its offline plan."""
    from llmops_infra.review.access import access_json, access_report

    plan = synthesize(env, project_dir)
    grants = access_report(plan)
    emit(access_json(plan, grants) if fmt is ListFormat.json else access_table(plan.environment, grants), None)
