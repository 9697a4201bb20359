"""Engine failures become one clear message with the fix and exit code 2 or 3 (texts from real runs)."""

from __future__ import annotations

import os

import pytest
from pulumi.automation import errors as auto_errors
from pulumi.automation._cmd import CommandResult

from llmops_infra.engine import errors as engine_errors
from llmops_infra.engine.errors import (
    PendingOperationsError,
    SoftDeletedNameError,
    StackLockedError,
    translate,
)
from llmops_infra.engine.errors import (
    engine_errors as guard,
)
from llmops_infra.errors import ConfigError, EngineError, PolicyViolationError


def command_error(stderr: str = "", stdout: str = "", code: int = 1) -> auto_errors.CommandError:
    return auto_errors.create_command_error(CommandResult(stdout, stderr, code))


# Verbatim from the file backend (pulumi v3.259.0) while another update ran.
LOCKED = (
    "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete "
    "the lock file with `pulumi cancel`.\n  file:///tmp/p/.llmops/state/.pulumi/locks/organization/llmops/dev/"
    "f06ac632-6e4b-4b02-ab85-f7dd5bd12ea5.json?no_tmp_dir=true: created by alice@build-7 (pid 28186) at "
    "2026-11-22T02:32:04Z"
)


def test_locked_stack_names_holder_time_and_the_fix():
    error = translate(command_error(LOCKED), "dev")
    assert isinstance(error, StackLockedError) and error.exit_code == 3
    text = str(error)
    assert "alice@build-7 (pid 28186) since 2026-11-22T02:32:04Z" in text
    assert "llmops-infra cancel dev" in text
    assert (
        "/tmp/p/.llmops/state/.pulumi/locks/organization/llmops/dev/f06ac632-6e4b-4b02-ab85-f7dd5bd12ea5.json" in text
    )
    assert "?no_tmp_dir" not in text


def test_a_lock_whose_process_is_gone_on_this_host_is_called_stale(monkeypatch):
    monkeypatch.setattr(engine_errors.socket, "gethostname", lambda: "build-7")
    monkeypatch.setattr(engine_errors, "_alive", lambda pid: False)
    assert "the lock is stale" in str(translate(command_error(LOCKED), "dev"))
    monkeypatch.setattr(engine_errors, "_alive", lambda pid: True)
    assert "the lock is stale" not in str(translate(command_error(LOCKED), "dev"))


def test_cloud_conflict_is_a_lock_too():
    error = translate(command_error("error: [409] Conflict: Another update is currently in progress."), "prod")
    assert isinstance(error, StackLockedError)
    assert "llmops-infra cancel prod" in str(error)


def test_pending_operations_explain_the_recovery():
    text = (
        "error: the current deployment has 1 resource(s) with pending operations:\n"
        "  * urn:pulumi:dev::llmops::azure-native:keyvault:Vault::kv-vault, interrupted while creating\n"
    )
    error = translate(command_error(text), "dev")
    assert isinstance(error, PendingOperationsError) and error.exit_code == 3
    assert "kv-vault (creating)" in str(error)
    assert "llmops-infra refresh dev --clear-pending-creates" in str(error)
    assert "pulumi stack export" in str(error) and "pulumi stack import" in str(error)


@pytest.mark.parametrize(
    "text",
    [
        'error: Code="VaultAlreadyExists" Message="The vault name \'kv-llmops-dev-eus\' is already in use."',
        'error: autorest/azure: Service returned an error. Status=409 Code="FlagMustBeSetForRestore" Message="An '
        "existing resource with ID '/subscriptions/x/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/"
        "oai-llmops-dev' has been soft-deleted. To restore the resource, you must specify 'restore' to be 'true'\"",
        'error: Code="CustomDomainInUse" Message="Custom domain name is not available."',
    ],
)
def test_soft_deleted_names_say_recover_or_purge(text):
    error = translate(command_error(text), "dev")
    assert isinstance(error, SoftDeletedNameError)
    assert "az keyvault recover" in str(error) and "purge" in str(error)


def test_soft_deleted_account_is_named():
    text = (
        'error: Code="FlagMustBeSetForRestore" ID \'/subscriptions/x/providers/Microsoft.CognitiveServices/'
        "accounts/oai-llmops-dev' has been soft-deleted"
    )
    assert "oai-llmops-dev" in str(translate(command_error(text), "dev"))


def test_killed_engine_says_cancel_then_refresh():
    error = translate(command_error("", code=-9), "dev")
    assert isinstance(error, EngineError)
    assert "signal 9" in str(error)
    assert "llmops-infra cancel dev" in str(error) and "--clear-pending-creates" in str(error)


def test_missing_passphrase_is_bad_input():
    text = 'error: constructing secrets manager of type "passphrase": passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables'
    error = translate(command_error(text), "dev")
    assert isinstance(error, ConfigError) and error.exit_code == 2


def test_stack_not_found():
    error = translate(command_error("error: no stack named 'dev' found"), "dev")
    assert isinstance(error, ConfigError) and "llmops-infra up dev" in str(error)


def test_mandatory_policy_violation_is_exit_1():
    text = "error: preview failed\nPolicy Violations:\n    [mandatory]  llmops v0.1.0  kv-01 (kv: Vault)"
    error = translate(command_error(text), "dev")
    assert isinstance(error, PolicyViolationError) and error.exit_code == 1


def test_missing_provider_plugin_says_how_to_install():
    text = "error: no resource plugin 'pulumi-resource-azure-native' found in the workspace at version v3.29.0"
    assert "pulumi plugin install resource azure-native" in str(translate(command_error(text), "dev"))


def test_plugin_that_cannot_be_downloaded():
    # Verbatim from `preview dev` here (no internet, no azure-native plugin).
    text = (
        "error: Could not automatically download and install resource plugin 'pulumi-resource-azure-native' at "
        "version v3.29.0, install the plugin using `pulumi plugin install resource azure-native v3.29.0`: error "
        "downloading provider azure-native to file: failed to download plugin: azure-native-3.29.0: failed all 5 "
        "attempts"
    )
    message = str(translate(command_error(stdout=text), "dev"))
    assert "provider plugin azure-native v3.29.0 is not installed" in message
    assert "pulumi plugin install resource azure-native 3.29.0 --file" in message


def test_program_error_quotes_the_error_lines_only():
    text = (
        "error: python inline source runtime error: boom from program\n"
        "error: an unhandled error occurred: python inline source runtime error: boom from program"
    )
    error = translate(command_error(stdout=text), "dev")
    assert type(error) is EngineError
    assert "boom from program" in str(error) and "Traceback" not in str(error)


def test_invalid_version_and_unrelated_errors():
    assert isinstance(translate(auto_errors.InvalidVersionError("too old"), "dev"), EngineError)
    assert translate(KeyError("x"), "dev") is None


def test_guard_turns_engine_errors_into_known_ones_and_keeps_bugs():
    with pytest.raises(StackLockedError), guard("dev"):
        raise command_error(LOCKED)
    with pytest.raises(engine_errors.EngineError, match=r"llmops-infra engine install"), guard("dev"):
        raise FileNotFoundError(2, "No such file", "/x/bin/pulumi")
    with pytest.raises(ZeroDivisionError), guard("dev"):
        raise ZeroDivisionError()


def test_alive_checks_a_real_pid():
    assert engine_errors._alive(os.getpid())


def test_a_zombie_counts_as_gone():
    import subprocess
    import sys
    import time

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while engine_errors._alive(child.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not engine_errors._alive(child.pid)  # exited, not yet reaped by us: a zombie
    child.wait()
