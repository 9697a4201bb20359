"""Issue 17, items 10-12: unexpected errors, markup and control characters in user text."""

from __future__ import annotations

import json
import shutil

import pytest
import typer
from typer.testing import CliRunner

from llmops_infra.cli.app import app
from llmops_infra.cli.common import INTERNAL_ERROR, handle_errors

runner = CliRunner()


@pytest.fixture
def project(tmp_path, project_dir, monkeypatch):
    shutil.copytree(project_dir / "environments", tmp_path / "environments")
    monkeypatch.delenv("LLMOPS_ARTIFACTS", raising=False)
    monkeypatch.setenv("LLMOPS_ACTOR", "tester")
    from llmops_infra.release import hooks as promotion_hooks

    monkeypatch.setattr(promotion_hooks, "promote_gates", lambda config, project_dir, plan: None)
    return tmp_path


def _boom() -> None:
    raise ValueError("s3cr3t-value-that-must-not-print")


def test_an_unexpected_error_is_one_line_and_exit_4_without_its_message(capsys):
    """Item 10: no traceback, not exit 1, and the message (which may quote a value) is not shown."""
    with pytest.raises(typer.Exit) as caught:
        handle_errors(_boom)()
    assert caught.value.exit_code == INTERNAL_ERROR == 4
    err = capsys.readouterr().err
    assert "Traceback" not in err and "s3cr3t" not in err
    assert "ValueError" in err and "--debug" in err
    assert len(err.strip().splitlines()) == 1


def test_debug_keeps_the_traceback(monkeypatch):
    from llmops_infra.cli import common

    monkeypatch.setitem(common.DEBUG, "on", True)
    with pytest.raises(ValueError):
        handle_errors(_boom)()


def test_corrupt_store_contents_are_not_a_traceback(project):
    """Item 12: a manifest of the wrong shape in the store is a clean exit, never exit 1 with a traceback."""
    releases = project / ".llmops" / "releases" / "manifests" / "dev"
    releases.mkdir(parents=True)
    (releases / "x.json").write_text(json.dumps({"models": ["x"], "created_at": None}))
    result = runner.invoke(app, ["releases", "dev", "-C", str(project)])
    assert result.exit_code == 2, result.output  # bad input naming the file, never an internal error
    assert "x.json" in result.output and "Traceback" not in result.output


def _release(project):
    result = runner.invoke(app, ["release", "dev", "-C", str(project), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["manifest"]


def test_markup_in_an_approver_prints_literally(project):
    """Item 11: `--by '[/]'` used to raise after the approval and audit were written."""
    manifest = _release(project)
    result = runner.invoke(app, ["approve", "staging", "--manifest", manifest, "--by", "[/]", "-C", str(project)])
    assert result.exit_code == 0, result.output
    assert "by [/]" in result.output


def test_an_actor_with_markup_in_a_manifest_lists_fine(project, monkeypatch):
    """Item 11: a manifest whose author is `[/]` made `releases` crash for everyone."""
    monkeypatch.setenv("LLMOPS_ACTOR", "[/]")
    _release(project)
    result = runner.invoke(app, ["releases", "dev", "-C", str(project)])
    assert result.exit_code == 0, result.output
    assert "by [/]" in result.output


def test_ansi_escapes_in_an_approver_are_refused(project):
    """Item 11: escape sequences in `--by` reached the terminal (and the audit trail)."""
    manifest = _release(project)
    result = runner.invoke(
        app, ["approve", "staging", "--manifest", manifest, "--by", "eve\x1b[2J\x1b]0;x\x07", "-C", str(project)]
    )
    assert result.exit_code == 2, result.output
    assert "\x1b" not in result.output
    assert not (project / ".llmops" / "approvals" / "staging.json").exists()


def test_escape_sequences_never_reach_an_error_message():
    from llmops_infra.errors import ConfigError

    assert str(ConfigError("bad \x1b[31mvalue\u202e\x00")) == "bad value"


def test_a_huge_validity_is_bad_input_not_an_overflow(project):
    """Item 12: `approve --valid-hours 1e12` raised OverflowError."""
    manifest = _release(project)
    result = runner.invoke(
        app, ["approve", "staging", "--manifest", manifest, "--by", "rm", "--valid-hours", "1e12", "-C", str(project)]
    )
    assert result.exit_code == 2, result.output
    assert "--valid-hours" in result.output
