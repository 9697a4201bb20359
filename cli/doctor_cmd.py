"""`llmops-infra doctor`: what the engine needs, what is missing here, and how to get it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from llmops_infra.cli.common import ListFormat, ProjectDir, console, emit, handle_errors


def _rows(report: dict[str, Any]) -> list[tuple[str, bool | None, str, str]]:
    pulumi, host, creds = report["pulumi"], report["language_host"], report["credentials"]
    detail = (
        f"v{pulumi['version']} at {pulumi['path']} ({pulumi['source']})"
        if pulumi["found"]
        else (pulumi["path"] or "not found")
    )
    if pulumi["found"] and not pulumi["matches_sdk"]:
        detail += f"; SDK is v{pulumi['sdk_version']}"
    rows = [
        ("pulumi CLI", pulumi["found"], detail, pulumi.get("fix") or pulumi.get("note") or ""),
        ("language host", host["found"], host["path"] or "not found", host.get("fix", "")),
    ]
    for env, entry in report["backend"].items():
        if "error" in entry:
            rows.append((f"backend {env}", False, entry["error"], "fix the environment file"))
            continue
        rows.append(
            (
                f"backend {env}",
                entry["ok"],
                f"{entry['kind']}: {entry.get('path') or entry['url']}",
                entry.get("fix", ""),
            )
        )
        secret_ok = entry["passphrase_set"]
        rows.append(
            (
                f"secrets {env}",
                secret_ok,
                entry["secrets_provider"]
                + ("" if secret_ok is None else (" (passphrase set)" if secret_ok else " (passphrase not set)")),
                entry.get("secrets_fix") or entry.get("secrets_note", ""),
            )
        )
    for name, plugin in report.get("plugins", {}).items():
        rows.append(
            (f"plugin {name}", plugin["found"], f"v{plugin['version']} in {plugin['path']}", plugin.get("fix", ""))
        )
    sources = ", ".join(creds["sources"]) or "no source configured"
    rows.append(("azure credentials", creds["ok"], f"{creds['message']} [{sources}]", creds.get("fix") or ""))
    return rows


def doctor_cmd(
    project_dir: ProjectDir = Path(),
    fmt: Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")] = ListFormat.table,
    env: Annotated[list[str] | None, typer.Option("--env", "-e", help="Check only these environments.")] = None,
) -> None:
    """Check the Pulumi CLI, its language host, backends, secrets and Azure credentials; say how to fix each.

    Exit 0 when everything is there, 2 on bad or missing input (environment file, passphrase), 3 when a tool or credentials are missing.
    """
    from llmops_infra.config.loader import require_environment
    from llmops_infra.engine.doctor import doctor_report

    for name in env or []:
        require_environment(name, project_dir)  # a mistyped --env is bad input, not a row of the report
    report = doctor_report(project_dir, envs=env)
    if fmt is ListFormat.json:
        emit(json.dumps(report, default=str), None)
    else:
        table = Table(title="llmops-infra doctor", show_header=True, header_style="bold")
        for column in ("check", "status", "detail", "what to do"):
            table.add_column(column, overflow="fold")
        marks = {True: "[green]ok[/]", False: "[red]missing[/]", None: "[dim]n/a[/]"}
        for name, ok, detail, fix in _rows(report):
            table.add_row(escape(name), marks[ok], escape(detail), escape(fix))
        console.print(table)
    raise typer.Exit(report["exit_code"])


def register(app: typer.Typer) -> None:
    app.command("doctor")(handle_errors(doctor_cmd))
