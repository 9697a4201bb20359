"""Known errors: each carries the exit code the CLI uses and a message a person can act on.

The CLI catches `LlmopsError` in one place, prints the message and exits with `exit_code`.
Messages never contain secret values.
"""

from __future__ import annotations

import re

# CSI / OSC / other ESC sequences first (so their parameters go with them), then any C0/C1
# control character except tab and newline, then the Unicode bidi controls (Trojan Source).
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: object) -> str:
    """`text` as a string without terminal escape sequences, control or bidi characters.

    Every message shown to a person passes through it (`render.safe`, `LlmopsError`)."""
    return _CONTROLS.sub("", _ESCAPES.sub("", str(text)))


class LlmopsError(Exception):
    """An error the user can fix; the message says how."""

    exit_code = 2

    def __str__(self) -> str:
        return clean(super().__str__())


Problem = tuple[str | None, int | None, str | None, str]
"""One thing wrong in the input: (file, line, key, message); any of the first three may be unknown."""


class ConfigError(LlmopsError):
    """Bad input: an environment file, a project directory or a command-line value.

    `problems` lists each thing wrong, so that reports can show them one by one (a file with
    three mistakes is three findings); a single problem is the error's own file, line and key.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        key: str | None = None,
        line: int | None = None,
        problems: list[Problem] | None = None,
    ) -> None:
        self.file, self.key, self.line = file, key, line
        self.detail = message
        self.problems: list[Problem] = list(problems) if problems else [(file, line, key, message)]
        where = ""
        if file:
            where = file + (f":{line}" if line else "")
        if key:
            where = f"{where}: {key}" if where else key
        super().__init__(f"{where}: {message}" if where else message)


class PolicyViolationError(LlmopsError):
    """A mandatory policy failed: nothing was deployed."""

    exit_code = 1


class EngineError(LlmopsError):
    """The Pulumi engine, a backend or Azure could not do what was asked."""

    exit_code = 3
