"""Issue 17, items 5, 6, 12 and 15: approvals, signed manifests, hostile store contents, cloud credentials."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from llmops_infra.cli.app import app
from llmops_infra.engine.approvals import approval_problem
from llmops_infra.release.artifacts import LocalArtifactStore, Releases
from llmops_infra.release.manifest import PASSED, Manifest, content_id

runner = CliRunner()


@pytest.fixture
def project(tmp_path, project_dir, monkeypatch):
    shutil.copytree(project_dir / "environments", tmp_path / "environments")
    monkeypatch.delenv("LLMOPS_ARTIFACTS", raising=False)
    monkeypatch.setenv("LLMOPS_ACTOR", "author")
    from llmops_infra.release import hooks as promotion_hooks
    from llmops_infra.release.promotion import DeployOutcome

    monkeypatch.setattr(promotion_hooks, "promote_gates", lambda config, project_dir, plan: None)
    # no engine here: a deployment that reports success
    monkeypatch.setattr(
        promotion_hooks,
        "engine_deploy",
        lambda program=None: lambda config, project_dir: DeployOutcome(True, {"same": 1}),
    )
    return tmp_path


def cli(project: Path, *args: str) -> Any:
    return runner.invoke(app, [*args, "-C", str(project)])


def release(project: Path, env: str = "dev") -> str:
    result = cli(project, "release", env, "--format", "json")
    assert result.exit_code in (0, 1), result.output
    manifest: str = json.loads(result.stdout)["manifest"]
    return manifest


def store(project: Path) -> Releases:
    return Releases(LocalArtifactStore(project / ".llmops" / "releases"))


def path_of(project: Path, manifest: Manifest | str, env: str = "dev") -> Path:
    digest = manifest if isinstance(manifest, str) else manifest.id
    return project / ".llmops" / "releases" / "manifests" / env / f"{digest.removeprefix('sha256:')}.json"


def forge(project: Path, original: str, *, resign: bool = False, **changes: Any) -> Manifest:
    """What an attacker with write access to the store does: edit, re-hash, rename (and, to test the
    checks behind the signature, re-sign with the configured key)."""
    releases = store(project)
    manifest = releases.find(original)
    forged = replace(manifest, **changes, id="", signature=manifest.signature).sealed()
    forged = forged.signed(releases.sign(forged).signature if resign else manifest.signature)
    path_of(project, manifest, manifest.environment).unlink()
    path_of(project, forged, forged.environment).write_text(forged.to_json())
    return forged


# --------------------------------------------------------------------------- item 6: signed manifests


def failed_release(project: Path) -> str:
    data = (project / "environments" / "dev.yaml").read_text()
    (project / "environments" / "dev.yaml").write_text(data.replace("max_monthly_usd: 2500", "max_monthly_usd: 1"))
    manifest = release(project)
    assert store(project).find(manifest).status == "failed"
    (project / "environments" / "dev.yaml").write_text(data)
    return manifest


def test_a_failed_manifest_edited_to_passed_is_refused_by_promote_and_approve(project):
    forged = forge(project, failed_release(project), status=PASSED)
    assert store(project).find(forged.id).passed  # the id matches its content: only the signature tells
    result = cli(project, "promote", "dev", "staging")
    assert result.exit_code == 2, result.output
    assert "signature does not match" in result.output and "Traceback" not in result.output
    result = cli(project, "approve", "prod", "--from", "dev", "--by", "reviewer")
    assert result.exit_code == 2 and "signature does not match" in result.output
    assert not (project / ".llmops" / "approvals" / "prod.json").exists()


def test_an_unsigned_manifest_is_refused_on_rollback(project):
    manifest = release(project)
    path = path_of(project, manifest)
    data = json.loads(path.read_text())
    data.pop("signature")
    path.write_text(json.dumps(data))
    result = cli(project, "rollback", "dev", "--to", manifest)
    assert result.exit_code == 2 and "not signed" in result.output


def test_a_manifest_signed_with_another_key_is_refused(project, monkeypatch, tmp_path):
    manifest = release(project)
    monkeypatch.setenv("LLMOPS_CONFIG_DIR", str(tmp_path / "someone-else"))
    result = cli(project, "promote", "dev", "staging", "--manifest", manifest)
    assert result.exit_code == 3 and "no signing key" in result.output  # this machine has no key at all
    release(project, "staging")  # now it has one, another one
    result = cli(project, "promote", "dev", "staging", "--manifest", manifest)
    assert result.exit_code == 2 and "another key" in result.output


def test_a_manifest_created_in_the_future_is_refused(project):
    forged = forge(project, release(project), resign=True, created_at="9999-01-01T00:00:00Z")
    result = cli(project, "releases", "dev")
    assert result.exit_code == 2 and "lies in the future" in result.output
    assert forged.short_id in result.output or forged.id.removeprefix("sha256:") in result.output


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"kubernetes_version": "1.99"}, "1.99"),
        (
            {
                "models": {
                    "openai": {"chat": {"model": "gpt-5.5", "version": "$(touch /tmp/pwned)", "sku": "GlobalStandard"}},
                    "inference": {},
                }
            },
            "openai.deployments.0.version",
        ),
    ],
)
def test_forged_pins_are_revalidated_on_promote(project, changes, expected):
    """Even a manifest the configured key signed (a compromised writer) cannot carry pins `validate` would refuse."""
    forge(project, release(project), resign=True, **changes)
    result = cli(project, "promote", "dev", "staging")
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "$(touch" not in result.output  # the value is not echoed


# --------------------------------------------------------------------------- item 5: approvals


def write(project: Path, record: dict[str, Any], env: str = "prod") -> None:
    path = project / ".llmops" / "approvals" / f"{env}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record))


NOW = datetime.now(UTC).replace(microsecond=0)
GOOD = {
    "environment": "prod",
    "manifest": "sha256:" + "1" * 64,
    "approved_by": "reviewer",
    "approved_at": NOW.isoformat(),
    "expires_at": (NOW + timedelta(hours=2)).isoformat(),
}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"expires_at": None}, "expires_at"),
        ({"expires_at": ""}, "not ISO-8601"),
        ({"approved_by": ["a", "b"]}, "approved_by"),
        ({"approved_by": {"name": "a"}}, "approved_by"),
        ({"expires_at": (NOW + timedelta(days=30)).isoformat()}, "more than 168 hours"),
        ({"manifest": None}, "manifest"),
        ({"manifest": "latest"}, "manifest"),
        ({"extra": "x"}, "extra"),
    ],
)
def test_a_hand_written_approval_must_follow_the_schema(project, change, reason):
    record = {**GOOD, **change}
    if change.get("expires_at") is None and "expires_at" in change:
        record.pop("expires_at")
    if "manifest" in change and change["manifest"] is None:
        record.pop("manifest")
    write(project, record)
    problem = approval_problem("prod", project)
    assert problem is not None and reason in problem
    assert approval_problem("prod", project, manifest=GOOD["manifest"]) is not None


def test_a_good_record_approves_once_checked(project):
    write(project, GOOD)
    assert approval_problem("prod", project, manifest=GOOD["manifest"]) is None
    assert "by the deployer" in approval_problem("prod", project, manifest=GOOD["manifest"], deployer="Reviewer")
    assert "release's author" in approval_problem("prod", project, manifest=GOOD["manifest"], author="reviewer")


def test_the_author_of_a_release_cannot_approve_it(project):
    manifest = release(project)
    result = cli(project, "approve", "prod", "--manifest", manifest, "--by", "author")
    assert result.exit_code == 1 and "its author cannot approve it" in result.output
    assert not (project / ".llmops" / "approvals" / "prod.json").exists()


def test_the_deployer_cannot_use_their_own_approval(project, monkeypatch):
    dev = release(project)
    monkeypatch.setenv("LLMOPS_ACTOR", "deployer")
    assert cli(project, "promote", "dev", "staging").exit_code == 0
    staging = store(project).latest("staging")
    assert staging is not None and staging.created_by == "deployer" and dev
    monkeypatch.setenv("LLMOPS_ACTOR", "author")  # someone else records prod's approval for the deployer...
    assert cli(project, "approve", "prod", "--manifest", staging.id, "--by", "release-manager").exit_code == 0
    monkeypatch.setenv("LLMOPS_ACTOR", "release-manager")  # ...but the approver deploys it themself
    result = cli(project, "promote", "staging", "prod")
    assert result.exit_code == 1 and "requires an approval" in result.output
    record = json.loads((project / ".llmops" / "approvals" / "prod.json").read_text())
    assert record["release_author"] == "deployer" and record["manifest"] == staging.id


# --------------------------------------------------------------------------- item 12: store contents


def _resealed(project: Path, manifest: str, **fields: Any) -> Path:
    path = path_of(project, manifest)
    data = json.loads(path.read_text())
    data.update(fields)
    data.pop("id")
    data.pop("signature")
    data["id"] = content_id(data)
    path.unlink()
    target = path_of(project, data["id"])
    target.write_text(json.dumps(data))
    return target


@pytest.mark.parametrize(
    ("fields", "expected"),
    [({"models": ["x"]}, "models is a list"), ({"created_at": None}, "created_at is a NoneType")],
)
def test_store_contents_of_the_wrong_type_are_bad_input(project, fields, expected):
    target = _resealed(project, release(project), **fields)
    result = cli(project, "releases", "dev")
    assert result.exit_code == 2, result.output
    assert expected in result.output and target.name in result.output


@pytest.mark.parametrize("kind", ["configs", "plans"])
def test_corrupt_configs_and_plans_are_bad_input(project, kind):
    manifest = release(project)
    release(project, "staging")  # promote compares with staging's stored plan
    for path in (project / ".llmops" / "releases" / kind).glob("*.json"):
        path.write_text("{not json")
    result = (
        cli(project, "rollback", "dev", "--to", manifest)
        if kind == "configs"
        else cli(project, "promote", "dev", "staging")
    )
    assert result.exit_code == 2, result.output
    assert f"{kind}/" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("where", ["file", "/proc", "/proc/self"])
def test_artifacts_pointing_at_a_file_or_proc_is_bad_input(project, where):
    target = str(project / "environments" / "dev.yaml") if where == "file" else where
    result = cli(project, "releases", "dev", "--artifacts", target)
    assert result.exit_code == 2, result.output
    assert "--artifacts" in result.output and ("is a file" in result.output or "is in /proc" in result.output)


@pytest.mark.parametrize("content", [bytes(range(256)) * 4, b"\x00" * 1000, b"text\x1b[2J more"])
def test_pr_comment_on_a_binary_file_is_bad_input(tmp_path, content):
    path = tmp_path / "report.md"
    path.write_bytes(content)
    result = runner.invoke(app, ["pr-comment", str(path)], env={"GITHUB_TOKEN": ""})
    assert result.exit_code == 2, result.output
    assert "report.md" in result.output and ("binary" in result.output or "UTF-8" in result.output)


def test_pr_comment_on_dev_zero_does_not_read_forever():
    result = runner.invoke(app, ["pr-comment", "/dev/zero"])
    assert result.exit_code == 2 and "not a regular file" in result.output


# --------------------------------------------------------------------------- item 15: no credential


def test_a_blob_store_without_credentials_fails_at_once_in_one_line(project, monkeypatch, tmp_path):
    for name in (
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_FEDERATED_TOKEN_FILE",
        "IDENTITY_ENDPOINT",
        "MSI_ENDPOINT",
        "AZURE_TOKEN_CREDENTIALS",
        "AZURE_USERNAME",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no az, azd or pwsh
    started = time.monotonic()
    result = cli(project, "releases", "dev", "--artifacts", "azblob://stllmops/releases")
    assert time.monotonic() - started < 5
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) <= 3 and "no Azure credential" in result.output and "az login" in result.output
    assert "DefaultAzureCredential" not in result.output


def test_a_failing_credential_chain_is_one_line(monkeypatch, tmp_path):
    """With a source present but no token (here: a service principal the fake tenant refuses), one line."""
    from llmops_infra.errors import EngineError
    from llmops_infra.release.artifacts.credentials import azure_credential

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "not-a-credential")
    with pytest.raises(EngineError) as caught:
        azure_credential("the artifact store azblob://x/y")
    assert "cannot sign in to Azure for the artifact store" in str(caught.value)
    assert "\n" not in str(caught.value)
