"""What every command shares: registration, arguments and options, error handling, writing output."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import click
import typer
from typer.core import TyperCommand, TyperGroup

from llmops_infra.render.console import console, err_console

__all__ = [  # what commands take from here; the consoles live with the renderers
    "INTERNAL_ERROR",
    "Command",
    "EnvArg",
    "FormatOpt",
    "Group",
    "ListFormat",
    "ListFormatOpt",
    "OutputFile",
    "OutputFormat",
    "PricesOpt",
    "ProjectDir",
    "add_commands",
    "command_group",
    "console",
    "emit",
    "err_console",
    "handle_errors",
    "synthesize",
    "synthesize_config",
]

P = ParamSpec("P")
R = TypeVar("R")


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


class ListFormat(str, Enum):
    table = "table"
    json = "json"


ENV_HELP = "Environment name: a file environments/ENV.yaml."
EnvArg = Annotated[str, typer.Argument(help=ENV_HELP, show_default=False)]
OptionalEnvArg = Annotated[
    str | None, typer.Argument(help=f"{ENV_HELP} Default: every environment.", show_default=False)
]
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
FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
PricesOpt = Annotated[
    Path | None,
    typer.Option(
        "--prices",
        help="Price catalog: a JSON file, or a directory of <region>.json files (from `prices refresh`). "
        "Default: the environment's cost.price_catalog, else the refreshed copy in the user cache, else the shipped one.",
        show_default=False,
    ),
]
ListFormatOpt = Annotated[ListFormat, typer.Option("--format", "-f", help="Output format.")]
NoCacheOpt = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help="Synthesize again instead of reading the plan cache (also LLMOPS_NO_PLAN_CACHE=1).",
    ),
]


# --------------------------------------------------------------------------- registration


class _FlagsShowNoValue:
    """Typer's help draws a `<bool>` value after every flag (its own --help too), and the
    parser then refuses `--force true`: a flag takes no value, so its help shows none."""

    def get_params(self, ctx: Any) -> list[Any]:
        params: list[Any] = super().get_params(ctx)  # type: ignore[misc]  # a mixin: the typer class follows it in the MRO
        for param in params:
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
        return params


class Command(_FlagsShowNoValue, TyperCommand):
    """Every leaf command."""


class Group(_FlagsShowNoValue, TyperGroup):
    """The root and every command group."""


def command_group(help: str, *, cls: type[Group] = Group, **settings: Any) -> typer.Typer:
    """A command group (the root, `policy`, `prices`, `pipeline`, `lifecycle`)."""
    return typer.Typer(help=help, cls=cls, no_args_is_help=True, **settings)


def add_commands(group: typer.Typer, commands: dict[str, Callable[..., Any]]) -> typer.Typer:
    """Register each command the one way: known errors handled, flags drawn as flags."""
    for name, fn in commands.items():
        group.command(name, cls=Command)(handle_errors(fn))
    return group


INTERNAL_ERROR = 4
"""Exit code of an unexpected error (a bug): 1 is reserved for a mandatory policy failure."""
DEBUG = {"on": False}
"""Set by the root option `--debug` (or LLMOPS_DEBUG=1): unexpected errors keep their traceback."""


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn known errors into one clear message and their documented exit code.

    An unexpected error is a bug: one line on stderr naming its type and where it was raised
    (never its message, which may quote a value nobody cleared) and exit code 4; `--debug`
    shows the traceback instead.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from llmops_infra.errors import LlmopsError
        from llmops_infra.render.safe import literal

        try:
            return fn(*args, **kwargs)
        except LlmopsError as exc:
            # the message is data, not markup: "[a-z0-9]" in a pattern or "[secret]" must print as is
            err_console.print(f"[bold red]error:[/] {literal(exc)}", markup=True, emoji=False)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, click.exceptions.ClickException, click.exceptions.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if DEBUG["on"]:
                raise
            err_console.print(f"[bold red]internal error:[/] {literal(_where(exc))}", markup=True, emoji=False)
            raise typer.Exit(INTERNAL_ERROR) from None

    return wrapper


def _where(exc: BaseException) -> str:
    """`exc`'s type and the innermost frame it came from: enough to report the bug, no values."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    place = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}{place}; rerun with --debug for the traceback and report it"


# --------------------------------------------------------------------------- output


def emit(text: str, output: Path | None = None) -> None:
    """Print `text`, or write it to `output` and say where."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
        return
    from llmops_infra.errors import ConfigError
    from llmops_infra.files import write_atomic

    try:
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot write {output}: {exc.strerror}", key="--output") from None
    # atomic, and never through a link: `--output report.json` planted as a link to ~/.bashrc is refused
    write_atomic(output, text if text.endswith("\n") else text + "\n", root=output.parent, key="--output")
    err_console.print(f"wrote {output}", markup=False)


def synthesize(env: str, project_dir: Path, *, use_cache: bool = True) -> Any:
    """ENV's offline plan (from the plan cache when unchanged), with a spinner on stderr (stdout
    stays for the command's output)."""
    return synthesize_config(env, project_dir, use_cache=use_cache)[1]


def synthesize_config(env: str, project_dir: Path, *, use_cache: bool = True) -> tuple[Any, Any]:
    """ENV's config and offline plan (from the plan cache when unchanged), with a spinner on stderr."""
    from llmops_infra.offline.planning import plan_environment_config

    with err_console.status(f"Synthesizing {env}…"):
        return plan_environment_config(env, project_dir, use_cache=use_cache)
