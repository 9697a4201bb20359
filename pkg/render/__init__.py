"""Every table, JSON document and Markdown report the command line prints, in one place.

A renderer takes a domain object (or its `to_dict()`, the serialized form) and returns text, or
a rich renderable for output that follows the terminal (colours, width). It decides nothing:
what to show is computed in the domain packages (`offline`, `review`, `release`, `engine`,
`policies`); what to do with the text (stdout, `--output FILE`) is the command's business.
Renderers import domain modules only for types (or lazily), so `--help` stays instant.

One module per subject: `plan`, `cost`, `diff`, `pr_report`, `policy`, `access`, `graph`,
`lifecycle` (live engine runs), `doctor`, `release`, `project` (environment lists).
Policy reports (table, JSON, Markdown, SARIF, JUnit) stay in `llmops_infra.policies.reports`
because the CrossGuard pack is standalone; `render.policy` calls them.
"""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

from rich.console import Console, RenderableType

from llmops_infra import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "as_text", "to_json", "versioned"]


def as_text(renderable: RenderableType, width: int) -> str:
    """`renderable` drawn without colours at a fixed width: the same text on any terminal, in a file or a test."""
    buffer = StringIO()
    Console(file=buffer, width=width, force_terminal=False, highlight=False, markup=False).print(renderable)
    return buffer.getvalue()


def versioned(data: dict[str, Any]) -> dict[str, Any]:
    """`data` with `schema_version` first."""
    return {"schema_version": SCHEMA_VERSION, **data}


def to_json(data: dict[str, Any], *, indent: int | None = 2, sort_keys: bool = False, version: bool = True) -> str:
    """A JSON document with its `schema_version` (`version=False`: a format someone else defines);
    values JSON does not know (dates, paths) as strings."""
    return json.dumps(versioned(data) if version else data, indent=indent, sort_keys=sort_keys, default=str)
