"""Engine runs as they happen: gate verdicts, live progress, the changes and a closing summary.

`table` draws progress on standard error (a status line: done, in flight, failed) and prints
each change as it finishes, then the summary on standard output. `json` writes one JSON object
per line on standard output (gates, engine events, the result) for pipelines.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.table import Table
from rich.text import Text

from llmops_infra.render import to_json, versioned
from llmops_infra.render.console import console, err_console
from llmops_infra.render.safe import clean, literal

SYMBOLS = {
    "create": "[green]+[/]",
    "update": "[yellow]~[/]",
    "delete": "[red]-[/]",
    "replace": "[magenta]+-[/]",
    "same": "[cyan]~[/]",
    "refresh": "[cyan]~[/]",
    "read": " ",
}
VERBS = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "replace": "replaced",
    "same": "drifted",
    "refresh": "drifted",
}


def _short(urn: str) -> str:
    type_, _, name = urn.rpartition("::")
    return f"{type_.rsplit('::', 1)[-1].rsplit('$', 1)[-1]} {name}"


class Renderer:
    """Listens to one operation: `gate` (each gate's result), `event` (engine events), `result` (the end)."""

    def __init__(self, fmt: str, operation: str, env: str) -> None:
        self.json = fmt == "json"
        self.operation, self.env = operation, env
        self._lock = threading.Lock()
        self._status: Any = None
        self._progress: Any = None
        self._shown: set[tuple[str, str]] = set()

    def line(self, record: dict[str, Any]) -> None:
        with self._lock:
            sys.stdout.write(json.dumps(versioned(record), default=str) + "\n")
            sys.stdout.flush()

    def gate(self, result: Any) -> None:
        if self.json:
            self.line({"event": "gate", **result.as_dict()})
            return
        mark = {"passed": "[green]ok[/]", "skipped": "[yellow]skipped[/]"}.get(result.status, "[red]failed[/]")
        err_console.print(f"gate {result.gate}: {mark} {literal(str(result.message))}", markup=True)

    def gate_failed(self, exc: Any) -> None:
        """A gate raised: in json, one `gate` event with status failed (the table shows the error line)."""
        if self.json:
            self.line(
                {
                    "event": "gate",
                    "gate": exc.gate,
                    "status": "failed",
                    "message": exc.detail,
                    "exit_code": exc.exit_code,
                }
            )

    def event(self, record: dict[str, Any]) -> None:
        if self.json:
            self.line(record)
            return
        kind = record["event"]
        preview = self.operation == "preview" or record.get("planning")
        if kind == "resource-done" and (record["op"] not in ("same", "refresh", "read") or record["diffs"]):
            if (record["urn"], record["op"]) in self._shown:  # a preview may report a step twice
                return
            self._shown.add((record["urn"], record["op"]))
            verb = VERBS.get(record["op"], record["op"])
            if preview:
                verb = f"would be {verb}" if record["op"] not in ("same", "refresh") else "drifted"
            props = f" [dim]({literal(', '.join(record['diffs']))})[/]" if record["diffs"] else ""
            err_console.print(
                f"  {SYMBOLS.get(record['op'], '*')} {literal(_short(record['urn']))} {verb}{props}", markup=True
            )
        elif kind == "resource-failed":
            err_console.print(f"  [red]x[/] {literal(_short(record['urn']))} failed ({record['op']})", markup=True)
        elif kind == "policy":
            err_console.print(
                f"  [red]policy[/] {record['policy']} ({record['level']}): {literal(str(record['message']))}",
                markup=True,
                emoji=False,
            )
        elif kind == "diagnostic" and record["severity"] == "error":
            err_console.print(f"  [red]error[/] {literal(str(record['message']))}", markup=True, emoji=False)
        elif kind == "step":
            colour = {
                "failed": "red",
                "blocked": "red",
                "passed": "green",
                "done": "green",
                "present": "green",
                "planned": "yellow",
            }.get(record["status"], "cyan")
            err_console.print(
                f"[{colour}]{literal(record['step'])}[/] {literal(str(record['message']))}", markup=True, emoji=False
            )
        if self._status is not None and self._progress is not None:
            snap = self._progress.snapshot()
            current = f" - {', '.join(snap['current'])}" if snap["current"] else ""
            self._status.update(
                f"{self.operation} {self.env}: {snap['done']} done, {snap['in_flight']} in flight, "
                f"{snap['failed']} failed{current}"
            )

    @contextmanager
    def running(self, progress: Any) -> Iterator[None]:
        """A live status line while the engine runs (table format on a terminal only)."""
        if self.json or not err_console.is_terminal:
            yield
            return
        self._progress = progress
        with err_console.status(f"{self.operation} {self.env}: starting the engine…") as status:
            self._status = status
            try:
                yield
            finally:
                self._status = None

    def result(self, result: Any) -> None:
        if self.json:
            self.line({"event": "result", **result.as_dict()})
            return
        summary = result.summary
        table = Table(title=f"{result.operation} {result.stack}", show_header=True, header_style="bold")
        for column in ("created", "updated", "deleted", "replaced", "unchanged", "failed"):
            table.add_column(column, justify="right")
        if result.operation == "refresh":
            table.add_column("drifted", justify="right")
        table.add_column("duration", justify="right")
        row = [str(summary[k]) for k in ("created", "updated", "deleted", "replaced", "unchanged", "failed")]
        if result.operation == "refresh":
            row.append(str(summary.get("drifted", 0)))
        table.add_row(*row, f"{summary['duration_seconds']}s")
        console.print(table)
        if result.operation == "preview":
            console.print("[dim]preview: nothing was changed[/]", markup=True)
        if result.outputs:
            outputs_table(result.outputs, title="outputs")


def outputs_json(stack: str, outputs: dict[str, Any]) -> str:
    return to_json({"stack": stack, "outputs": outputs}, indent=None)


def outputs_table(outputs: dict[str, Any], title: str = "outputs") -> None:
    """Print the stack outputs (masked secrets show as `[secret]`) on the console."""
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("name")
    table.add_column("value", overflow="fold")
    for key in sorted(outputs):
        value = outputs[key]
        # escaped: a masked secret is "[secret]", which rich would swallow as markup and show as empty
        table.add_row(
            Text(clean(key)), Text(clean(value if isinstance(value, str) else json.dumps(value, default=str)))
        )
    console.print(table)
