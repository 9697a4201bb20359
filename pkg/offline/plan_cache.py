"""A content-addressed cache of offline plans, so a repeated plan of an unchanged environment is cheap.

The key is a digest of everything a plan is computed from: the validated environment (base and
overlay merged, as `EnvironmentConfig`), every file of this package (code, catalogs, templates),
the versions of the SDKs synthesis runs (pulumi, pulumi-azure-native, pulumi-kubernetes, pydantic)
and the Python version. A changed environment file, an edited module or an upgraded SDK therefore
never serves a stale plan: it is a different key.

Entries live in the user's cache (`$LLMOPS_PLAN_CACHE_DIR`, else `$XDG_CACHE_HOME/llmops-infra/plans`
or `~/.cache/llmops-infra/plans`), never in the repository's tracked files. An entry is written
atomically (temporary file, then rename) and only through a directory that is not a symlink; an
entry that does not read back as a plan of the same key is ignored and replanned. `LLMOPS_NO_PLAN_CACHE=1`
or `plan --no-cache` turns the cache off; the engine (`up`, `preview`, `destroy`) never uses it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from llmops_infra import user_cache
from llmops_infra.errors import LlmopsError
from llmops_infra.plan import Origin, Plan

if TYPE_CHECKING:
    from llmops_infra.config.models import EnvironmentConfig

CACHE_DIR_ENV = "LLMOPS_PLAN_CACHE_DIR"
DISABLE_ENV = "LLMOPS_NO_PLAN_CACHE"
FORMAT = 2
"""Bumped when an entry's layout changes (it is part of the key). 2: entries keep `Plan.origins`."""
SDKS = ("pulumi", "pulumi-azure-native", "pulumi-kubernetes", "pydantic")
_SKIPPED_PARTS = {"__pycache__"}


def enabled(env: dict[str, str] | None = None) -> bool:
    return not user_cache.switched_on(DISABLE_ENV, env)


def cache_dir(env: dict[str, str] | None = None) -> Path:
    environ = os.environ if env is None else env
    return Path(environ[CACHE_DIR_ENV]) if environ.get(CACHE_DIR_ENV) else user_cache.home(environ) / "plans"


@functools.cache
def code_digest() -> str:
    """sha256 over the relative path and content of every file of the installed package.

    The installed package, not the source folders: under the strict editable install it is the
    tree of links in build/__editable__… (followed), in a wheel install site-packages/llmops_infra.
    """
    import llmops_infra

    root = Path(llmops_infra.__file__).parent
    digest = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIPPED_PARTS)
        for name in sorted(filenames):
            if name.endswith((".pyc", ".pyo")):
                continue
            path = Path(dirpath, name)
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            try:
                digest.update(path.read_bytes() + b"\0")
            except OSError:  # a link left dangling by a deleted source file (editable install): not code that runs
                digest.update(b"\0unreadable\0")
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    found = {"python": ".".join(map(str, sys.version_info[:3]))}
    for name in ("llmops-infra", *SDKS):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "absent"
    return found


def cache_key(config: EnvironmentConfig) -> str:
    material = {
        "format": FORMAT,
        "config": json.loads(config.model_dump_json()),
        "code": code_digest(),
        "versions": _versions(),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def _entry(key: str, env: dict[str, str] | None = None) -> Path:
    return cache_dir(env) / f"{key}.json"


def load(key: str, env: dict[str, str] | None = None) -> Plan | None:
    """The cached plan of `key`, or None (missing, unreadable, a link, or not a plan of this key)."""
    path = _entry(key, env)
    try:
        if path.is_symlink() or not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        plan = Plan.from_dict(data.get("plan"))
        origins = data.get("origins") or {}
        return Plan(
            plan.environment,
            plan.project,
            plan.resources,
            plan.outputs,
            plan.stack_projects,
            {urn: Origin(**origin) for urn, origin in origins.items()},
        )
    except (OSError, ValueError, TypeError, KeyError, AttributeError, LlmopsError):
        return None  # a damaged or foreign entry is only a miss


def store(key: str, plan: Plan, env: dict[str, str] | None = None) -> None:
    """Write the entry atomically (llmops_infra.files); a cache that cannot be written is skipped,
    never an error. A link planted at the entry's name is removed, then replaced by a real file."""
    from llmops_infra import files

    directory = cache_dir(env)
    entry = directory / f"{key}.json"
    # where each resource comes from is not the plan's content, but findings need it
    origins = {urn: asdict(origin) for urn, origin in plan.origins.items()}
    text = json.dumps({"key": key, "plan": plan.to_dict(), "origins": origins}, sort_keys=True)
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        if any(p.is_symlink() for p in (directory, *directory.parents[:2])):
            return
        if entry.is_symlink():
            entry.unlink()
        files.write_atomic(entry, text, root=directory, mode=files.PRIVATE, durable=False)
    except (OSError, LlmopsError):
        return


def has(config: EnvironmentConfig) -> bool:
    """Whether `cached` would read `config`'s plan instead of building it (an entry of its key is there;
    it is not read, so a damaged one still counts)."""
    if not enabled():
        return False
    entry = _entry(cache_key(config))
    return not entry.is_symlink() and entry.is_file()


def cached(config: EnvironmentConfig, build: Callable[[], Plan], *, use_cache: bool = True) -> Plan:
    """`build()`'s plan of `config`, from the cache when an entry of the same key exists."""
    if not use_cache or not enabled():
        return build()
    key = cache_key(config)
    hit = load(key)
    if hit is not None:
        return hit
    plan = build()
    store(key, plan)
    return plan
