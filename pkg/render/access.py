"""Who can do what on which resource (`review.access`): a table or JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

from llmops_infra.render import as_text, to_json

if TYPE_CHECKING:
    from llmops_infra.review.access import Grant


def access_table(environment: str, grants: list[Grant], width: int = 160) -> str:
    table = Table(title=f"Access: {environment} ({len(grants)} role assignments)")
    for column in ("Who", "Kind", "Role", "On", "Resource type"):
        table.add_column(column)
    for g in grants:
        table.add_row(g.principal, g.principal_kind, g.role, g.scope, g.scope_type)
    return as_text(table, width)


def access_json(environment: str, grants: list[Grant]) -> str:
    return to_json({"environment": environment, "grants": [g.to_dict() for g in grants]})


def render(fmt: str, environment: str, grants: list[Grant]) -> str:
    """`fmt` is table or json."""
    return access_json(environment, grants) if fmt == "json" else access_table(environment, grants)
