"""Issue 17, items 4, 7, 8, 9: every write atomic, inside its directory, never through a link."""

from __future__ import annotations

import json
import os
import shutil
import stat

import pytest
from typer.testing import CliRunner

from llmops_infra.cli.app import app
from llmops_infra.files import UnsafeWrite, append_line, write_atomic

runner = CliRunner()


@pytest.fixture
def project(tmp_path, project_dir, monkeypatch):
    shutil.copytree(project_dir / "environments", tmp_path / "environments")
    monkeypatch.delenv("LLMOPS_ARTIFACTS", raising=False)
    monkeypatch.setenv("LLMOPS_ACTOR", "tester")
    from llmops_infra.release import hooks as promotion_hooks

    monkeypatch.setattr(promotion_hooks, "promote_gates", lambda config, project_dir, plan: None)
    return tmp_path


def test_write_atomic_refuses_a_linked_directory_and_a_linked_file(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".github").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafeWrite):
        write_atomic(root / ".github" / "workflows" / "x.yml", "x", root=root)
    assert list(outside.iterdir()) == []
    (root / "README.md").symlink_to(outside / "victim")  # dangling
    with pytest.raises(UnsafeWrite):
        write_atomic(root / "README.md", "x", root=root)
    assert not (outside / "victim").exists()
    with pytest.raises(UnsafeWrite):
        write_atomic(tmp_path / "elsewhere.txt", "x", root=root)


def test_write_atomic_replaces_and_keeps_mode(tmp_path):
    path = write_atomic(tmp_path / "a" / "b.json", "one", root=tmp_path, mode=0o600)
    write_atomic(path, "two", root=tmp_path, mode=0o600)
    assert path.read_text() == "two"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["b.json"]  # no temporary left behind


def test_append_line_refuses_a_link(tmp_path):
    target = tmp_path / "bashrc"
    target.write_text("")
    root = tmp_path / "p"
    (root / ".llmops").mkdir(parents=True)
    (root / ".llmops" / "audit.jsonl").symlink_to(target)
    with pytest.raises(UnsafeWrite):
        append_line(root / ".llmops" / "audit.jsonl", "x", root=root)
    assert target.read_text() == ""


def test_pipeline_generate_does_not_write_through_a_dangling_link(project, tmp_path):
    """Item 4: `pipeline generate` (without --force) wrote through a dangling workflow link."""
    victim = tmp_path / "victim.sh"
    (project / ".github" / "workflows").mkdir(parents=True)
    (project / ".github" / "workflows" / "llmops.yml").symlink_to(victim)
    for name in ("deploy.yml", "pr.yml", "llmops-pr.yml", "llmops-deploy.yml"):
        (project / ".github" / "workflows" / name).symlink_to(victim)
    result = runner.invoke(app, ["pipeline", "generate", "--output", str(project), "--provider", "github"])
    assert result.exit_code == 2 and "symbolic link" in result.output, result.output
    assert not victim.exists()


def test_output_is_not_written_through_a_link(project, tmp_path):
    """Item 4: `--output` followed a link."""
    victim = tmp_path / "victim"
    victim.write_text("keep")
    (project / "report.json").symlink_to(victim)
    out = project / "report.json"
    result = runner.invoke(app, ["policy", "check", "dev", "-C", str(project), "-f", "json", "-o", str(out)])
    assert result.exit_code == 2 and "symbolic link" in result.output, result.output
    assert victim.read_text() == "keep"


def test_audit_and_approvals_refuse_links_and_are_private(project, tmp_path):
    """Item 4: `.llmops/audit.jsonl` and `.llmops/approvals/` were followed; mode was 0644."""
    result = runner.invoke(app, ["release", "dev", "-C", str(project), "--format", "json"])
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.stdout)["manifest"]
    audit = project / ".llmops" / "audit.jsonl"
    assert stat.S_IMODE(audit.stat().st_mode) == 0o600
    victim = tmp_path / "victim"
    victim.mkdir()
    (project / ".llmops" / "approvals").symlink_to(victim, target_is_directory=True)
    result = runner.invoke(app, ["approve", "staging", "--manifest", manifest, "--by", "rm", "-C", str(project)])
    assert result.exit_code == 2 and "symbolic link" in result.output, result.output
    assert list(victim.iterdir()) == []


def test_approvals_are_written_atomically_and_private(project):
    """Item 9: approvals were written in place (a reader saw an empty file; kill -9 lost the old one)."""
    from llmops_infra.release import audit

    result = runner.invoke(app, ["release", "dev", "-C", str(project), "--format", "json"])
    manifest = json.loads(result.stdout)["manifest"]
    replaced: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src, dst, **kw):
        replaced.append((src, dst))
        return real_replace(src, dst, **kw)

    audit_os = pytest.MonkeyPatch()
    audit_os.setattr(os, "replace", spy)
    try:
        result = runner.invoke(app, ["approve", "staging", "--manifest", manifest, "--by", "rm", "-C", str(project)])
    finally:
        audit_os.undo()
    assert result.exit_code == 0, result.output
    assert any(dst == "staging.json" for _src, dst in replaced)
    path = project / ".llmops" / "approvals" / "staging.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert audit.read_audit(project)[-1]["action"] == "approve"


def test_init_force_backs_up_what_it_replaces(tmp_path):
    """Item 7: `init --force` overwrote README.md, .gitignore and environments without a backup."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "README.md").write_text("my own readme")
    result = runner.invoke(app, ["init", str(tmp_path), "--force"])
    assert result.exit_code == 0, result.output
    backups = list(tmp_path.glob("README.md.bak-*"))
    assert len(backups) == 1 and backups[0].read_text() == "my own readme"


def test_init_force_refuses_a_linked_readme(tmp_path):
    """Item 4: `init --force` wrote through a README.md link."""
    victim = tmp_path / "victim"
    victim.write_text("keep")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "README.md").symlink_to(victim)
    result = runner.invoke(app, ["init", str(repo), "--force"])
    assert result.exit_code == 2 and "symbolic link" in result.output, result.output
    assert victim.read_text() == "keep"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only directories")
def test_release_on_a_read_only_project_stores_nothing(project):
    """Item 8: release crashed after storing the manifest and before the audit record."""
    (project / ".llmops").mkdir()
    (project / ".llmops").chmod(0o500)
    try:
        result = runner.invoke(app, ["release", "dev", "-C", str(project)])
    finally:
        (project / ".llmops").chmod(0o700)
    assert result.exit_code == 2, result.output
    assert not (project / ".llmops" / "releases").exists()


def test_release_refuses_an_unwritable_audit_before_storing(project):
    """Item 8, as root too: an audit log that cannot be written stops the release before the manifest is stored."""
    (project / ".llmops").mkdir()
    (project / ".llmops" / "audit.jsonl").mkdir()  # not a regular file: cannot be appended to
    result = runner.invoke(app, ["release", "dev", "-C", str(project)])
    assert result.exit_code == 2, result.output
    assert not (project / ".llmops" / "releases").exists()
