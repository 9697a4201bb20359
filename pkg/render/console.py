"""The two consoles: command output on stdout, progress, messages and errors on stderr.

Shared by the command line and the live renderers (`render.lifecycle`) so that a test that
narrows `console.width` narrows every table.
"""

from __future__ import annotations

from rich.console import Console

# markup off by default: user text (names, `--by`, messages) is never read as markup; a
# renderer that colours on purpose passes markup=True and escapes what it quotes (render.safe)
console = Console(highlight=False, soft_wrap=True, markup=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)
