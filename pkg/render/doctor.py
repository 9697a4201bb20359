"""`doctor`: what the engine needs, what is missing here, and how to get it (`engine.doctor` report)."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from llmops_infra.render import to_json
from llmops_infra.render.safe import clean

MARKS = {True: Text("ok", style="green"), False: Text("missing", style="red"), None: Text("n/a", style="dim")}


def doctor_json(report: dict[str, Any]) -> str:
    return to_json(report, indent=None)


def rows(report: dict[str, Any]) -> list[tuple[str, bool | None, str, str]]:
    """(check, ok, detail, what to do) for every line of the report."""
    pulumi, host, creds = report["pulumi"], report["language_host"], report["credentials"]
    detail = (
        f"v{pulumi['version']} at {pulumi['path']} ({pulumi['source']})"
        if pulumi["found"]
        else (pulumi["path"] or "not found")
    )
    if pulumi["found"] and not pulumi["matches_sdk"]:
        detail += f"; SDK is v{pulumi['sdk_version']}"
    found = [
        ("pulumi CLI", pulumi["found"], detail, pulumi.get("fix") or pulumi.get("note") or ""),
        ("language host", host["found"], host["path"] or "not found", host.get("fix", "")),
    ]
    for env, entry in report["backend"].items():
        if "error" in entry:
            found.append((f"backend {env}", False, entry["error"], "fix the environment file"))
            continue
        found.append(
            (
                f"backend {env}",
                entry["ok"],
                f"{entry['kind']}: {entry.get('path') or entry['url']}",
                entry.get("fix", ""),
            )
        )
        secret_ok = entry["passphrase_set"]
        found.append(
            (
                f"secrets {env}",
                secret_ok,
                entry["secrets_provider"]
                + ("" if secret_ok is None else (" (passphrase set)" if secret_ok else " (passphrase not set)")),
                entry.get("secrets_fix") or entry.get("secrets_note", ""),
            )
        )
    for name, plugin in report.get("plugins", {}).items():
        found.append(
            (f"plugin {name}", plugin["found"], f"v{plugin['version']} in {plugin['path']}", plugin.get("fix", ""))
        )
    sources = ", ".join(creds["sources"]) or "no source configured"
    found.append(("azure credentials", creds["ok"], f"{creds['message']} [{sources}]", creds.get("fix") or ""))
    return found


def doctor_table(report: dict[str, Any]) -> Table:
    """A terminal table (its width follows the console); details print literally, never as markup."""
    table = Table(title="llmops-infra doctor", show_header=True, header_style="bold")
    for column in ("check", "status", "detail", "what to do"):
        table.add_column(column, overflow="fold")
    for name, ok, detail, fix in rows(report):
        table.add_row(Text(clean(name)), MARKS[ok], Text(clean(detail)), Text(clean(fix)))
    return table
