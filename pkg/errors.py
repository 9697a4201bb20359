"""Known errors: each carries the exit code the CLI uses and a message a person can act on.

The CLI catches `LlmopsError` in one place, prints the message and exits with `exit_code`.
Messages never contain secret values.
"""

from __future__ import annotations


class LlmopsError(Exception):
    """An error the user can fix; the message says how."""

    exit_code = 2


class ConfigError(LlmopsError):
    """Bad input: an environment file, a project directory or a command-line value."""

    def __init__(
        self, message: str, *, file: str | None = None, key: str | None = None, line: int | None = None
    ) -> None:
        self.file, self.key, self.line = file, key, line
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
