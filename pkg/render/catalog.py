"""`llmops-infra lifecycle [ENV]`: every pin of an environment with its dates, as a table or JSON."""

from __future__ import annotations

from io import StringIO
from typing import Any

from llmops_infra.render import to_json


def pins_json(results: list[dict[str, Any]], meta: dict[str, str], *, one: bool) -> str:
    """One environment's pins (`one`) or every environment's, with the catalog it was judged by."""
    return to_json({**meta, **results[0]} if one else {**meta, "environments": results})


def pins_tables(results: list[dict[str, Any]]) -> str:
    return "".join(_table(result) for result in results)


def _table(result: dict[str, Any], width: int = 180) -> str:
    from rich.console import Console
    from rich.table import Table

    buffer = StringIO()
    console = Console(file=buffer, width=width, force_terminal=False, highlight=False)
    table = Table(title=f"Lifecycle of {result['environment']}'s pins on {result['today']}")
    for column in ("Where", "Pinned", "State", "Dates", "Use instead", "Source (read)"):
        table.add_column(column, overflow="fold")
    for pin in result["pins"]:
        dates = ", ".join(f"{k} {v}" for k, v in pin["dates"].items()) or "-"
        read = f"{pin['source']} ({pin['read']})" if pin["source"] else "-"
        state = pin["state"] + (" (derived)" if pin["derived"] else "")
        table.add_row(
            pin["where"],
            pin["pinned"],
            state,
            dates,
            (pin["replacement"] if pin["state"] != "ok" else None) or "-",
            read,
        )
    console.print(table)
    for kind in ("errors", "warnings"):
        for finding in result[kind]:
            console.print(f"{kind[:-1]}: {finding['where']}: {finding['message']}", markup=False)
    return buffer.getvalue()
