"""SCHEMA-01's known properties, remembered between processes so that a check need not walk the SDK.

`sdk_types` reads what a resource accepts from the installed pulumi-azure-native SDK: the resource's
args class, then each nested input type the props reach. On a cached plan that walk was most of a
policy check (importing the resource modules and building their input types: about 0.5 s of 2 s for
three environments, 2026-12-02). What it finds depends only on the SDK and on `sdk_types`, so it is
kept as data in the user cache, keyed by the installed pulumi-azure-native version and the digest of
`sdk_types.py` and this file, and filled as checks need it: a node's keys are read from the SDK the
first time a check looks inside it, then written back with the rest (`save`, after each check).

A node is a shape by what it can hold: `free` (unchecked), input types (`objects`: named
`module:qualname`; their wire names are its `known` keys, each another node), `items` (a list of a
node) and `values` (a map with free keys to a node). Its key names all of that, so two places that
allow the same thing share one node. An entry is read only when it is a regular file this user owns
and nobody else can write (`files.read_private`); an entry that does not read back as a memo of this
SDK is ignored and rebuilt from the SDK, as is a node whose input type the SDK no longer has. `LLMOPS_NO_SDK_CACHE=1` (which also turns
off `offline/lean_cache.py`) keeps it in memory only.
"""

from __future__ import annotations

import functools
import importlib
import json
from pathlib import Path
from typing import Any

from llmops_infra.policies import sdk_types

FORMAT = 1
MAX_BYTES = 64 << 20
DISABLE_ENV = "LLMOPS_NO_SDK_CACHE"
"""`user_cache.DERIVED_OFF_ENV`, named here: the policy pack imports nothing outside `policies` when it
loads (tests/test_policies_catalog.py), so `user_cache` is imported where it is used."""


class Node:
    """One shape of the memo, as `schema.unknown_keys` reads it."""

    __slots__ = ("_entry", "_memo", "free", "key", "objects")

    def __init__(self, memo: Memo, key: str) -> None:
        self._entry = memo.nodes[key]
        self._memo = memo
        self.key = key
        self.free: bool = self._entry["f"]
        self.objects: bool = bool(self._entry["o"])

    # `items` and `values` are looked up when read: a memo whose links loop (a damaged file) is then
    # walked only as deep as the value being checked, never forever
    @property
    def items(self) -> Node | None:
        link = self._entry["i"]
        return self._memo.node(link) if link is not None else None

    @property
    def values(self) -> Node | None:
        link = self._entry["v"]
        return self._memo.node(link) if link is not None else None

    def known(self) -> dict[str, Node] | None:
        """The keys a mapping of this shape may hold (its input types' wire names), each with its node;
        None when an input type it names is not in the installed SDK (nothing to compare with)."""
        known = self._memo.known(self.key)
        return None if known is None else {name: self._memo.node(child) for name, child in known.items()}


class Memo:
    """Resource token -> root node key, and node key -> node (built from the SDK when missing)."""

    def __init__(self, tokens: dict[str, str | None], nodes: dict[str, dict[str, Any]]) -> None:
        self.tokens = tokens
        self.nodes = nodes
        self.dirty = False
        self._views: dict[str, Node] = {}

    def node(self, key: str) -> Node:
        view = self._views.get(key)
        if view is None:
            view = self._views[key] = Node(self, key)
        return view

    def resource(self, token: str) -> Node | None:
        if token not in self.tokens:
            shape = sdk_types.resource_shape(token)
            self.tokens[token] = self._add(shape) if shape is not None else None
            self.dirty = True
        key = self.tokens[token]
        return self.node(key) if key is not None else None

    def known(self, key: str) -> dict[str, str] | None:
        entry = self.nodes[key]
        if entry.get("k") is None:
            classes = [_resolve(ref) for ref in entry["o"]]
            if any(cls is None for cls in classes):
                return None  # the SDK does not have it (the memo's digest names the SDK, so not expected)
            merged: dict[str, str] = {}
            for cls in classes:
                assert cls is not None
                for name, inner in sdk_types.fields(cls).items():
                    merged.setdefault(name, self._add(inner))
            entry["k"] = merged
            self.dirty = True
        known: dict[str, str] = entry["k"]
        return known

    def _add(self, shape: sdk_types.Shape) -> str:
        items = self._add(shape.items) if shape.items is not None else None
        values = self._add(shape.values) if shape.values is not None else None
        refs = [f"{cls.__module__}:{cls.__qualname__}" for cls in shape.objects]
        key = json.dumps([shape.free, refs, items, values], separators=(",", ":"))
        if key not in self.nodes:
            self.nodes[key] = {"f": shape.free, "o": refs, "i": items, "v": values}
            self.dirty = True
        return key


def _resolve(ref: str) -> type | None:
    module_name, _, qualname = ref.partition(":")
    try:
        found: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        return None
    return found if isinstance(found, type) else None


@functools.cache
def _digest() -> str:
    from llmops_infra import user_cache

    here = Path(__file__)
    return user_cache.derived_from(
        "pulumi-azure-native", here.with_name("sdk_types.py"), here.with_name("schema_memo.py"), salt=str(FORMAT)
    )


def path(env: dict[str, str] | None = None) -> Path:
    """`schema/<digest>.json` in the user cache (`user_cache.directory`)."""
    from llmops_infra import user_cache

    return user_cache.directory(env) / "schema" / f"{_digest()}.json"


def _read(where: Path) -> Memo:
    from llmops_infra import user_cache

    payload = user_cache.read(where, limit=MAX_BYTES)
    try:
        data = json.loads(payload) if payload is not None else None
    except ValueError:
        data = None
    if not (isinstance(data, dict) and data.get("digest") == _digest()):
        return Memo({}, {})
    tokens, nodes = data.get("tokens"), data.get("nodes")
    if not (
        isinstance(tokens, dict) and isinstance(nodes, dict) and all(_well_formed(n, nodes) for n in nodes.values())
    ):
        return Memo({}, {})
    if not all(key is None or key in nodes for key in tokens.values()):
        return Memo({}, {})
    return Memo(tokens, nodes)


def _well_formed(entry: Any, nodes: dict[str, Any]) -> bool:
    if not (isinstance(entry, dict) and isinstance(entry.get("f"), bool) and isinstance(entry.get("o"), list)):
        return False
    if not all(isinstance(ref, str) for ref in entry["o"]):
        return False
    links = [entry.get("i"), entry.get("v"), *((entry.get("k") or {}).values())]
    return isinstance(entry.get("k") or {}, dict) and all(link is None or link in nodes for link in links)


_MEMO: dict[Path, Memo] = {}


def memo() -> Memo:
    """This process's memo for the installed SDK, read from the user cache on first use."""
    from llmops_infra import user_cache

    where = path()
    if where not in _MEMO:
        _MEMO[where] = Memo({}, {}) if user_cache.switched_on(DISABLE_ENV) else _read(where)
    return _MEMO[where]


def save() -> None:
    """Write what checks added since it was read; a cache that cannot be written is skipped."""
    from llmops_infra import user_cache

    if user_cache.switched_on(DISABLE_ENV):
        return
    for where, found in _MEMO.items():
        if not found.dirty:
            continue
        text = json.dumps({"digest": _digest(), "tokens": found.tokens, "nodes": found.nodes}, sort_keys=True)
        if user_cache.write(where, text):
            found.dirty = False
