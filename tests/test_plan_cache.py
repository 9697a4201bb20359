"""The plan cache: byte-identical plans, never a stale one, damaged entries ignored, off when asked."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmops_infra.cli.app import app
from llmops_infra.config.loader import load_environment
from llmops_infra.offline import parallel, plan_cache
from llmops_infra.offline.planning import plan_config, plan_environment


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "plan-cache"
    monkeypatch.setenv(plan_cache.CACHE_DIR_ENV, str(directory))
    monkeypatch.delenv(plan_cache.DISABLE_ENV, raising=False)
    return directory


def _entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.json")) if directory.is_dir() else []


def _no_synthesis(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if a plan is synthesized instead of read from the cache."""
    from llmops_infra.offline import synth

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("synthesized although an entry of the same key exists")

    monkeypatch.setattr(synth, "synthesize", refuse)


def test_a_cached_plan_is_byte_identical_to_a_synthesized_one(cache, project, monkeypatch):
    fresh = plan_environment("dev", project, use_cache=False).to_json()
    assert _entries(cache) == []
    first = plan_environment("dev", project).to_json()
    assert len(_entries(cache)) == 1
    _no_synthesis(monkeypatch)
    assert plan_environment("dev", project).to_json() == first == fresh


def test_a_cached_plan_keeps_where_each_resource_comes_from(cache, project, monkeypatch):
    """Findings point at the setting that produced a resource (docs/reports.md): a cache hit keeps that."""
    fresh = plan_environment("dev", project)
    assert fresh.origins and all(o.key for o in fresh.origins.values())
    _no_synthesis(monkeypatch)
    assert plan_environment("dev", project).origins == fresh.origins


def test_a_changed_environment_file_is_planned_again(cache, project):
    before = plan_environment("dev", project)
    path = project / "environments" / "dev.yaml"
    text = path.read_text()
    assert "soft_delete_retention_days: 7" in text
    path.write_text(text.replace("soft_delete_retention_days: 7", "soft_delete_retention_days: 30"))
    after = plan_environment("dev", project)
    assert len(_entries(cache)) == 2
    assert after.to_json() != before.to_json()
    assert after.to_json() == plan_environment("dev", project, use_cache=False).to_json()


def test_another_package_or_sdk_version_or_code_is_another_key(cache, project, monkeypatch):
    config = load_environment("dev", project)
    key = plan_cache.cache_key(config)
    versions = plan_cache._versions()
    monkeypatch.setattr(plan_cache, "_versions", lambda: {**versions, "pulumi-azure-native": "0.0.0"})
    assert plan_cache.cache_key(config) != key
    monkeypatch.setattr(plan_cache, "_versions", lambda: versions)
    monkeypatch.setattr(plan_cache, "code_digest", lambda: "another build of the package")
    assert plan_cache.cache_key(config) != key


def test_the_code_digest_covers_every_file_of_the_package(tmp_path, monkeypatch):
    import llmops_infra

    package = tmp_path / "llmops_infra"
    (package / "stacks").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    module = package / "stacks" / "estate.py"
    module.write_text("A = 1\n")
    monkeypatch.setattr(llmops_infra, "__file__", str(package / "__init__.py"))
    plan_cache.code_digest.cache_clear()
    try:
        first = plan_cache.code_digest()
        plan_cache.code_digest.cache_clear()
        module.write_text("A = 2\n")
        second = plan_cache.code_digest()
        assert second != first
        # a link left dangling by a deleted source file (an editable install) is part of the digest, not a crash
        (package / "stacks" / "gone.py").symlink_to(tmp_path / "deleted.py")
        plan_cache.code_digest.cache_clear()
        assert plan_cache.code_digest() != second
    finally:
        plan_cache.code_digest.cache_clear()


@pytest.mark.parametrize(
    "content",
    [b"not json", b"[]", b'{"key": "another key", "plan": {}}', b'{"key": "%KEY%", "plan": {"resources": 3}}'],
)
def test_a_damaged_or_foreign_entry_is_only_a_miss(cache, project, content):
    config = load_environment("dev", project)
    key = plan_cache.cache_key(config)
    cache.mkdir(parents=True)
    (cache / f"{key}.json").write_bytes(content.replace(b"%KEY%", key.encode()))
    plan = plan_config(config, use_cache=True)
    assert plan.to_json() == plan_config(config).to_json()
    assert json.loads((cache / f"{key}.json").read_text())["key"] == key  # replaced by a good entry


def test_an_entry_that_is_a_link_is_neither_read_nor_written_through(cache, project, tmp_path):
    config = load_environment("dev", project)
    key = plan_cache.cache_key(config)
    target = tmp_path / "elsewhere.json"
    target.write_text("precious")
    cache.mkdir(parents=True)
    (cache / f"{key}.json").symlink_to(target)
    plan_config(config, use_cache=True)
    assert target.read_text() == "precious"
    assert not (cache / f"{key}.json").is_symlink()  # replaced by rename, not written through


def test_a_cache_directory_that_is_a_link_is_not_used(tmp_path, project, monkeypatch):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    monkeypatch.setenv(plan_cache.CACHE_DIR_ENV, str(link))
    monkeypatch.delenv(plan_cache.DISABLE_ENV, raising=False)
    plan_environment("dev", project)
    assert list(real.iterdir()) == []


def test_off_by_variable_by_flag_and_for_the_engine(cache, project, monkeypatch):
    config = load_environment("dev", project)
    plan_config(config)  # the engine's gates call this: never cached
    assert _entries(cache) == []
    monkeypatch.setenv(plan_cache.DISABLE_ENV, "1")
    plan_environment("dev", project)
    assert _entries(cache) == []
    monkeypatch.delenv(plan_cache.DISABLE_ENV)
    result = CliRunner().invoke(app, ["plan", "dev", "--no-cache", "--format", "json", "--project-dir", str(project)])
    assert result.exit_code == 0, result.output
    assert _entries(cache) == []
    result = CliRunner().invoke(app, ["plan", "dev", "--format", "json", "--project-dir", str(project)])
    assert result.exit_code == 0, result.output
    assert len(_entries(cache)) == 1


def test_the_default_location_is_the_user_cache_not_the_repository(monkeypatch):
    env = {"HOME": "/home/someone"}
    monkeypatch.setattr(Path, "home", lambda: Path("/home/someone"))
    assert plan_cache.cache_dir(env) == Path("/home/someone/.cache/llmops-infra/plans")
    assert plan_cache.cache_dir({"XDG_CACHE_HOME": "/xdg"}) == Path("/xdg/llmops-infra/plans")
    assert plan_cache.cache_dir({plan_cache.CACHE_DIR_ENV: "/c"}) == Path("/c")
    assert not plan_cache.enabled({plan_cache.DISABLE_ENV: "true"}) and plan_cache.enabled({})
    assert os.sep in str(plan_cache.cache_dir({}))


def test_a_cache_hit_imports_neither_the_pulumi_runtime_nor_a_provider_sdk(cache, project):
    """A repeated plan in a new process reads the cache: no `pulumi`, `pulumi_azure_native` or `pulumi_kubernetes`
    module is imported (the config's tag check once pulled the runtime in through components.tags)."""
    import subprocess
    import sys

    env = dict(os.environ)  # the fixture points the cache at `cache` and turns it on
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom llmops_infra.cli.app import app\n"
        f"r = CliRunner().invoke(app, ['plan', 'dev', '--format', 'json', '--project-dir', {str(project)!r}])\n"
        "assert r.exit_code == 0, r.output\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_azure_native', 'pulumi_kubernetes')]\n"
        "print(','.join(sorted(heavy)))\n"
    )
    first = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=project
    )
    assert first.stdout.strip()  # the miss synthesizes, with the runtime
    again = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=project
    )
    assert again.stdout.strip() == ""
    assert _entries(cache)


def test_policy_check_reads_an_unchanged_plan_from_the_cache_with_the_same_verdict(cache, project, monkeypatch):
    from llmops_infra.offline.policy_check import check_environment

    first = check_environment("dev", project)  # synthesizes and stores
    assert _entries(cache)
    _no_synthesis(monkeypatch)
    again = check_environment("dev", project)
    assert again == first and again.violations  # the same findings (dev has advisories) at the same files and lines


def test_has_says_whether_a_plan_would_be_read_from_the_cache(cache, project, monkeypatch, tmp_path):
    config = load_environment("dev", project)
    assert not plan_cache.has(config)
    plan_config(config, use_cache=True)
    assert plan_cache.has(config)
    monkeypatch.setenv(plan_cache.DISABLE_ENV, "1")
    assert not plan_cache.has(config)
    monkeypatch.delenv(plan_cache.DISABLE_ENV)
    entry = cache / f"{plan_cache.cache_key(config)}.json"
    entry.unlink()
    entry.symlink_to(tmp_path / "elsewhere.json")
    (tmp_path / "elsewhere.json").write_text("{}")
    assert not plan_cache.has(config)  # a link is never read


@pytest.mark.skipif(not parallel._can_fork(), reason="workers are forked only on Linux")
def test_policy_check_of_cached_environments_runs_in_this_process(cache, project, monkeypatch):
    """Forking workers that import the SDKs again costs more than checking cached plans here; the
    result is the same, and one environment not in the cache sends them all to workers."""
    from llmops_infra.offline import policy_check

    monkeypatch.setenv(parallel.JOBS_ENV, "2")
    names = ["dev", "prod"]
    forked_here: list[bool] = []
    real = parallel.run_all

    def spy(fn, items, **kwargs):
        cheap = kwargs["cheap"]
        forked_here.append(all(cheap(item) for item in items))
        return real(fn, items, **kwargs)

    monkeypatch.setattr(parallel, "run_all", spy)
    first = policy_check.check_environments(names, project)  # dev and prod not cached yet: workers
    assert forked_here == [False] and len(_entries(cache)) == 2
    _no_synthesis(monkeypatch)
    assert policy_check.check_environments(names, project) == first
    assert forked_here == [False, True]
