"""Where the lifecycle catalog is read from: the shipped copy, or the refreshed one in the user cache.

`load_catalog()` returns the user copy (written by `llmops-infra lifecycle refresh`) while its
`generated` date is at least the shipped catalog's; an older or unreadable copy is ignored with
a `notice`. Catalogs are read once per process (`clear_cache()` forgets them).
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path

from llmops_infra.policies.lifecycle_catalog import LifecycleCatalog, LifecycleCatalogError

USER_CACHE_ENV = "LLMOPS_INFRA_CACHE_DIR"  # user_cache.USER_CACHE_ENV (the pack loads nothing outside policies)


def shipped_catalog_path() -> Path:
    return Path(str(resources.files("llmops_infra.policies") / "data" / "lifecycle.json"))


def user_catalog_path(env: dict[str, str] | None = None) -> Path:
    """Where `lifecycle refresh` writes: $LLMOPS_INFRA_CACHE_DIR, else $XDG_CACHE_HOME/llmops-infra, else ~/.cache/llmops-infra."""
    from llmops_infra import user_cache

    return user_cache.directory(env) / "lifecycle.json"


def read_catalog(path: Path) -> LifecycleCatalog:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise LifecycleCatalogError(f"cannot read lifecycle catalog {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise LifecycleCatalogError(f"lifecycle catalog {path} is not JSON (line {exc.lineno}): {exc.msg}") from None
    if not isinstance(data, dict) or data.get("schema") != 1:
        raise LifecycleCatalogError(f'lifecycle catalog {path} is not a schema-1 catalog (no "schema": 1)')
    for key in ("kubernetes", "models", "sources"):
        if key not in data:
            raise LifecycleCatalogError(f"lifecycle catalog {path} has no {key!r} section")
    catalog = LifecycleCatalog(data, Path(path))
    _ = catalog.generated  # a bad date fails here, not in the middle of a check
    return catalog


def load_catalog(path: Path | None = None) -> LifecycleCatalog:
    """The catalog at `path`; by default the user copy when it is at least as new as the shipped one."""
    if path is not None:
        return read_catalog(path)
    return _default_catalog(str(user_catalog_path()))


@functools.lru_cache(maxsize=4)
def _default_catalog(user_path: str) -> LifecycleCatalog:
    shipped = read_catalog(shipped_catalog_path())
    user = Path(user_path)
    if not user.is_file():
        return shipped
    try:
        refreshed = read_catalog(user)
    except LifecycleCatalogError as exc:
        return LifecycleCatalog(shipped.data, shipped.path, notice=f"ignored the refreshed copy: {exc}")
    if refreshed.generated < shipped.generated:
        return LifecycleCatalog(
            shipped.data,
            shipped.path,
            notice=f"ignored {user} (generated {refreshed.generated}): the shipped catalog is newer "
            f"({shipped.generated}); run `llmops-infra lifecycle refresh` again",
        )
    return refreshed


def clear_cache() -> None:
    """Forget the catalogs read so far (after a refresh, and in tests)."""
    _default_catalog.cache_clear()
