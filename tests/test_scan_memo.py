"""The secrets scan's memo of strings detect-secrets found clean: skipped only for the very same string."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from llmops_infra.config import scan_memo, secrets_scan
from llmops_infra.config.loader import load_environment
from llmops_infra.errors import ConfigError

STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"  # found by detect-secrets only, not by the scan's own patterns


@pytest.fixture
def project(tmp_path: Path, project_dir: Path) -> Path:
    shutil.copytree(project_dir / "environments", tmp_path / "environments")
    return tmp_path


def _forget(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new process: nothing in memory."""
    monkeypatch.setattr(scan_memo, "_MEMOS", {})


def _no_detectors(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise AssertionError("ran detect-secrets on a string it found clean before")

    monkeypatch.setattr(secrets_scan, "library_detectors", refuse)


def test_a_clean_environment_is_not_scanned_by_the_library_again(project, monkeypatch):
    _forget(monkeypatch)
    first = load_environment("dev", project)
    stored = scan_memo.path()
    assert stored.is_file() and oct(stored.stat().st_mode & 0o777) == "0o600"
    text = stored.read_text()
    assert "dev" not in text and "eastus" not in text  # digests, never values
    _forget(monkeypatch)
    _no_detectors(monkeypatch)
    assert load_environment("dev", project) == first


def test_a_new_string_is_scanned_and_a_flagged_one_is_flagged_every_time(project, monkeypatch):
    _forget(monkeypatch)
    load_environment("dev", project)
    path = project / "environments" / "dev.yaml"
    path.write_text(path.read_text() + f"tags:\n  extra:\n    note: 'deploy with {STRIPE}'\n")
    for _ in range(2):
        _forget(monkeypatch)
        with pytest.raises(ConfigError, match="Stripe"):
            load_environment("dev", project)
    assert not scan_memo.known_clean(f"deploy with {STRIPE}")


@pytest.mark.parametrize(
    "spoil",
    [
        lambda where: where.write_text("not json"),
        lambda where: where.write_text(json.dumps({"digest": "another detect-secrets", "clean": []})),
        lambda where: where.write_text(json.dumps({"digest": scan_memo._digest(), "clean": ["not a digest"]})),
        lambda where: where.chmod(0o666),
    ],
    ids=["damaged", "another-version", "malformed", "writable-by-others"],
)
def test_a_memo_that_is_not_trusted_or_does_not_read_back_is_empty(project, monkeypatch, spoil):
    _forget(monkeypatch)
    load_environment("dev", project)
    _forget(monkeypatch)
    assert scan_memo.known_clean("eastus")  # dev's location, read back
    spoil(scan_memo.path())
    _forget(monkeypatch)
    assert not scan_memo.known_clean("eastus")
    load_environment("dev", project)  # scanned again


def test_off_by_variable(project, monkeypatch):
    monkeypatch.setenv(scan_memo.DISABLE_ENV, "1")
    _forget(monkeypatch)
    load_environment("dev", project)
    assert not scan_memo.path().exists()
