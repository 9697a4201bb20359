"""Bootstrap step `secrets` against a local replay of Key Vault's data plane: made from named
environment variables, kept when present, never printed."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping

import pytest
from arm_replay import ArmReplay
from seed_replay import (
    SECRET_VALUE,
    Paths,
    bootstrap,
    dev_config,
    lines,
    route_images,
    route_platform,
    run,
    set_secret_answer,
)

from llmops_infra.config.models import SecretFromEnv
from llmops_infra.engine.seed import SeedFailed
from llmops_infra.engine.seed_secrets import SECRETS_API, needed_secrets
from llmops_infra.errors import ConfigError


class Watched(Mapping[str, str]):
    """An environment that records which variables were read."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values, self.read = values, []

    def __getitem__(self, key: str) -> str:
        self.read.append(key)
        return self.values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


def _platform(replay: ArmReplay, paths: Paths) -> None:
    route_platform(replay, paths)
    route_images(replay, "acr-manifest-present")


def _puts(replay: ArmReplay) -> list[dict]:
    return [r for r in replay.requests if r["method"] == "PUT"]


def test_needed_secrets_are_the_seeded_ones_and_those_the_workloads_read():
    config = dev_config()
    needed = {s.name: s for s in needed_secrets(config)}
    assert needed["vllm-api-key"].env == "LLMOPS_VLLM_API_KEY"
    assert needed["hf-hub-token"].env == "HF_TOKEN"
    assert set(config.inference.key_vault_secrets()) <= set(needed)  # every secret the inference workloads read
    assert needed["github-runner-token"].env == "LLMOPS_GITHUB_RUNNER_TOKEN"
    unseeded = config.model_copy(update={"key_vault": config.key_vault.model_copy(update={"secrets_from_env": []})})
    plain = {s.name: s for s in needed_secrets(unseeded)}
    assert plain["hf-hub-token"].env is None and plain["hf-hub-token"].key == "inference.models[0].hub_token_secret"
    assert plain["vllm-api-key"].key == "inference.api_key_secret"
    assert plain["github-runner-token"].key == "ci.runners.github.token_secret"


def test_a_missing_secret_is_created_from_its_variable_and_its_value_appears_nowhere_else():
    config = dev_config()
    paths = Paths(config)
    with ArmReplay() as replay:
        _platform(replay, paths)
        replay.route(paths.secrets, "kv-secrets", "kv-secrets-seeded")
        replay.route(paths.secret("hf-hub-token"), set_secret_answer(SECRET_VALUE), method="PUT")
        environ = {"HF_TOKEN": f"  {SECRET_VALUE}\n", "LLMOPS_GITHUB_RUNNER_TOKEN": "unused"}
        results, records = run(bootstrap(replay, config, environ), "up")
    (put,) = _puts(replay)
    assert put["path"] == "/secrets/hf-hub-token" and put["query"] == {"api-version": SECRETS_API} and put["bearer"]
    assert json.loads(put["body"]) == {
        "value": SECRET_VALUE,
        "contentType": "text/plain",
        "tags": {"managed-by": "llmops-infra", "from-env": "HF_TOKEN"},
    }
    assert {r["name"]: r["state"] for r in results if r["step"] == "secrets"} == {
        "vllm-api-key": "present",
        "hf-hub-token": "done",
        "github-runner-token": "present",
    }
    assert any("hf-hub-token: created from HF_TOKEN (version 03bcccc7" in line for line in lines(records))
    # The vault echoed the value in its answer: only the request body carried it, nothing we kept or printed.
    assert SECRET_VALUE not in json.dumps([results, records])
    assert sum(SECRET_VALUE in r["body"] for r in replay.requests) == 1


def test_a_present_secret_is_kept_and_its_variable_is_not_even_read():
    config = dev_config()
    paths = Paths(config)
    environ = Watched({"HF_TOKEN": SECRET_VALUE})
    with ArmReplay() as replay:
        _platform(replay, paths)
        replay.route(paths.secrets, "kv-secrets-seeded")
        results, _ = run(bootstrap(replay, config, environ), "up")  # type: ignore[arg-type]
    assert [r["state"] for r in results if r["step"] == "secrets"] == ["present", "present", "present"]
    assert _puts(replay) == [] and environ.read == []


def test_an_unset_variable_stops_up_with_exit_2_naming_secret_variable_and_fix_before_any_change():
    config = dev_config()
    paths = Paths(config)
    with ArmReplay() as replay:
        _platform(replay, paths)
        replay.route(paths.secrets, "kv-secrets")
        _, records = run(bootstrap(replay, config, {}), "preview")
        assert any("hf-hub-token: up would stop here" in x and "HF_TOKEN" in x for x in lines(records))
        with pytest.raises(ConfigError) as err:
            run(bootstrap(replay, config, {}), "up")
    message = str(err.value)
    assert err.value.exit_code == 2 and err.value.key == "key_vault.secrets_from_env[1].env"
    assert "hf-hub-token" in message and "HF_TOKEN" in message and "export HF_TOKEN" in message
    assert _puts(replay) == [] and not [r for r in replay.requests if r["method"] == "POST" and "import" in r["path"]]


def test_a_referenced_secret_nobody_seeds_must_exist_and_the_error_says_how_to_make_it():
    config = dev_config()
    config = config.model_copy(
        update={
            "key_vault": config.key_vault.model_copy(
                update={"secrets_from_env": [SecretFromEnv(name="github-runner-token", env="RUNNER_TOKEN")]}
            )
        }
    )
    paths = Paths(config)
    with ArmReplay() as replay:
        _platform(replay, paths)
        replay.route(paths.secrets, "kv-secrets")
        with pytest.raises(ConfigError) as err:
            run(bootstrap(replay, config, {"HF_TOKEN": SECRET_VALUE}), "up")
    assert err.value.key == "inference.models[0].hub_token_secret"
    assert "key_vault.secrets_from_env" in str(err.value) and "az keyvault secret set" in str(err.value)


def test_a_vault_closed_to_this_machine_fails_up_with_where_to_run_and_preview_only_notes_it():
    config = dev_config()
    paths = Paths(config)
    with ArmReplay() as replay:
        _platform(replay, paths)
        replay.route(paths.secrets, "kv-forbidden-connection")
        results, _ = run(bootstrap(replay, config, {"HF_TOKEN": SECRET_VALUE}), "preview")
        assert {r["state"] for r in results if r["step"] == "secrets"} == {"unknown"}
        with pytest.raises(SeedFailed) as err:
            run(bootstrap(replay, config, {"HF_TOKEN": SECRET_VALUE}), "up")
    assert err.value.exit_code == 3
    assert "ForbiddenByConnection" in str(err.value) and "run the bootstrap from the VNet" in str(err.value)
    assert replay.hits(paths.secrets) == 2  # a 403 is not retried


def test_missing_rights_name_the_role_and_the_error_carries_no_value():
    config = dev_config()
    paths = Paths(config)
    with ArmReplay() as replay:
        _platform(replay, paths)
        replay.route(paths.secrets, "kv-secrets")
        replay.route(paths.secret("hf-hub-token"), "kv-forbidden-rbac", method="PUT")
        with pytest.raises(SeedFailed) as err:
            run(bootstrap(replay, config, {"HF_TOKEN": SECRET_VALUE}), "up")
    assert "Key Vault Secrets Officer" in str(err.value) and "ForbiddenByRbac" in str(err.value)
    assert SECRET_VALUE not in str(err.value) and SECRET_VALUE not in repr(err.value.__dict__)


def test_a_soft_deleted_secret_is_reported_with_the_recover_command_then_a_rerun_completes():
    config = dev_config()
    paths = Paths(config)
    environ = {"HF_TOKEN": SECRET_VALUE}
    with ArmReplay() as replay:
        _platform(replay, paths)
        replay.route(paths.secrets, "kv-secrets")
        replay.route(paths.secret("hf-hub-token"), "kv-deleted-conflict", method="PUT")
        with pytest.raises(SeedFailed) as err:
            run(bootstrap(replay, config, environ), "up")
        assert "az keyvault secret recover" in str(err.value) and "hf-hub-token" in str(err.value)
        replay.route(paths.secrets, "kv-secrets-seeded")  # recovered by the operator
        results, _ = run(bootstrap(replay, config, environ), "up")
    assert [r["state"] for r in results if r["step"] == "secrets"] == ["present", "present", "present"]
    assert len(_puts(replay)) == 1


def test_throttling_and_server_errors_on_the_vault_are_retried():
    config = dev_config()
    paths = Paths(config)
    waits: list[float] = []
    with ArmReplay() as replay:
        _platform(replay, paths)
        replay.route(paths.secrets, "error-throttled", "kv-secrets", "kv-secrets-seeded")
        replay.route(paths.secret("hf-hub-token"), "error-server", set_secret_answer(SECRET_VALUE), method="PUT")
        results, _ = run(bootstrap(replay, config, {"HF_TOKEN": SECRET_VALUE}, waits), "up")
    assert [r["state"] for r in results if r["step"] == "secrets"] == ["present", "done", "present"]
    assert waits == [2.0, 1.0]  # Retry-After on the list, backoff on the set
    assert len(_puts(replay)) == 2


def test_a_disabled_secret_gets_a_new_version():
    config = dev_config()
    paths = Paths(config)
    disabled = (
        200,
        {},
        {
            "value": [
                {"id": "https://v.vault.azure.net/secrets/vllm-api-key", "attributes": {"enabled": True}},
                {"id": "https://v.vault.azure.net/secrets/hf-hub-token", "attributes": {"enabled": False}},
                {"id": "https://v.vault.azure.net/secrets/github-runner-token", "attributes": {"enabled": True}},
            ]
        },
    )
    with ArmReplay() as replay:
        _platform(replay, paths)
        replay.route(paths.secrets, disabled, disabled, "kv-secrets-seeded")
        replay.route(paths.secret("hf-hub-token"), set_secret_answer(SECRET_VALUE), method="PUT")
        _, records = run(bootstrap(replay, config, {"HF_TOKEN": SECRET_VALUE}), "preview")
        assert any("disabled or expired; a new version from HF_TOKEN" in x for x in lines(records))
        results, _ = run(bootstrap(replay, config, {"HF_TOKEN": SECRET_VALUE}), "up")
    assert [r["state"] for r in results if r["step"] == "secrets"] == ["present", "done", "present"]
