"""The user's cache: where llmops-infra keeps what a later process may reuse, and how it reads it back.

One place for what the plan cache, the lean SDK layouts, SCHEMA-01's memo, the secrets scan's memo and
the refreshed price and lifecycle catalogs share: the directory (`$LLMOPS_INFRA_CACHE_DIR`, else
`$XDG_CACHE_HOME/llmops-infra`, else `~/.cache/llmops-infra`), the on/off switches, the digest that
names what an entry was derived from, and reading and writing an entry that only this user controls
(`files.read_private`, `files.private_directory`). An entry that cannot be read or written is a miss,
never an error.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

USER_CACHE_ENV = "LLMOPS_INFRA_CACHE_DIR"
DERIVED_OFF_ENV = "LLMOPS_NO_SDK_CACHE"
"""Turns off every cache derived from the installed packages (lean layouts, SCHEMA-01's memo, the
secrets scan's memo)."""


def home(env: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CACHE_HOME/llmops-infra`, else `~/.cache/llmops-infra`."""
    environ = os.environ if env is None else env
    base = Path(environ["XDG_CACHE_HOME"]) if environ.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "llmops-infra"


def directory(env: Mapping[str, str] | None = None) -> Path:
    """`$LLMOPS_INFRA_CACHE_DIR`, else `home()`."""
    environ = os.environ if env is None else env
    return Path(environ[USER_CACHE_ENV]) if environ.get(USER_CACHE_ENV) else home(environ)


def switched_on(name: str, env: Mapping[str, str] | None = None) -> bool:
    """Whether the variable `name` is set to 1, true, yes or on."""
    value = (os.environ if env is None else env).get(name, "")
    return value.strip().lower() in {"1", "true", "yes", "on"}


def derived_from(distribution: str, *files: Path, salt: str = "") -> str:
    """sha256 naming what a cache entry derives from: the installed `distribution`'s version ("absent"
    when not installed), `salt` (a format number, the Python version) and the bytes of `files` (the
    code that computes the entry)."""
    from importlib import metadata

    try:
        version = metadata.version(distribution)
    except metadata.PackageNotFoundError:
        version = "absent"
    digest = hashlib.sha256(f"{salt}\0{version}\0".encode())
    for file in files:
        digest.update(file.read_bytes())
    return digest.hexdigest()


def read(path: Path, *, limit: int) -> bytes | None:
    """The entry at `path` if this user alone controls it (`files.read_private`), else None."""
    from llmops_infra import files

    return files.read_private(path, limit=limit)


def write(path: Path, data: str | bytes) -> bool:
    """Write the entry atomically, mode 0600, without fsync, in a directory only this user controls;
    whether it was written."""
    from llmops_infra import files
    from llmops_infra.errors import LlmopsError

    try:
        if not files.private_directory(path.parent):
            return False
        files.write_atomic(path, data, root=path.parent, mode=files.PRIVATE, durable=False)
    except (OSError, LlmopsError):
        return False
    return True
