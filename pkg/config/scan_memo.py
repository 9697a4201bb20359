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
import re
from pathlib import Path

from llmops_infra import user_cache
from llmops_infra.user_cache import DERIVED_OFF_ENV as DISABLE_ENV

FORMAT = 1
MAX_ENTRIES = 50_000
MAX_BYTES = 8 << 20
_DIGEST = re.compile(r"[0-9a-f]{64}")


@functools.cache
def _digest() -> str:
    here = Path(__file__)
    return user_cache.derived_from(
        "detect-secrets", here.with_name("secrets_scan.py"), here.with_name("scan_memo.py"), salt=str(FORMAT)
    )


def path() -> Path:
    return user_cache.directory() / "secrets-scan" / f"{_digest()}.json"


class _Memo:
    def __init__(self, clean: dict[str, None]) -> None:
        self.clean = clean  # insertion-ordered: the oldest go first past MAX_ENTRIES
        self.dirty = False


_MEMOS: dict[Path, _Memo] = {}


def _memo() -> _Memo:
    where = path()
    if where not in _MEMOS:
        _MEMOS[where] = _Memo({} if user_cache.switched_on(DISABLE_ENV) else _read(where))
    return _MEMOS[where]


def _read(where: Path) -> dict[str, None]:
    payload = user_cache.read(where, limit=MAX_BYTES)
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
    if user_cache.switched_on(DISABLE_ENV):
        return
    for where, memo in _MEMOS.items():
        if memo.dirty and user_cache.write(
            where, json.dumps({"digest": _digest(), "clean": list(memo.clean)[-MAX_ENTRIES:]})
        ):
            memo.dirty = False
