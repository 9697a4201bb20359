"""Price catalogs, one per Azure region: unit prices shipped as data (`data/prices/<region>.json`),
each entry with its source, its date and whether it was verified, refreshed per region from the
public Azure Retail Prices API (`price_refresh`).

A region's catalog may name a `fallback` region: an entry it lacks is taken from there and marked
unverified with the region it came from (the shipped eastus2 and swedencentral catalogs hold no
prices of their own and fall back to East US: no price for those regions could be read when they
were written). A region with no catalog at all is priced from East US the same way.

Which catalog prices an environment, first found wins:

1. `--prices` of the command (`override`), a file or a directory of `<region>.json` files;
2. the environment's `cost.price_catalog` (the loader makes it absolute, from the project directory);
3. the refreshed copy in the user cache (`user_prices_dir()`, written by `llmops-infra prices refresh`);
4. the catalog shipped with llmops-infra.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from llmops_infra.errors import ConfigError

DEFAULT_REGION = "eastus"
USER_CACHE_ENV = "LLMOPS_INFRA_CACHE_DIR"  # user_cache.USER_CACHE_ENV (the pack loads nothing outside policies)
_OVERRIDE: ContextVar[Path | None] = ContextVar("llmops_price_catalog", default=None)


class PriceCatalogError(ConfigError):
    """The catalog file or the prices API gave something unusable (bad input: exit 2)."""


@dataclass(frozen=True)
class Price:
    """One unit price as the cost model uses it."""

    value: float
    spot_known: bool
    region: str
    """The region the price was recorded for (the fallback's when the asked region lacks it)."""
    date: str | None
    verified: bool
    """Read from the Retail Prices API for the region it prices (dated)."""
    source: str


@dataclass(frozen=True)
class PriceCatalog:
    """One region's catalog (`data`), with the catalog it falls back to."""

    data: dict[str, Any]
    path: Path | None = None
    fallback: PriceCatalog | None = None
    asked: str = ""
    """The region the catalog was looked up for (differs from `region` when none exists for it)."""

    @property
    def region(self) -> str:
        return str(self.data.get("region") or DEFAULT_REGION)

    @property
    def hours_per_month(self) -> float:
        return float(self._inherited("hours_per_month", 730))

    def _inherited(self, key: str, default: Any) -> Any:
        if key in self.data:
            return self.data[key]
        return self.fallback._inherited(key, default) if self.fallback else default

    def entry(self, key: str) -> dict[str, Any] | None:
        """The entry of `key` in this region's own data (VM sizes matched case-insensitively)."""
        entries: dict[str, Any] = self.data["entries"]
        found = entries.get(key)
        if found is None:
            lowered = key.lower()
            found = next((e for k, e in entries.items() if k.lower() == lowered), None)
        return found

    def lookup(self, key: str, *, spot: bool = False) -> Price | None:
        """The price of `key` (spot when asked and known), here or in the fallback; None when neither has it."""
        entry = self.entry(key)
        if entry is None:
            found = self.fallback.lookup(key, spot=spot) if self.fallback else None
            if found is None:
                return None
            return Price(found.value, found.spot_known, found.region, found.date, False, found.source)
        spot_known = entry.get("spot") is not None
        value = float(entry["spot"] if spot and spot_known else entry["price"])
        verified = entry.get("verified") is True and self.region == (self.asked or self.region)
        date = entry.get("date")
        return Price(
            value, spot_known, self.region, str(date) if date else None, verified, str(entry.get("source", ""))
        )

    def price(self, key: str, *, spot: bool = False) -> float | None:
        found = self.lookup(key, spot=spot)
        return found.value if found else None

    def has_spot(self, key: str) -> bool:
        found = self.lookup(key, spot=True)
        return bool(found and found.spot_known)

    def assumption(self, name: str) -> float:
        assumptions: dict[str, Any] = self._inherited("assumptions", {})
        return float(assumptions[name]["value"])

    def vm_sizes(self) -> list[str]:
        """VM sizes this catalog or its fallback prices."""
        own = {k.split("/", 1)[1] for k in self.data["entries"] if k.startswith("vm/")}
        return sorted(own | set(self.fallback.vm_sizes() if self.fallback else ()))

    def describe(self) -> str:
        """Which catalog this is, for reports: path and region, and the fallback it uses."""
        where = str(self.path) if self.path else "(in memory)"
        text = f"{where} ({self.region})"
        if self.asked and self.asked != self.region:
            text += f": no catalog for {self.asked}"
        if self.fallback is not None:
            text += f", falling back to {self.fallback.describe()}"
        return text


# --------------------------------------------------------------------------- where catalogs are


def shipped_prices_dir() -> Path:
    return Path(str(resources.files("llmops_infra.policies") / "data" / "prices"))


def user_prices_dir(env: dict[str, str] | None = None) -> Path:
    """Where `prices refresh` writes: $LLMOPS_INFRA_CACHE_DIR/prices, else $XDG_CACHE_HOME/llmops-infra/prices,
    else ~/.cache/llmops-infra/prices (beside the refreshed lifecycle catalog)."""
    from llmops_infra import user_cache

    return user_cache.directory(env) / "prices"


def shipped_regions() -> list[str]:
    return sorted(p.stem for p in shipped_prices_dir().glob("*.json"))


@contextmanager
def override(path: Path | None) -> Iterator[None]:
    """Price with `path` (a catalog file or a directory of them) inside the block: `--prices`."""
    token = _OVERRIDE.set(Path(path).resolve() if path is not None else None)
    try:
        yield
    finally:
        _OVERRIDE.reset(token)


def chosen(setting: str | Path | None = None) -> Path | None:
    """The explicit catalog in force: `--prices`, else the environment's setting, else None (the defaults)."""
    return _OVERRIDE.get() or (Path(setting) if setting else None)


def catalog_for(region: str, setting: str | Path | None = None) -> PriceCatalog:
    """The catalog that prices `region` (see the module docstring for the order)."""
    explicit = chosen(setting)
    if explicit is not None:
        return _explicit(explicit, region)
    return _default(region, str(user_prices_dir()))


def _explicit(path: Path, region: str) -> PriceCatalog:
    if path.is_dir():
        file = path / f"{region}.json"
        if not file.is_file():
            found = ", ".join(sorted(p.name for p in path.glob("*.json"))) or "none"
            raise PriceCatalogError(
                f"price catalog directory {path} has no {region}.json (it has: {found}): run "
                f"`llmops-infra prices refresh --region {region} --output {path}`, or point --prices at a file"
            )
        return _with_fallback(read_catalog(file), region, path)
    catalog = read_catalog(path)
    if catalog.region != region and "fallback" not in catalog.data:
        return PriceCatalog(catalog.data, catalog.path, None, asked=region)
    return _with_fallback(catalog, region, path.parent)


@functools.lru_cache(maxsize=16)
def _default(region: str, user_dir: str) -> PriceCatalog:
    user = Path(user_dir) / f"{region}.json"
    if user.is_file():
        return _with_fallback(read_catalog(user), region, Path(user_dir))
    shipped = shipped_prices_dir() / f"{region}.json"
    if shipped.is_file():
        return _with_fallback(read_catalog(shipped), region, shipped_prices_dir())
    if region == DEFAULT_REGION:
        raise PriceCatalogError(f"no price catalog for {region} in {shipped_prices_dir()}: reinstall llmops-infra")
    base = _default(DEFAULT_REGION, user_dir)  # a region nobody catalogued: East US figures, unverified
    return PriceCatalog({"region": region, "entries": {}}, None, base, asked=region)


def _with_fallback(catalog: PriceCatalog, region: str, directory: Path) -> PriceCatalog:
    name = catalog.data.get("fallback")
    fallback = None
    if isinstance(name, str) and name and name != catalog.region:
        near = directory / f"{name}.json"
        fallback = (
            _with_fallback(read_catalog(near), name, directory)
            if near.is_file()
            else _default(name, str(user_prices_dir()))
        )
    return PriceCatalog(catalog.data, catalog.path, fallback, asked=region)


def read_catalog(path: Path) -> PriceCatalog:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise PriceCatalogError(f"cannot read price catalog {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise PriceCatalogError(f"price catalog {path} is not JSON (line {exc.lineno}): {exc.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("entries"), dict):
        raise PriceCatalogError(f"price catalog {path} has no 'entries' object")
    for key, entry in data["entries"].items():
        if not isinstance(entry, dict) or not isinstance(entry.get("price"), (int, float)):
            raise PriceCatalogError(f"price catalog {path}: entry {key!r} has no numeric 'price'")
    return PriceCatalog(data, Path(path), asked=str(data.get("region") or DEFAULT_REGION))


def load_catalog(path: Path | None = None, region: str = DEFAULT_REGION) -> PriceCatalog:
    """The catalog at `path` (a file or a directory), or the one that prices `region` by default."""
    return _explicit(Path(path), region) if path is not None else catalog_for(region)


def write_catalog(data: dict[str, Any], path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise PriceCatalogError(f"cannot write price catalog {path}: {exc.strerror}") from None
    clear_cache()


def clear_cache() -> None:
    """Forget the catalogs read so far (after a refresh, and in tests)."""
    _default.cache_clear()
