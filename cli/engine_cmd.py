"""`llmops-infra engine install`: the Pulumi CLI for an installed llmops-infra, no repository needed."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from llmops_infra.cli.common import console

HELP = "The Pulumi engine (CLI) llmops-infra drives."


class Method(str, Enum):
    official = "official"
    source = "source"


def install_cmd(
    version: Annotated[
        str | None,
        typer.Option("--version", help="CLI version (default: the installed pulumi SDK's).", show_default=False),
    ] = None,
    method: Annotated[
        Method,
        typer.Option(
            "--from",
            help="official: the release archive from get.pulumi.com; source: build it from the Go module proxy "
            "(needs Go; for machines without access to get.pulumi.com).",
        ),
    ] = Method.official,
    sha256: Annotated[str | None, typer.Option("--sha256", help="Expected sha256 of the release archive.")] = None,
) -> None:
    """Install the Pulumi CLI into ~/.cache/llmops-infra/pulumi/v<version>/bin, where llmops-infra finds it."""
    from llmops_infra.engine.install import install

    bin_dir = install(version, method=method.value, sha256=sha256)
    console.print(
        f"installed the Pulumi CLI in {bin_dir} (llmops-infra finds it there; add it to PATH for `pulumi`)",
        markup=False,
    )
