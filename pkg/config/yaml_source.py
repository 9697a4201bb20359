"""Read one YAML environment file into plain data, with the file and line of every key.

Bounded: at most `MAX_FILE_BYTES` bytes of a regular file (not a FIFO or device), nesting at most
`MAX_DEPTH` levels (counted from the scanner's tokens, before the recursive composer runs), at most
`MAX_NODES` nodes after alias expansion. Each limit ends in a `ConfigError` naming the file.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmops_infra.config.secrets_scan import format_path
from llmops_infra.errors import ConfigError

MAX_NODES = 20_000
"""Upper bound on the YAML nodes of one file after alias expansion (stops alias bombs)."""
MAX_FILE_BYTES = 1_000_000
"""Upper bound on one environment file (the shipped ones are under 12 kB): 50 MB of comments took minutes."""
MAX_DEPTH = 32
"""Upper bound on the nesting of mappings and lists in one file (the models nest 6 deep): 300 levels
overflowed the parser's recursion."""


KeyPath = tuple[str | int, ...]

MAX_PARSED = 16
"""Documents kept parsed per process, by their text: a text parses to the same data and lines
wherever it is read, so only the file name recorded with each line is the reader's own."""
_PARSED: dict[str, tuple[dict[str, Any], list[tuple[KeyPath, int]]]] = {}


@dataclass
class Source:
    """Where each key path of the merged document was written: path -> (file, line)."""

    lines: dict[KeyPath, tuple[str, int]] = field(default_factory=dict)

    def locate(self, path: KeyPath) -> tuple[str | None, int | None]:
        for end in range(len(path), -1, -1):
            hit = self.lines.get(tuple(path[:end]))
            if hit:
                return hit
        return None, None


def read_yaml(path: Path, source: Source, display: str) -> dict[str, Any]:
    """Parse one YAML file into plain Python data, recording the line of every key."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    from llmops_infra.files import read_regular

    raw = read_regular(path, limit=MAX_FILE_BYTES, display=display)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"the file is not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}): save it as UTF-8",
            file=display,
            line=line,
        ) from None
    # the same text read again in this process (policy check, pr-report: base.yaml per environment)
    parsed = _PARSED.get(text)
    if parsed is not None:
        plain_copy, lines = parsed
        source.lines.update((key_path, (display, line)) for key_path, line in lines)
        return copy.deepcopy(plain_copy)
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        _refuse_deep(yaml, text, display)
        document = yaml.load(text)
    except RecursionError:  # belt and braces: _refuse_deep bounds the nesting first
        raise ConfigError(f"the document nests deeper than {MAX_DEPTH} levels", file=display) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        mark_line: int | None = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        duplicate = re.match(r'found duplicate key "(.*?)" with value', problem or "")
        if duplicate:
            # ruamel quotes both values in its message: never echo them (one may be a pasted secret)
            problem = (
                f"duplicate key {duplicate.group(1)!r}: each key may appear once per mapping; "
                "remove or merge the duplicate"
            )
        raise ConfigError(f"YAML error: {problem}", file=display, line=mark_line) from None
    except YAMLError as exc:
        raise ConfigError(f"YAML error: {str(exc).splitlines()[0]}", file=display) from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ConfigError(
            f"the top level is a {_kind(document)}, not a mapping: start the file with keys such as `azure:`",
            file=display,
            line=1,
        )
    budget = [MAX_NODES]
    found = Source()
    plain: dict[str, Any] = _plain(document, (), found, display, budget)  # a mapping in, a mapping out
    source.lines.update(found.lines)
    if len(_PARSED) >= MAX_PARSED:
        _PARSED.pop(next(iter(_PARSED)))
    _PARSED[text] = (copy.deepcopy(plain), [(key_path, line) for key_path, (_file, line) in found.lines.items()])
    return plain


def _refuse_deep(yaml: Any, text: str, display: str) -> None:
    """Count the nesting from the token stream (the scanner does not recurse; the composer does)."""
    from ruamel.yaml import tokens

    opening = (
        tokens.BlockMappingStartToken,
        tokens.BlockSequenceStartToken,
        tokens.FlowMappingStartToken,
        tokens.FlowSequenceStartToken,
    )
    closing = (tokens.BlockEndToken, tokens.FlowMappingEndToken, tokens.FlowSequenceEndToken)
    depth = 0
    for token in yaml.scan(text):
        if isinstance(token, opening):
            depth += 1
            if depth > MAX_DEPTH:
                mark = token.start_mark
                raise ConfigError(
                    f"the document nests mappings and lists deeper than {MAX_DEPTH} levels: "
                    "an environment file needs a handful; flatten it",
                    file=display,
                    line=mark.line + 1 if mark else None,
                )
        elif isinstance(token, closing):
            depth -= 1


def _plain(node: Any, path: KeyPath, source: Source, display: str, budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise ConfigError(
            f"the document expands to more than {MAX_NODES} nodes (an alias bomb?): "
            "remove the nested anchors and aliases",
            file=display,
        )
    if isinstance(node, dict):
        result: dict[str, Any] = {}
        for key, value in node.items():
            key_path = (*path, key)
            line = _line(node, key, is_key=True)
            if line is not None:
                source.lines[key_path] = (display, line)
            if not isinstance(key, str):
                raise ConfigError(
                    f"a key is a {_kind(key)}: keys must be strings",
                    file=display,
                    key=format_path(path) or None,
                    line=line,
                )
            result[key] = _plain(value, key_path, source, display, budget)
        return result
    if isinstance(node, list):
        items = []
        for index, value in enumerate(node):
            line = _line(node, index, is_key=False)
            if line is not None:
                source.lines[(*path, index)] = (display, line)
            items.append(_plain(value, (*path, index), source, display, budget))
        return items
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node  # dates and timestamps: pydantic validates them


def _line(node: Any, key: Any, *, is_key: bool) -> int | None:
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        line: int = (lc.key(key) if is_key else lc.item(key))[0] + 1  # ruamel's LineCol is untyped
        return line
    except (KeyError, IndexError, TypeError):
        return None


def _kind(value: Any) -> str:
    for kind, name in ((bool, "boolean"), (list, "list"), (str, "string"), ((int, float), "number")):
        if isinstance(value, kind):
            return name
    return type(value).__name__
