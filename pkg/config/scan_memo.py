"""Which strings detect-secrets' detectors already found clean, remembered between processes.

The secrets scan (`secrets_scan.looks_like`) runs its own patterns on every key and value of an
environment file, then detect-secrets' regex detectors. Importing detect-secrets (which imports
`requests` for its detectors' network verification, never called here) and running its ~25
detectors over each string was about a fifth of a cached `plan` (0.15-0.25 s, 2026-12-02). Their
verdict on a string depends only on the string, the installed detect-secrets and the scan's own
code, so a clean verdict is kept: the sha256 of each string they found nothing in, under a digest of
the detect-secrets version and of `secrets_scan.py` and this file. The scan's own patterns still run
on every string every time, and a string the detectors flag is never kept, so it is flagged on every
load. A process whose strings are all known clean does not import detect-secrets.

Only digests are stored, never a value, in the user cache (`$LLMOPS_INFRA_CACHE_DIR/secrets-scan`, else
under `$XDG_CACHE_HOME/llmops-infra` or `~/.cache/llmops-infra`), read only from a regular file this
user owns that nobody else can write (`files.read_private`); anything else is an empty memo.
`LLMOPS_NO_SDK_CACHE=1` (every cache derived from the installed packages) keeps it in memory only.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from pathlib import Path

FORMAT = 1
MAX_ENTRIES = 50_000
MAX_BYTES = 8 << 20
USER_CACHE_ENV = "LLMOPS_INFRA_CACHE_DIR"
DISABLE_ENV = "LLMOPS_NO_SDK_CACHE"
_DIGEST = re.compile(r"[0-9a-f]{64}")


def _off() -> bool:
    return os.environ.get(DISABLE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


@functools.cache
def _digest() -> str:
    from importlib import metadata

    try:
        version = metadata.version("detect-secrets")
    except metadata.PackageNotFoundError:
        version = "absent"
    digest = hashlib.sha256(f"{FORMAT}\0{version}\0".encode())
    for name in ("secrets_scan.py", "scan_memo.py"):
        digest.update(Path(__file__).with_name(name).read_bytes())
    return digest.hexdigest()


def path() -> Path:
    if os.environ.get(USER_CACHE_ENV):
        base = Path(os.environ[USER_CACHE_ENV])
    else:
        home = Path(os.environ["XDG_CACHE_HOME"]) if os.environ.get("XDG_CACHE_HOME") else Path.home() / ".cache"
        base = home / "llmops-infra"
    return base / "secrets-scan" / f"{_digest()}.json"


class _Memo:
    def __init__(self, clean: dict[str, None]) -> None:
        self.clean = clean  # insertion-ordered: the oldest go first past MAX_ENTRIES
        self.dirty = False


_MEMOS: dict[Path, _Memo] = {}


def _memo() -> _Memo:
    where = path()
    if where not in _MEMOS:
        _MEMOS[where] = _Memo({} if _off() else _read(where))
    return _MEMOS[where]


def _read(where: Path) -> dict[str, None]:
    from llmops_infra import files

    payload = files.read_private(where, limit=MAX_BYTES)
    try:
        data = json.loads(payload) if payload is not None else None
    except ValueError:
        return {}
    if not (isinstance(data, dict) and data.get("digest") == _digest() and isinstance(data.get("clean"), list)):
        return {}
    entries = data["clean"]
    if not all(isinstance(entry, str) and _DIGEST.fullmatch(entry) for entry in entries):
        return {}
    return dict.fromkeys(entries)


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def known_clean(text: str) -> bool:
    """Whether detect-secrets' detectors found nothing in `text` before (this SDK, this code)."""
    return _key(text) in _memo().clean


def add_clean(text: str) -> None:
    memo = _memo()
    key = _key(text)
    if key not in memo.clean:
        memo.clean[key] = None
        memo.dirty = True


def save() -> None:
    """Write the clean digests added since the memo was read; a cache that cannot be written is skipped."""
    from llmops_infra import files
    from llmops_infra.errors import LlmopsError

    if _off():
        return
    for where, memo in _MEMOS.items():
        if not memo.dirty:
            continue
        kept = list(memo.clean)[-MAX_ENTRIES:]
        try:
            if files.private_directory(where.parent):
                text = json.dumps({"digest": _digest(), "clean": kept})
                files.write_atomic(where, text, root=where.parent, mode=files.PRIVATE, durable=False)
                memo.dirty = False
        except (OSError, LlmopsError):
            continue
