"""Engine lookup: PATH first, then the build cache; versions, the language host, install hints."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from llmops_infra.engine import pulumi_cli as engine
from llmops_infra.engine.pulumi_cli import EngineInfo, EngineMissingError


def fake_cli(bin_dir: Path, version: str | None, *, host: bool = True) -> Path:
    """A `pulumi` that answers `pulumi version` (or fails when version is None)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    cli = bin_dir / "pulumi"
    body = f'echo "v{version}"' if version else "exit 1"
    cli.write_text(f'#!/bin/sh\n[ "$1" = version ] && {{ {body}; }}\n')
    cli.chmod(0o755)
    if host:
        lang = bin_dir / "pulumi-language-python"
        lang.write_text("#!/bin/sh\n")
        lang.chmod(0o755)
    return cli


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No real pulumi anywhere: an empty PATH (but sh) and an empty cache."""
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("LLMOPS_PULUMI_HOME", raising=False)
    return tmp_path


def test_nothing_found_says_how_to_install(isolated):
    info = engine.locate_engine()
    assert not info.found and info.cli is None and info.source is None
    with pytest.raises(EngineMissingError) as err:
        info.require()
    assert err.value.exit_code == 3
    assert "`llmops-infra engine install`" in str(err.value)
    assert "get.pulumi.com" in str(err.value)


def test_cache_of_the_sdk_version_is_found(isolated):
    sdk = engine.sdk_version()
    cli = fake_cli(isolated / "cache" / "llmops-infra" / "pulumi" / f"v{sdk}" / "bin", sdk)
    info = engine.locate_engine()
    assert info.cli == cli and info.source == "cache"
    assert info.version == sdk and info.matches_sdk
    assert info.language_host == cli.parent / "pulumi-language-python"
    assert info.root == cli.parent.parent
    assert info.require() is info


def test_path_wins_over_the_cache(isolated, monkeypatch):
    sdk = engine.sdk_version()
    fake_cli(isolated / "cache" / "llmops-infra" / "pulumi" / f"v{sdk}" / "bin", sdk)
    on_path = fake_cli(isolated / "tools" / "bin", "3.100.0")
    monkeypatch.setenv("PATH", f"{on_path.parent}:/usr/bin:/bin")
    info = engine.locate_engine()
    assert info.cli == on_path and info.source == "PATH"
    assert info.version == "3.100.0" and not info.matches_sdk


def test_llmops_pulumi_home_overrides_the_cache_dir(isolated, monkeypatch):
    home = isolated / "custom"
    cli = fake_cli(home / "bin", "3.259.0")
    monkeypatch.setenv("LLMOPS_PULUMI_HOME", str(home))
    assert engine.cache_bin_dir() == home / "bin"
    assert engine.locate_engine().cli == cli


def test_other_cached_versions_are_a_fallback(isolated):
    cli = fake_cli(isolated / "cache" / "llmops-infra" / "pulumi" / "v3.250.0" / "bin", "3.250.0")
    info = engine.locate_engine()
    assert info.cli == cli and info.version == "3.250.0" and not info.matches_sdk


def test_a_broken_binary_is_reported_not_used(isolated):
    sdk = engine.sdk_version()
    cli = fake_cli(isolated / "cache" / "llmops-infra" / "pulumi" / f"v{sdk}" / "bin", None)
    info = engine.locate_engine()
    assert info.cli == cli and info.version is None and not info.found
    with pytest.raises(EngineMissingError, match="did not answer `pulumi version`"):
        info.require()


def test_language_host_on_path_when_not_beside_the_cli(isolated, monkeypatch):
    cli = fake_cli(isolated / "a" / "bin", "3.259.0", host=False)
    host_dir = isolated / "hosts"
    host_dir.mkdir()
    (host_dir / "pulumi-language-python").write_text("#!/bin/sh\n")
    (host_dir / "pulumi-language-python").chmod(0o755)
    monkeypatch.setenv("PATH", f"{cli.parent}:{host_dir}:/usr/bin:/bin")
    assert engine.locate_engine().language_host == host_dir / "pulumi-language-python"


def test_build_info_is_read(isolated):
    sdk = engine.sdk_version()
    bin_dir = isolated / "cache" / "llmops-infra" / "pulumi" / f"v{sdk}" / "bin"
    fake_cli(bin_dir, "3.259.0")
    (bin_dir / "BUILD-INFO").write_text("requested_version=3.272.0\nengine_version=3.259.0\n")
    info = engine.locate_engine()
    assert info.build_info == {"requested_version": "3.272.0", "engine_version": "3.259.0"}


def test_cli_outside_a_bin_directory_is_refused():
    info = EngineInfo(Path("/opt/pulumi/pulumi"), "3.259.0", "3.272.0", "PATH", None, {})
    with pytest.raises(EngineMissingError, match="not in a directory named bin"):
        info.require()


def test_version_strips_the_v(isolated):
    cli = fake_cli(isolated / "x" / "bin", "3.259.0")
    assert engine.cli_version(cli) == "3.259.0"
    assert engine.cli_version(isolated / "missing") is None
    assert os.access(cli, os.X_OK)
