"""Lean SDK layouts kept between processes: read back the same, never stale, never from an untrusted file."""

from __future__ import annotations

import typing
from pathlib import Path
from types import ModuleType

import pytest
from helpers import replace_with_link
from lean_fake import load, unload

from llmops_infra.offline import lean_cache
from llmops_infra.offline.lean_classes import LeanModuleLoader


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "sdk-cache"
    monkeypatch.setenv(lean_cache.CACHE_DIR_ENV, str(directory))
    monkeypatch.delenv(lean_cache.DISABLE_ENV, raising=False)
    return directory


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The modules whose layout was computed from their own files (the others came from the cache)."""
    computed: list[str] = []
    real = LeanModuleLoader._layout

    def spy(self: LeanModuleLoader, module: ModuleType, filename: str, package: str) -> typing.Any:
        computed.append(module.__name__.rpartition(".")[2])
        return real(self, module, filename, package)

    monkeypatch.setattr(LeanModuleLoader, "_layout", spy)
    return computed


def _load_again(tmp_path: Path, package: str) -> dict[str, ModuleType]:
    unload(tmp_path, package)
    return load(tmp_path, package)


def test_a_layout_is_read_back_and_the_module_behaves_the_same(cache, fresh, tmp_path):
    first = load(tmp_path, "leancache_same")
    assert sorted(fresh) == ["_enums", "_inputs"] and len(list(cache.iterdir())) == 2
    made = first["_inputs"].helper()
    before = (type(made).__name__, made.colour, first["_inputs"].__all__, dir(first["_inputs"]))
    fresh.clear()
    again = _load_again(tmp_path, "leancache_same")
    try:
        assert fresh == []  # both from the cache
        inputs = again["_inputs"]
        assert "Alpha" not in vars(inputs)  # still deferred
        made = inputs.helper()
        assert (type(made).__name__, made.colour, inputs.__all__, dir(inputs)) == before
        assert inputs.Alpha.decorated and inputs.Alpha.__module__ == inputs.__name__
        assert again["resource"].use()[1] == "red"
        assert oct(next(cache.iterdir()).stat().st_mode & 0o777) == "0o600"
    finally:
        unload(tmp_path, "leancache_same")


def test_a_changed_module_file_is_another_entry(cache, fresh, tmp_path):
    load(tmp_path, "leancache_changed")
    inputs = tmp_path / "leancache_changed" / "_inputs.py"
    inputs.write_text(inputs.read_text() + "\n\nclass Added:\n    pass\n")
    fresh.clear()
    again = _load_again(tmp_path, "leancache_changed")
    try:
        assert fresh == ["_inputs"]
        assert again["_inputs"].Added.__name__ == "Added"
    finally:
        unload(tmp_path, "leancache_changed")


@pytest.mark.parametrize(
    "spoil",
    [
        lambda entry: entry.write_bytes(b"not marshal"),
        lambda entry: entry.write_bytes(__import__("marshal").dumps(("another", "layout"))),
        lambda entry: entry.chmod(0o666),
        replace_with_link,
    ],
    ids=["damaged", "foreign", "writable-by-others", "a-link"],
)
def test_an_untrusted_or_damaged_entry_is_only_a_miss(cache, fresh, tmp_path, spoil):
    package = "leancache_spoiled"
    load(tmp_path, package)
    for entry in list(cache.iterdir()):
        spoil(entry)
    fresh.clear()
    again = _load_again(tmp_path, package)
    try:
        assert sorted(fresh) == ["_enums", "_inputs"]  # computed from the module's own files
        assert again["_inputs"].helper().colour == "red"
    finally:
        unload(tmp_path, package)


def test_a_cache_directory_that_is_a_link_or_open_to_others_is_not_used(tmp_path, monkeypatch, fresh):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    monkeypatch.setenv(lean_cache.CACHE_DIR_ENV, str(link))
    monkeypatch.delenv(lean_cache.DISABLE_ENV, raising=False)
    modules = tmp_path / "modules"
    modules.mkdir()
    load(modules, "leancache_linked")
    unload(modules, "leancache_linked")
    assert list(real.iterdir()) == []
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    monkeypatch.setenv(lean_cache.CACHE_DIR_ENV, str(shared))
    load(modules, "leancache_shared")
    unload(modules, "leancache_shared")
    assert list(shared.iterdir()) == []


def test_off_by_variable(cache, fresh, tmp_path, monkeypatch):
    monkeypatch.setenv(lean_cache.DISABLE_ENV, "1")
    load(tmp_path, "leancache_off")
    unload(tmp_path, "leancache_off")
    assert not cache.exists()


def test_the_default_location_is_the_user_cache(monkeypatch):
    monkeypatch.delenv(lean_cache.CACHE_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/xdg")
    assert lean_cache.cache_dir() == Path("/xdg/llmops-infra/sdk")


def test_entries_unused_for_a_month_are_removed_when_one_is_written(cache, fresh, tmp_path):
    import os
    import time

    load(tmp_path, "leancache_kept")  # writes two entries
    unload(tmp_path, "leancache_kept")
    month = time.time() - (lean_cache.UNUSED_DAYS + 1) * 86400
    stale = cache / ("0" * 64 + ".marshal")
    stale.write_bytes(b"an upgraded SDK's layout")
    for entry in cache.iterdir():
        os.utime(entry, (month, month))
    fresh.clear()
    again = load(tmp_path, "leancache_kept")  # read from the cache: their time is renewed
    assert fresh == [] and again["_inputs"].helper().colour == "red"
    unload(tmp_path, "leancache_kept")
    other = tmp_path / "other"
    other.mkdir()
    load(other, "leancache_other")  # computes and writes two more, and prunes
    unload(other, "leancache_other")
    assert sorted(fresh) == ["_enums", "_inputs"]
    assert not stale.exists() and len(list(cache.glob("*.marshal"))) == 4
