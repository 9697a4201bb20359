"""The layout `lean_classes` computes for a provider SDK module, kept on disk between processes.

Loading an `_inputs` or `outputs` module lean takes, each time: its bytecode unmarshalled whole
(26 MB for the 74 modules a plan of prod touches, about 7,800 class bodies of which about 1,300
are used), its source read and split into lines, the class statements found, and the rest of the
module compiled again without them: about 0.45 s of a cold plan (2026-12-02). The result depends
only on the module's file and on `lean_classes` itself, so it is stored once: the module's eager
code, the names it star-imports, and each deferred class's place, header and body, the body as
marshalled bytes that are turned into code only when the class is built.

Entries live in the user's cache (`$LLMOPS_SDK_CACHE_DIR`, else `$XDG_CACHE_HOME/llmops-infra/sdk`
or `~/.cache/llmops-infra/sdk`), never in the repository. The key is the module file's path, size
and modification time (what Python checks a `.pyc` against), the Python version and the digest of
`lean_classes.py` and this file: an upgraded SDK or a changed loader is another entry. An entry is
code that runs, so it is read only when it is a regular file (not a link) that this user owns and
nobody else can write, in a directory of the same kind; it is written atomically, mode 0600.
Anything else, and any entry that does not read back as a layout, is a miss: the module is loaded
from its own files as before. Entries not used for 30 days (an upgraded SDK's, a changed loader's)
are removed when a new one is written. `LLMOPS_NO_SDK_CACHE=1` turns it off.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import marshal
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import CodeType

from llmops_infra import user_cache
from llmops_infra.user_cache import DERIVED_OFF_ENV as DISABLE_ENV

CACHE_DIR_ENV = "LLMOPS_SDK_CACHE_DIR"
FORMAT = 1
MAX_BYTES = 256 << 20
UNUSED_DAYS = 30
"""An entry larger than this is not read (the estate's largest module's is about 4 MB)."""


@dataclass(frozen=True)
class Layout:
    """A lean module as `lean_classes` loads it: eager code, star-import sources, deferred classes
    (name -> (first line, end line, header, body: code, or marshalled code when read from the cache))."""

    eager: CodeType
    stars: list[str]
    classes: dict[str, tuple[int, int, str, CodeType | bytes]]


def enabled() -> bool:
    return not user_cache.switched_on(DISABLE_ENV)


def cache_dir() -> Path:
    return Path(os.environ[CACHE_DIR_ENV]) if os.environ.get(CACHE_DIR_ENV) else user_cache.home() / "sdk"


@functools.cache
def _loader_digest() -> str:
    digest = hashlib.sha256(f"{FORMAT}\0{sys.version}\0".encode())
    for name in ("lean_classes.py", "lean_cache.py"):
        digest.update(Path(__file__).with_name(name).read_bytes())
    return digest.hexdigest()


def _entry(filename: str) -> Path | None:
    path = Path(filename).absolute()
    try:
        info = path.stat()
    except OSError:
        return None
    material = f"{path}\0{info.st_size}\0{info.st_mtime_ns}\0{_loader_digest()}"
    return cache_dir() / f"{hashlib.sha256(material.encode()).hexdigest()}.marshal"


def load(filename: str) -> Layout | None:
    """The stored layout of the module at `filename`, or None."""
    if not enabled():
        return None
    entry = _entry(filename)
    if entry is None:
        return None
    payload = user_cache.read(entry, limit=MAX_BYTES)  # code that runs: only from a file this user controls
    if payload is None:
        return None
    with contextlib.suppress(OSError):
        os.utime(entry, follow_symlinks=False)  # used now: kept by `_prune`
    try:
        data = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None
    if not (isinstance(data, tuple) and len(data) == 4 and data[0] == FORMAT):
        return None
    _, eager, stars, classes = data
    if not (isinstance(eager, CodeType) and isinstance(stars, list) and isinstance(classes, dict)):
        return None
    return Layout(eager, stars, classes)


def store(filename: str, layout: Layout) -> None:
    """Keep `layout` for the module at `filename`; a cache that cannot be written is skipped."""
    entry = _entry(filename) if enabled() else None
    if entry is None:
        return
    classes = {
        name: (first, end, header, body if isinstance(body, bytes) else marshal.dumps(body))
        for name, (first, end, header, body) in layout.classes.items()
    }
    try:
        payload = marshal.dumps((FORMAT, layout.eager, layout.stars, classes))
    except ValueError:  # an object marshal cannot write
        return
    if user_cache.write(entry, payload):
        _prune(entry.parent)


def _prune(directory: Path) -> None:
    """Remove entries not used for `UNUSED_DAYS` (a loaded entry's time is renewed: `load`): those of an
    SDK or a loader since replaced, about 30 MB a set."""
    cutoff = time.time() - UNUSED_DAYS * 86400
    for old in directory.glob("*.marshal"):
        with contextlib.suppress(OSError):
            if old.lstat().st_mtime < cutoff:
                old.unlink()
