"""`llmops-infra init DIR`: scaffold a new estate repository."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from llmops_infra.cli.common import console
from llmops_infra.cli.pipeline_cmd import Provider


def init_cmd(
    directory: Annotated[Path, typer.Argument(help="Directory of the new repository.", show_default=False)],
    provider: Annotated[Provider, typer.Option("--provider", help="CI system for the pipelines.")] = Provider.github,
    force: Annotated[bool, typer.Option("--force", help="Write into a non-empty directory.")] = False,
) -> None:
    """Scaffold an estate repository: commented environments, schema, .gitignore, pipelines, README."""
    from llmops_infra.delivery.scaffold import scaffold

    written = scaffold(directory, provider=provider.value, force=force)
    for path in written:
        console.print(f"wrote {path}", markup=False)
    console.print(f"next: cd {directory} && llmops-infra validate && llmops-infra plan dev", markup=False)
