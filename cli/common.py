"""What every command shares: options, output formats, error handling, writing output."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

F = TypeVar("F", bound=Callable[..., Any])

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


class ListFormat(str, Enum):
    table = "table"
    json = "json"


ProjectDir = Annotated[
    Path,
    typer.Option(
        "--project-dir",
        "-C",
        help="Directory that holds environments/ (default: the current directory).",
        show_default=False,
    ),
]
OutputFile = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write the report to FILE instead of standard output."),
]


def handle_errors(fn: F) -> F:
    """Turn known errors into one clear message and their documented exit code.

    Unknown errors keep their traceback: they are bugs, and the traceback is the report.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from llmops_infra.errors import LlmopsError

        try:
            return fn(*args, **kwargs)
        except LlmopsError as exc:
            from rich.markup import escape

            # the message is data, not markup: "[a-z0-9]" in a pattern or "[secret]" must print as is
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True, emoji=False)
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


def emit(text: str, output: Path | None) -> None:
    """Print `text`, or write it to `output` and say where."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
        return
    from llmops_infra.errors import ConfigError

    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {output}: {exc.strerror}", key="--output") from None
    err_console.print(f"wrote {output}", markup=False)


def synthesize(env: str, project_dir: Path) -> Any:
    """ENV's offline plan, with a spinner on stderr (stdout stays for the command's output)."""
    from llmops_infra.offline.planning import plan_environment

    with err_console.status(f"Synthesizing {env}…"):
        return plan_environment(env, project_dir)
