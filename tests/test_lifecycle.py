"""Lifecycle without the engine: backend resolution, passphrase rules, stack config, a missing CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmops_infra.config.loader import load_environment
from llmops_infra.engine import lifecycle, state_checks
from llmops_infra.engine.pulumi_cli import EngineInfo, EngineMissingError
from llmops_infra.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent
NO_ENGINE = EngineInfo(None, None, "3.272.0", None, None, {})


@pytest.fixture(scope="module")
def dev():
    return load_environment("dev", REPO)


def test_file_backend_is_resolved_against_the_project_and_created(tmp_path):
    url = lifecycle.backend_url("file://.llmops/state", tmp_path)
    assert url == f"file://{(tmp_path / '.llmops' / 'state').resolve()}"
    assert (tmp_path / ".llmops" / "state").is_dir()


def test_absolute_and_remote_backends_are_kept(tmp_path):
    assert lifecycle.backend_url(f"file://{tmp_path}/abs", tmp_path, create=False) == f"file://{tmp_path}/abs"
    assert not (tmp_path / "abs").exists()
    assert lifecycle.backend_url("azblob://state", tmp_path) == "azblob://state"


def test_uncreatable_state_directory_is_a_config_error(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match="cannot create the state directory"):
        lifecycle.backend_url("file://file/state", tmp_path)


def test_passphrase_must_come_from_the_environment(tmp_path):
    with pytest.raises(ConfigError) as err:
        lifecycle.check_passphrase("passphrase", tmp_path, env={})
    assert err.value.exit_code == 2 and "PULUMI_CONFIG_PASSPHRASE is not set" in str(err.value)
    lifecycle.check_passphrase("passphrase", tmp_path, env={"PULUMI_CONFIG_PASSPHRASE": ""})
    lifecycle.check_passphrase("azurekeyvault://kv.vault.azure.net/keys/state", tmp_path, env={})


def test_passphrase_file_inside_the_repository_is_refused(tmp_path):
    inside = tmp_path / "secrets" / "passphrase.txt"
    with pytest.raises(ConfigError, match="points into the project"):
        lifecycle.check_passphrase("passphrase", tmp_path, env={"PULUMI_CONFIG_PASSPHRASE_FILE": str(inside)})
    outside = tmp_path.parent / "elsewhere.txt"
    lifecycle.check_passphrase("passphrase", tmp_path, env={"PULUMI_CONFIG_PASSPHRASE_FILE": str(outside)})


def test_stack_target_carries_azure_config(dev, tmp_path):
    target = lifecycle.stack_target(dev, tmp_path, extra_config={"app:token": ("t", True)})
    assert target.stack == "dev" and target.project == "llmops"
    assert target.secrets_provider == "passphrase"
    assert target.work_dir == tmp_path / ".llmops" / "workspaces" / "dev" / "llmops"
    platform = lifecycle.stack_target(dev, tmp_path, project="llmops-platform")
    assert platform.work_dir == tmp_path / ".llmops" / "workspaces" / "dev" / "llmops-platform"
    assert target.config["azure-native:location"] == ("eastus", False)
    assert target.config["azure-native:subscriptionId"] == ("11111111-1111-4111-8111-111111111111", False)
    assert target.config["azure-native:tenantId"] == ("aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", False)
    assert target.config["azure-native:useDefaultAzureCredential"] == ("true", False)
    assert target.config["app:token"] == ("t", True)


def test_up_without_a_cli_says_what_is_missing(dev, tmp_path, monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "x")
    with pytest.raises(EngineMissingError) as err:
        lifecycle.up(dev, tmp_path, program=lambda: None, engine=NO_ENGINE)
    assert err.value.exit_code == 3
    assert "`llmops-infra engine install`" in str(err.value)


def test_missing_passphrase_stops_before_the_engine(dev, tmp_path, monkeypatch):
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)
    with pytest.raises(ConfigError, match="PULUMI_CONFIG_PASSPHRASE is not set"):
        lifecycle.preview(dev, tmp_path, program=lambda: None, engine=NO_ENGINE)


class FakeStack:
    def __init__(self, pending):
        self.pending = pending

    def export_stack(self):
        class Deployment:
            deployment = {"pending_operations": self.pending}

        return Deployment()


def test_pending_operations_are_read_from_the_exported_state():
    stack = FakeStack([{"resource": {"urn": "urn:pulumi:dev::llmops::t::kv"}, "type": "creating"}])
    assert lifecycle.pending_operations(stack) == [{"urn": "urn:pulumi:dev::llmops::t::kv", "type": "creating"}]
    assert lifecycle.pending_operations(FakeStack(None)) == []


def test_up_refuses_to_run_over_pending_operations():
    from llmops_infra.engine.errors import PendingOperationsError

    stack = FakeStack([{"resource": {"urn": "urn:pulumi:dev::llmops::t::kv"}, "type": "creating"}])
    with pytest.raises(PendingOperationsError) as err:
        lifecycle.refuse_pending(stack, "dev")
    assert "kv (creating)" in str(err.value) and "--clear-pending-creates" in str(err.value)


def test_operation_result_is_json_ready():
    result = lifecycle.OperationResult("up", "dev", {"created": 1}, [{"urn": "u", "op": "create"}], {"a": 1})
    assert result.as_dict() == {
        "operation": "up",
        "stack": "dev",
        "summary": {"created": 1},
        "changes": [{"urn": "u", "op": "create"}],
        "outputs": {"a": 1},
        "policy": [],
        "bootstrap": [],
    }


def test_stack_target_paths_are_absolute_for_a_relative_project_dir(dev, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = lifecycle.stack_target(dev, Path())
    assert Path(target.work_dir).is_absolute()
    assert Path(target.work_dir) == tmp_path.resolve() / ".llmops" / "workspaces" / "dev" / "llmops"
    assert target.backend_url == f"file://{tmp_path.resolve()}/.llmops/state"


def test_file_state_is_refused_in_ci_unless_allowed(dev, tmp_path, monkeypatch):
    state_checks.check_state_location("file://.llmops/state", {})  # a person trying it: fine
    state_checks.check_state_location("azblob://pulumi-state?storage_account=st1", {"CI": "true"})
    with pytest.raises(ConfigError, match="CI=true") as err:
        state_checks.check_state_location("file://.llmops/state", {"CI": "true"})
    assert err.value.key == "state.url" and "bootstrap" in str(err.value)
    state_checks.check_state_location("file://.llmops/state", {"CI": "true", "LLMOPS_ALLOW_LOCAL_STATE": "1"})
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv("LLMOPS_ALLOW_LOCAL_STATE", raising=False)
    with pytest.raises(ConfigError, match="--allow-local-state"):
        lifecycle.stack_target(dev, tmp_path)  # every engine operation opens its stack through this


def test_an_unexpanded_azure_devops_macro_is_not_a_passphrase(tmp_path):
    with pytest.raises(ConfigError, match="unexpanded Azure DevOps macro"):
        lifecycle.check_passphrase("passphrase", tmp_path, {"PULUMI_CONFIG_PASSPHRASE": "$(PULUMI_CONFIG_PASSPHRASE)"})


def test_pulumi_cloud_needs_a_token_and_uses_the_service_secrets_provider(dev, tmp_path, monkeypatch):
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "home"))
    with pytest.raises(ConfigError, match="PULUMI_ACCESS_TOKEN is not set"):
        state_checks.check_cloud_login("https://api.pulumi.com", {"PULUMI_HOME": str(tmp_path / "home")})
    state_checks.check_cloud_login("https://api.pulumi.com", {"PULUMI_ACCESS_TOKEN": "pul-x"})
    state_checks.check_cloud_login("azblob://pulumi-state", {})
    cloud = dev.model_copy(
        update={"state": dev.state.model_copy(update={"url": "https://api.pulumi.com", "secrets_provider": "service"})}
    )
    target = lifecycle.stack_target(cloud, tmp_path)
    assert target.secrets_provider == "default" and target.backend_url == "https://api.pulumi.com"
