"""Who can do what on which resource (`review.access`): a table or JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

from llmops_infra.render import as_text, to_json

if TYPE_CHECKING:
    from llmops_infra.review.access import Grant, TeamAccess


def access_table(environment: str, grants: list[Grant], width: int = 160) -> str:
    table = Table(title=f"Access: {environment} ({len(grants)} role assignments)")
    for column in ("Who", "Kind", "Role", "On", "Resource type"):
        table.add_column(column)
    for g in grants:
        table.add_row(g.principal, g.principal_kind, g.role, g.scope, g.scope_type)
    return as_text(table, width)


def teams_table(environment: str, teams: list[TeamAccess], width: int = 160) -> str:
    table = Table(title=f"Model access through the AI gateway: {environment} ({len(teams)} teams)")
    for column in ("Team", "Models and apps", "Tokens/min", "Token quota", "Subscribed apps"):
        table.add_column(column)
    for t in teams:
        models, subscribers = ", ".join(t.models) or "(none)", ", ".join(t.subscribers) or "-"
        table.add_row(t.team, models, t.tokens_per_minute, t.monthly_token_quota, subscribers)
    return as_text(table, width)


def access_json(environment: str, grants: list[Grant], teams: list[TeamAccess] | None = None) -> str:
    return to_json(
        {
            "environment": environment,
            "grants": [g.to_dict() for g in grants],
            "teams": [t.to_dict() for t in teams or []],
        }
    )


def render(fmt: str, environment: str, grants: list[Grant], teams: list[TeamAccess] | None = None) -> str:
    """`fmt` is table or json; `teams` (each team's models on the gateway) follow the role assignments."""
    if fmt == "json":
        return access_json(environment, grants, teams)
    text = access_table(environment, grants)
    return text + ("\n" + teams_table(environment, teams) if teams else "")
