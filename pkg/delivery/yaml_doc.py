"""Pipeline files as data: build mappings, let ruamel.yaml quote and escape, dump.

Nothing here formats YAML text from values. A value a user or a CI system controls is a
scalar in a mapping; ruamel.yaml decides how to quote it, so `my conn: prod`, a leading `*`,
`&`, `!`, `%`, `@`, `>` or `|`, quotes and backslashes all stay data. Scripts (`run:`,
`script:`, `inlineScript:`) are fixed text written in this package; values reach them only
through `env:`.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString


def mapping(*pairs: tuple[str, Any], **items: Any) -> CommentedMap:
    """An ordered mapping; `pairs` first (keys that are not identifiers), then `items`."""
    out = CommentedMap()
    for key, value in (*pairs, *items.items()):
        if value is not None:
            out[key] = value
    return out


def seq(*values: Any) -> CommentedSeq:
    out = CommentedSeq()
    out.extend(v for v in values if v is not None)
    return out


def quoted(value: object) -> DoubleQuotedScalarString:
    """A scalar that stays a string when read back (`"3.11"`, `"90"`, `"true"`)."""
    scalar: DoubleQuotedScalarString = DoubleQuotedScalarString(str(value))
    return scalar


def script(*lines: str) -> str:
    """A fixed script from this package: one line plain, several lines as a literal block."""
    for line in lines:
        if "\n" in line:
            raise ValueError("script lines must not contain newlines: pass one argument per line")
    if len(lines) == 1:
        return lines[0]
    block: str = LiteralScalarString("\n".join(lines) + "\n")
    return block


def comment_before(target: CommentedMap, key: str, text: str, indent: int) -> None:
    """A comment line (static text of this package) above `key` in `target`."""
    target.yaml_set_comment_before_after_key(key, before=text, indent=indent)


def comment_after(target: CommentedMap, key: str, text: str) -> None:
    """An end-of-line comment (static text of this package) after `key`'s value."""
    target.yaml_add_eol_comment(text, key)


def dump(document: CommentedMap, header: str = "") -> str:
    """The YAML text of `document`, after `header` (static comment lines of this package)."""
    yaml = YAML(typ="rt")
    yaml.width = 4096  # long values stay on one line: no folding inside a value
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.preserve_quotes = True
    yaml.representer.ignore_aliases = lambda _data: True  # no anchors: every job reads on its own
    stream = StringIO()
    yaml.dump(document, stream)
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    prefix = "\n".join(lines) + "\n" if lines else ""
    return prefix + stream.getvalue()


def load(text: str) -> Any:
    """Read back (tests, and the writer's own check that what it wrote parses)."""
    return YAML(typ="safe").load(StringIO(text))
