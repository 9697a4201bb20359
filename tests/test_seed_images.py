"""Bootstrap step `images` against a local replay of ARM and the registry's data plane."""

from __future__ import annotations

import json

import pytest
from arm_replay import ArmReplay
from seed_replay import (
    FLOW,
    FLOW_DIGEST,
    LOADER,
    LOADER_DIGEST,
    VLLM,
    VLLM_DIGEST,
    Paths,
    bootstrap,
    dev_config,
    lines,
    route_images,
    route_import,
    route_platform,
    run,
)

from llmops_infra.config.models import ImportCredentials
from llmops_infra.engine.seed import SeedFailed
from llmops_infra.engine.seed_images import PLACEHOLDER_DIGEST, pinned_images
from llmops_infra.errors import ConfigError

SECRETS_PRESENT = "kv-secrets-seeded"


def _vault(replay: ArmReplay) -> None:
    replay.route("/secrets", SECRETS_PRESENT)


def _imports(replay: ArmReplay) -> list[dict]:
    return [
        json.loads(r["body"]) for r in replay.requests if r["method"] == "POST" and r["path"].endswith("/importImage")
    ]


def test_pinned_images_come_from_the_config_with_their_sources_and_keys():
    config = dev_config()
    images = {i.repository: i for i in pinned_images(config)}
    assert set(images) == {VLLM, LOADER, FLOW}
    assert (images[LOADER].digest, images[LOADER].source, images[LOADER].key) == (
        LOADER_DIGEST,
        "mcr.microsoft.com",
        "inference.weights_loader.image_digest",
    )
    # Everything the inference workloads pull (InferenceConfig.pinned_images) is imported.
    assert set(config.inference.pinned_images()) <= {i.ref for i in images.values()}
    assert (images[VLLM].digest, images[VLLM].source, images[VLLM].key) == (
        VLLM_DIGEST,
        "docker.io",
        "inference.models[0].image_digest",
    )
    assert (images[FLOW].source, images[FLOW].key) == ("mcr.microsoft.com", "ml.flow_image.digest")
    aks = config.model_copy(update={"cluster": config.cluster.model_copy(update={"gpu_driver": "aks"})})
    extra = {i.repository: i.source for i in pinned_images(aks)}
    assert extra["nvidia/k8s-device-plugin"] == "nvcr.io" and extra["nvidia/k8s/dcgm-exporter"] == "nvcr.io"


def test_preview_reports_what_is_missing_and_writes_nothing():
    config = dev_config()
    paths = Paths(config)
    with ArmReplay() as replay:
        route_platform(replay, paths)
        route_images(replay, "acr-manifest-unknown")
        _vault(replay)
        results, records = run(bootstrap(replay, config), "preview")
    images = [r for r in results if r["step"] == "images"]
    assert [(r["name"].split("@")[0], r["state"]) for r in images] == [
        (VLLM, "missing"),
        (LOADER, "missing"),
        (FLOW, "missing"),
    ]
    assert any("would import (from docker.io)" in line for line in lines(records))
    assert not [r for r in replay.requests if r["method"] in ("POST", "PUT") and "oauth2" not in r["path"]]


def test_up_imports_by_digest_follows_the_operation_and_verifies_then_a_rerun_imports_nothing():
    config = dev_config()
    paths = Paths(config)
    waits: list[float] = []
    with ArmReplay() as replay:
        route_platform(replay, paths)
        _vault(replay)
        route_images(replay, "acr-manifest-unknown", "acr-manifest-present")
        route_import(replay, paths, "arm-operation-running", "arm-operation-succeeded")
        results, records = run(bootstrap(replay, config, waits=waits), "up")
        assert [r["state"] for r in results if r["step"] == "images"] == ["done", "done", "done"]
        bodies = _imports(replay)
        assert bodies[0] == {
            "source": {"registryUri": "docker.io", "sourceImage": f"{VLLM}@{VLLM_DIGEST}"},
            "untaggedTargetRepositories": [VLLM],
            "mode": "NoForce",
        }
        assert bodies[1]["source"] == {"registryUri": "mcr.microsoft.com", "sourceImage": f"{LOADER}@{LOADER_DIGEST}"}
        assert bodies[2]["source"] == {"registryUri": "mcr.microsoft.com", "sourceImage": f"{FLOW}@{FLOW_DIGEST}"}
        assert 10.0 in waits  # Retry-After of the running operation
        assert any("imported from docker.io" in line and "(verified)" in line for line in lines(records))
        assert all(r["bearer"] for r in replay.requests if r["path"] == paths.import_image)

        replay.requests.clear()
        again, _ = run(bootstrap(replay, config), "up")
    assert [r["state"] for r in again if r["step"] == "images"] == ["present", "present", "present"]
    assert _imports(replay) == []


def test_a_registry_closed_to_this_machine_is_imported_into_anyway_the_import_being_the_check():
    config = dev_config()
    paths = Paths(config)
    with ArmReplay() as replay:
        route_platform(replay, paths)
        _vault(replay)
        replay.route("/oauth2/exchange", "acr-refused-network", method="POST")  # its firewall: every data-plane call
        route_import(replay, paths, "arm-operation-succeeded")
        results, records = run(bootstrap(replay, config), "up")
    assert [r["state"] for r in results if r["step"] == "images"] == ["done", "done", "done"]
    assert any("the import is the check" in line and "403 DENIED" in line for line in lines(records))


def test_import_refused_by_arm_names_the_role_to_grant_and_stops_before_the_secrets():
    config = dev_config()
    paths = Paths(config)
    with ArmReplay() as replay:
        route_platform(replay, paths)
        _vault(replay)
        route_images(replay, "acr-manifest-unknown")
        replay.route(paths.import_image, "error-forbidden", method="POST")
        with pytest.raises(SeedFailed) as err:
            run(bootstrap(replay, config), "up")
    assert err.value.exit_code == 3
    assert "Container Registry Data Importer and Data Reader" in str(err.value)
    assert replay.hits(paths.import_image) == 1  # 403 is not retried
    assert replay.hits("/secrets") == 1  # checked before anything was made, never changed
    assert not [r for r in replay.requests if r["method"] == "PUT"]


def test_a_failed_import_fails_the_step_and_a_rerun_picks_up_where_it_stopped():
    config = dev_config()
    paths = Paths(config)
    with ArmReplay() as replay:
        route_platform(replay, paths)
        _vault(replay)
        route_images(replay, "acr-manifest-unknown")
        route_import(replay, paths, "arm-operation-failed")
        with pytest.raises(SeedFailed) as err:
            run(bootstrap(replay, config), "up")
        assert "InvalidParameters" in str(err.value) and "a rerun retries" in str(err.value)
        route_images(replay, "acr-manifest-unknown", "acr-manifest-present")
        route_import(replay, paths, "arm-operation-succeeded")
        results, _ = run(bootstrap(replay, config), "up")
    assert [r["state"] for r in results if r["step"] == "images"] == ["done", "done", "done"]


def test_throttled_and_failing_imports_are_retried_with_the_shared_retry_code():
    config = dev_config()
    paths = Paths(config)
    waits: list[float] = []
    with ArmReplay() as replay:
        route_platform(replay, paths)
        _vault(replay)
        route_images(replay, "acr-manifest-unknown", "acr-manifest-present")
        replay.route(paths.import_image, "error-throttled", "error-server", "acr-import-image#200", method="POST")
        results, _ = run(bootstrap(replay, config, waits=waits), "up")
    assert [r["state"] for r in results if r["step"] == "images"] == ["done", "done", "done"]
    assert waits[:2] == [2.0, 2.0]  # Retry-After 2, then the backoff's second wait
    assert replay.hits(paths.import_image) == 5  # three for the first image, one for each other


def test_the_placeholder_digest_blocks_up_with_exit_2_before_anything_is_imported():
    config = dev_config(flow_digest=PLACEHOLDER_DIGEST)
    paths = Paths(config)
    with ArmReplay() as replay:
        route_platform(replay, paths)
        _vault(replay)
        route_images(replay, "acr-manifest-unknown")
        _, records = run(bootstrap(replay, config), "preview")
        assert any("up would stop here: ml.flow_image.digest is the shipped placeholder" in x for x in lines(records))
        with pytest.raises(ConfigError) as err:
            run(bootstrap(replay, config), "up")
    assert err.value.exit_code == 2 and err.value.key == "ml.flow_image.digest"
    assert "docs/first-up.md" in str(err.value)
    assert _imports(replay) == []


def test_before_the_platform_exists_preview_waits_and_up_refuses():
    config = dev_config()
    paths = Paths(config)
    with ArmReplay() as replay:  # no route: ARM answers 404 for the registry and the vault
        results, records = run(bootstrap(replay, config), "preview")
        assert {r["state"] for r in results} == {"waiting"}
        assert any("would import once the platform stack exists" in x for x in lines(records))
        with pytest.raises(SeedFailed) as err:
            run(bootstrap(replay, config), "up")
    assert "the platform stack creates it" in str(err.value)
    assert replay.hits(paths.registry) == 2


def test_a_registry_that_lets_no_trusted_service_through_fails_with_the_fix():
    config = dev_config()
    paths = Paths(config)
    with ArmReplay() as replay:
        route_platform(replay, paths)
        closed = (
            200,
            {},
            {
                "name": "r",
                "properties": {
                    "loginServer": "r.azurecr.io",
                    "publicNetworkAccess": "Disabled",
                    "networkRuleBypassOptions": "None",
                },
            },
        )
        replay.route(paths.registry, closed)
        _vault(replay)
        with pytest.raises(SeedFailed) as err:
            run(bootstrap(replay, config), "up")
    assert "networkRuleBypassOptions" in str(err.value) and "AzureServices" in str(err.value)


def test_import_credentials_come_from_the_named_variables_and_are_never_reported():
    config = dev_config()
    credentials = ImportCredentials(registry="docker.io", username_env="DOCKERHUB_USER", password_env="DOCKERHUB_TOKEN")
    registry = config.registry.model_copy(update={"import_credentials": [credentials]})
    config = config.model_copy(update={"registry": registry})
    paths = Paths(config)
    environ = {"DOCKERHUB_USER": "someone", "DOCKERHUB_TOKEN": "dckr_pat_NeverPrintThis"}
    with ArmReplay() as replay:
        route_platform(replay, paths)
        _vault(replay)
        route_images(replay, "acr-manifest-unknown", "acr-manifest-present")
        route_import(replay, paths, "arm-operation-succeeded")
        results, records = run(bootstrap(replay, config, environ), "up")
    first = _imports(replay)[0]
    assert first["source"]["credentials"] == {"username": "someone", "password": "dckr_pat_NeverPrintThis"}
    assert "credentials" not in _imports(replay)[1]["source"]  # MCR: no credentials configured
    assert "dckr_pat_NeverPrintThis" not in json.dumps([results, records])


def test_verify_is_the_workload_stacks_gate_when_it_runs_alone():
    config = dev_config()
    paths = Paths(config)
    with ArmReplay() as replay:
        route_platform(replay, paths)
        _vault(replay)
        route_images(replay, "acr-manifest-present")
        results, records = run(bootstrap(replay, config), "verify")
        assert all(r["status"] == "present" for r in records if r["event"] == "step" and "." in r["step"])
        assert {r["state"] for r in results} == {"present"}
        route_images(replay, "acr-manifest-unknown")
        with pytest.raises(SeedFailed) as err:
            run(bootstrap(replay, config), "verify")
    assert "images vllm/vllm-openai@sha256:61fc8a896b0a… (missing)" in str(err.value)
    assert "--only bootstrap" in str(err.value)
    assert _imports(replay) == []  # verify never writes
