"""User text made safe for a terminal: no control characters, no escape sequences, no markup.

Everything a person or a file supplies (names, `--by`, messages that quote a key) passes
through `clean` before it is printed, and through `literal` before it is placed inside
console markup. The consoles default to `markup=False`, so only text a renderer marks up on
purpose is interpreted at all.
"""

from __future__ import annotations

from rich.markup import escape

from llmops_infra.errors import clean

__all__ = ["clean", "literal"]


def literal(text: object) -> str:
    """`text` cleaned and escaped, to place inside console markup as plain text."""
    return escape(clean(text))
