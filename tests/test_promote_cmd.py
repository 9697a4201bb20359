"""The release/promote/approve/rollback/releases commands through typer's runner."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from llmops_infra.cli.app import app
from llmops_infra.release.audit import read_audit
from llmops_infra.release.promotion import DeployOutcome

runner = CliRunner()


@pytest.fixture
def project(tmp_path, project_dir, monkeypatch):
    shutil.copytree(project_dir / "environments", tmp_path / "environments")
    monkeypatch.delenv("LLMOPS_ARTIFACTS", raising=False)
    monkeypatch.setenv("LLMOPS_ACTOR", "tester")
    return tmp_path


@pytest.fixture
def fake_engine(monkeypatch):
    """The real policy check; gates and deployment recorded instead of touching Azure."""
    from llmops_infra.release import hooks as promotion_hooks

    deployed: list[str] = []
    monkeypatch.setattr(promotion_hooks, "promote_gates", lambda config, project_dir, plan: None)
    monkeypatch.setattr(
        promotion_hooks,
        "engine_deploy",
        lambda program=None: (
            lambda config, project_dir: deployed.append(config.name) or DeployOutcome(True, {"create": 1})
        ),
    )
    return deployed


def run(*args):
    return runner.invoke(app, list(args))


def test_release_promote_approve_and_rollback(project, fake_engine):
    c = str(project)
    result = run("release", "dev", "-C", c, "--format", "json")
    assert result.exit_code == 0, result.output
    dev = json.loads(result.stdout)
    assert dev["status"] == "passed" and dev["manifest"].startswith("sha256:")

    result = run("promote", "dev", "staging", "-C", c)
    assert result.exit_code == 0, result.output
    assert "promote staging from dev manifest" in result.output and "passed" in result.output
    assert "Plan:" in result.output  # the difference was shown

    result = run("promote", "staging", "prod", "-C", c)
    assert result.exit_code == 1 and "requires an approval" in result.output
    assert fake_engine == ["staging"]

    result = run("approve", "prod", "--from", "staging", "--by", "Release Manager", "-C", c)
    assert result.exit_code == 0, result.output
    record = json.loads((project / ".llmops" / "approvals" / "prod.json").read_text())
    assert record["approved_by"] == "Release Manager" and record["environment"] == "prod"

    result = run("promote", "staging", "prod", "-C", c, "--format", "json")
    assert result.exit_code == 0, result.output
    prod = json.loads(result.stdout)
    assert prod["status"] == "passed" and prod["source_manifest"] == record["manifest"]
    assert fake_engine == ["staging", "prod"]

    result = run("releases", "prod", "-C", c)
    assert result.exit_code == 0 and prod["manifest"].removeprefix("sha256:")[:12] in result.output
    assert "by tester" in result.output

    first = prod["manifest"][7:19]
    result = run("rollback", "prod", "--to", first, "-C", c)
    assert result.exit_code == 1 and "requires an approval" in result.output  # approval named another manifest
    result = run(
        "rollback",
        "staging",
        "--to",
        json.loads(run("releases", "staging", "-C", c, "-f", "json").stdout)["releases"][0]["id"],
        "-C",
        c,
    )
    assert result.exit_code == 0, result.output
    assert [r["action"] for r in read_audit(project)] == [
        "release",
        "promote",
        "promote",
        "approve",
        "promote",
        "rollback",
        "rollback",
    ]


def test_refusals_exit_with_a_clear_message(project, fake_engine):
    c = str(project)
    result = run("promote", "dev", "staging", "-C", c)
    assert result.exit_code == 1 and "dev has no release manifest" in result.output
    result = run("approve", "prod", "--by", "x", "-C", c)
    assert result.exit_code == 2 and "--manifest ID or --from" in result.output
    result = run("rollback", "dev", "--to", "abc", "-C", c)
    assert result.exit_code == 2 and "too short" in result.output
    run("release", "dev", "-C", c)
    store = project / ".llmops" / "releases" / "manifests" / "dev"
    (path,) = store.iterdir()
    data = json.loads(path.read_text())
    data["created_by"] = "someone else"
    path.write_text(json.dumps(data))
    result = run("promote", "dev", "staging", "-C", c)
    assert result.exit_code == 2 and "does not match its content" in result.output
    assert "Traceback" not in result.output
    assert fake_engine == []


def test_promotion_stops_at_the_real_gates_without_azure_credentials(project, monkeypatch):
    """With the default hooks, the credentials gate stops the promotion before the engine runs."""
    for var in (
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_FEDERATED_TOKEN_FILE",
        "IDENTITY_ENDPOINT",
        "MSI_ENDPOINT",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(project / "no-az-login"))
    from llmops_infra.engine.azure_access import check_credentials

    if check_credentials(None).ok:
        pytest.skip("this machine has Azure credentials")
    c = str(project)
    assert run("release", "dev", "-C", c).exit_code == 0
    result = run("promote", "dev", "staging", "-C", c)
    assert result.exit_code == 3 and "gate credentials failed" in result.output
    assert read_audit(project)[-1]["result"] == "refused"
    assert not (project / ".llmops" / "releases" / "manifests" / "staging").exists()


def test_approve_and_releases_reject_unknown_environments_first(project, fake_engine):
    c = str(project)
    assert run("release", "dev", "-C", c).exit_code == 0
    for args in (
        ("approve", "../x", "--by", "me", "--from", "dev"),
        ("approve", "staging", "--by", "me", "--from", "dve"),
        ("releases", "../dev"),
    ):
        result = run(*args, "-C", c)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.count("error:") == 1 and "unknown environment" in result.stderr
    assert not (project / ".llmops" / "x.json").exists()
    assert not (project / ".llmops" / "approvals").exists()


def test_promote_to_itself_is_bad_input(project, fake_engine):
    c = str(project)
    assert run("release", "dev", "-C", c).exit_code == 0
    result = run("promote", "dev", "dev", "-C", c)
    assert result.exit_code == 2 and "rollback dev --to ID" in result.stderr
    assert fake_engine == []


def test_first_promotion_says_what_the_config_is_compared_with(project, fake_engine):
    c = str(project)
    assert run("release", "dev", "-C", c).exit_code == 0
    result = run("promote", "dev", "staging", "-C", c)
    assert result.exit_code == 0, result.output
    assert "Config staging (environments/staging.yaml) -> staging:" in result.stderr
    assert "Config (nothing)" not in result.stderr
    assert "Plan: " in result.stderr


def test_a_failed_release_says_why_and_records_a_dirty_tree(project):
    import subprocess

    def git(*args):
        subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=project, check=True)

    git("init", "-q")
    git("add", "environments")
    git("commit", "-q", "-m", "estate")
    dev = project / "environments" / "dev.yaml"
    dev.write_text(dev.read_text().replace("      spot: true", "      spot: false"))  # on-demand GPUs in dev: GPU-05
    result = run("release", "dev", "-C", str(project))
    assert result.exit_code == 1
    assert "failed check policy: 1 mandatory violation(s): GPU-05" in result.stdout
    assert "GPU-05 cluster-pool-gput4:" in result.stdout  # the finding itself
    assert "uncommitted changes" in result.stdout and "environments/dev.yaml" in result.stdout
    result = run("release", "dev", "-C", str(project), "--format", "json")
    document = json.loads(result.stdout)
    assert document["schema_version"] == 1 and document["status"] == "failed"
    (check,) = document["failed_checks"]
    assert check["gate"] == "policy" and check["findings"][0]["rule_id"] == "GPU-05"
    assert document["dirty"] is True and document["dirty_paths"] == ["environments/dev.yaml"]
    history = json.loads(run("releases", "dev", "-C", str(project), "--format", "json").stdout)
    assert history["environment"] == "dev" and history["releases"][-1]["source"]["dirty"] is True
