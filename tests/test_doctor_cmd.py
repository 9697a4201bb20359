"""`doctor`: JSON shape, what to do for each missing piece, and exit codes 0 / 2 / 3."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from llmops_infra.cli.app import app
from llmops_infra.engine import azure_access, doctor
from llmops_infra.engine import pulumi_cli as engine
from llmops_infra.engine.azure_access import CredentialStatus
from llmops_infra.engine.pulumi_cli import EngineInfo

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()

FOUND = EngineInfo(
    Path("/opt/llmops/bin/pulumi"), "3.259.0", "3.272.0", "cache", Path("/opt/llmops/bin/pulumi-language-python"), {}
)
MISSING = EngineInfo(None, None, "3.272.0", None, None, {})
CREDS_OK = CredentialStatus(True, ["Azure CLI"], "an Azure Resource Manager token was obtained")
CREDS_NO = CredentialStatus(False, [], "no Azure credentials: nothing", azure_access.CREDENTIALS_FIX)


def pulumi_home(project: Path, *, plugins: bool = True) -> Path:
    """A PULUMI_HOME holding (or not) the provider plugins the installed SDKs need."""
    from importlib.metadata import version

    home = project / "pulumi-home"
    (home / "plugins").mkdir(parents=True, exist_ok=True)
    if plugins:
        for name, dist in (("azure-native", "pulumi-azure-native"), ("kubernetes", "pulumi-kubernetes")):
            (home / "plugins" / f"resource-{name}-v{version(dist)}").mkdir()
    return home


def run(monkeypatch, project, info, creds, *args, env=None, plugins=True):
    monkeypatch.setenv("PULUMI_HOME", str(pulumi_home(project, plugins=plugins)))
    monkeypatch.setattr(engine, "locate_engine", lambda: info)
    monkeypatch.setattr(azure_access, "check_credentials", lambda *a, **k: creds)
    for name in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    return runner.invoke(app, ["doctor", "--project-dir", str(project), *args])


def test_everything_present_exits_0(monkeypatch, project):
    result = run(monkeypatch, project, FOUND, CREDS_OK, "--format", "json", env={"PULUMI_CONFIG_PASSPHRASE": "x"})
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) >= {"pulumi", "language_host", "backend", "credentials"}
    assert report["pulumi"] == {
        "found": True,
        "path": "/opt/llmops/bin/pulumi",
        "version": "3.259.0",
        "sdk_version": "3.272.0",
        "matches_sdk": False,
        "source": "cache",
        "note": report["pulumi"]["note"],
    }
    assert report["language_host"] == {"found": True, "path": "/opt/llmops/bin/pulumi-language-python"}
    dev = report["backend"]["dev"]
    assert dev["kind"] == "file" and dev["path"] == str((project / ".llmops" / "state").resolve())
    assert dev["ok"] and dev["passphrase_set"] is True
    assert sorted(report["backend"]) == ["dev", "prod", "staging"]
    assert not (project / ".llmops").exists()  # doctor does not create the state directory
    assert report["credentials"]["ok"] and report["exit_code"] == 0


def test_missing_cli_and_credentials_exit_3_with_fixes(monkeypatch, project):
    result = run(monkeypatch, project, MISSING, CREDS_NO, "--format", "json", env={"PULUMI_CONFIG_PASSPHRASE": "x"})
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert report["pulumi"]["found"] is False and report["pulumi"]["path"] is None
    assert "`llmops-infra engine install`" in report["pulumi"]["fix"]
    assert report["language_host"]["found"] is False and "policy pack" in report["language_host"]["fix"]
    assert report["credentials"]["ok"] is False and "az login" in report["credentials"]["fix"]


def test_missing_provider_plugins_exit_3(monkeypatch, project):
    from importlib.metadata import version

    result = run(
        monkeypatch, project, FOUND, CREDS_OK, "--format", "json", env={"PULUMI_CONFIG_PASSPHRASE": "x"}, plugins=False
    )
    assert result.exit_code == 3
    plugin = json.loads(result.stdout)["plugins"]["azure-native"]
    assert plugin["found"] is False and plugin["version"] == version("pulumi-azure-native")
    assert f"pulumi plugin install resource azure-native {plugin['version']}" in plugin["fix"]


def test_missing_passphrase_exits_2(monkeypatch, project):
    result = run(monkeypatch, project, FOUND, CREDS_OK, "--format", "json", "--env", "dev")
    assert result.exit_code == 2
    entry = json.loads(result.stdout)["backend"]["dev"]
    assert entry["passphrase_set"] is False and "PULUMI_CONFIG_PASSPHRASE" in entry["secrets_fix"]


def test_broken_environment_file_exits_2(monkeypatch, project):
    (project / "environments" / "dev.yaml").write_text("bogus_key: 1\n")
    result = run(monkeypatch, project, FOUND, CREDS_OK, "--format", "json", env={"PULUMI_CONFIG_PASSPHRASE": "x"})
    assert result.exit_code == 2
    assert "bogus_key" in json.loads(result.stdout)["backend"]["dev"]["error"]


def test_table_names_each_check_and_its_fix(monkeypatch, project):
    result = run(monkeypatch, project, MISSING, CREDS_NO, "--env", "dev")
    assert result.exit_code == 3
    for text in ("pulumi CLI", "language host", "backend dev", "secrets dev", "azure credentials", "login"):
        assert text in result.stdout


def test_azblob_backend_needs_a_storage_account(tmp_path):
    entry = doctor._backend_entry("azblob://state", "passphrase", tmp_path, {})
    assert entry["kind"] == "azblob" and not entry["ok"] and "AZURE_STORAGE_ACCOUNT" in entry["fix"]
    named = doctor._backend_entry("azblob://state?storage_account=stllmops", "azurekeyvault://kv/keys/k", tmp_path, {})
    assert named["ok"] and named["storage_account"] == "stllmops" and named["passphrase_set"] is None


def test_cloud_backend_needs_a_token(tmp_path):
    entry = doctor._backend_entry(
        "https://api.pulumi.com", "passphrase", tmp_path, {"PULUMI_ACCESS_TOKEN": "x", "PULUMI_CONFIG_PASSPHRASE": ""}
    )
    assert entry["kind"] == "pulumi-cloud" and entry["ok"] and entry["passphrase_set"]


def test_real_lookup_answers_fast_offline(project, monkeypatch):
    """The real credential chain fails at once here (no network, no az): exit 3, never a hang."""
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "x")
    report = doctor.doctor_report(project, envs=["dev"], engine=FOUND)
    assert report["credentials"]["ok"] is False and report["exit_code"] == 3


def test_unknown_env_option_is_bad_input(monkeypatch, project):
    result = run(monkeypatch, project, FOUND, CREDS_NO, "--env", "../etc")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.count("error:") == 1 and "unknown environment '../etc'" in result.stderr


def test_table_prints_bracketed_details_literally(monkeypatch, project):
    # the credentials row ends with "[no source configured]": rich markup used to swallow it
    from llmops_infra.cli import common

    monkeypatch.setattr(common.console, "width", 400)
    result = run(monkeypatch, project, MISSING, CREDS_NO, "--env", "dev")
    assert "[no source configured]" in result.stdout
