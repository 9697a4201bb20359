"""Release manifests: content-addressed, pinned versions, tamper detection."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from llmops_infra.config.loader import config_digest, load_environment_with_source
from llmops_infra.release.manifest import (
    FAILED,
    PASSED,
    SCHEMA,
    Evidence,
    ManifestError,
    build_manifest,
    content_id,
    current_actor,
    parse_manifest,
    pins,
)
from llmops_infra.release.pins import apply_pins

NOW = datetime(2026, 11, 22, 3, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def dev(project_dir):
    return load_environment_with_source("dev", project_dir)


def make(dev, passed=True, **kwargs):
    config, document = dev
    return build_manifest(
        config,
        config_digest=config_digest(document),
        plan_digest="sha256:" + "ab" * 32,
        evidence=Evidence(policy_passed=passed, policy={"mandatory_failures": 0 if passed else 2}, monthly_usd=1234.5),
        now=NOW,
        actor="alice",
        **kwargs,
    )


def test_manifest_records_pinned_versions_and_evidence(dev):
    config, document = dev
    manifest = make(dev)
    assert manifest.schema == SCHEMA
    assert manifest.environment == "dev"
    assert manifest.status == PASSED
    assert manifest.config_digest == config_digest(document)
    assert manifest.kubernetes_version == config.cluster.kubernetes_version
    gpt = next(d for d in config.openai.deployments if d.name == "chat")
    assert manifest.models["openai"]["chat"] == {"model": gpt.model, "version": gpt.version, "sku": gpt.sku}
    model, loader = config.inference.models[0], config.inference.weights_loader
    assert loader is not None
    # The serving image and the weights loader's, both by digest.
    assert manifest.images == sorted([f"{model.image}@{model.image_digest}", f"{loader.image}@{loader.image_digest}"])
    assert manifest.models["inference"][model.name]["image_digest"] == model.image_digest
    assert manifest.models["inference"][model.name]["revision"] == model.revision
    assert manifest.cost["monthly_usd"] == 1234.5
    assert manifest.policy == {"passed": True, "mandatory_failures": 0}
    assert manifest.created_at == "2026-11-22T03:00:00Z"
    assert manifest.created_by == "alice"
    assert set(manifest.components) >= {"llmops-infra", "pulumi", "pulumi-azure-native"}


def test_id_is_sha256_of_canonical_content(dev):
    manifest = make(dev)
    content = manifest.content()
    assert "id" not in content
    assert manifest.id == content_id(content)
    assert manifest.id.startswith("sha256:") and len(manifest.id) == 7 + 64
    assert make(dev).id == manifest.id  # same content, same id
    assert make(dev, passed=False).id != manifest.id


def test_failed_verdict_gives_failed_status(dev):
    assert make(dev, passed=False).status == FAILED
    assert not make(dev, passed=False).passed


def test_round_trip_and_tamper_detection(dev):
    manifest = make(dev)
    assert parse_manifest(manifest.to_json(), "m.json") == manifest
    data = json.loads(manifest.to_json())
    data["models"]["openai"]["chat"]["version"] = "2099-01-01"
    with pytest.raises(ManifestError, match="does not match its content"):
        parse_manifest(json.dumps(data), "m.json")
    data = json.loads(manifest.to_json())
    data["status"] = FAILED
    data["id"] = "sha256:" + "0" * 64
    with pytest.raises(ManifestError, match="edited after it was recorded"):
        parse_manifest(json.dumps(data), "m.json")


def test_malformed_documents_are_refused():
    with pytest.raises(ManifestError, match="not a JSON release manifest"):
        parse_manifest("{nope", "x.json")
    with pytest.raises(ManifestError, match="not a release manifest"):
        parse_manifest(json.dumps({"schema": "other"}), "x.json")
    with pytest.raises(ManifestError, match="malformed"):
        parse_manifest(json.dumps({"schema": SCHEMA, "surprise": 1}), "x.json")


def test_actor_comes_from_ci_variables_first():
    assert current_actor({"GITHUB_ACTOR": "octocat", "USER": "root"}) == "octocat"
    assert current_actor({"BUILD_REQUESTEDFOR": "Ada Lovelace", "USER": "root"}) == "Ada Lovelace"
    assert current_actor({"USER": "bob"}) == "bob"


def test_pins_override_target_versions(dev, project_dir):
    manifest = make(dev)
    _, staging = load_environment_with_source("staging", project_dir)
    changed = json.loads(json.dumps(staging, default=str))
    changed["cluster"]["kubernetes_version"] = "1.35"
    for deployment in changed["openai"]["deployments"]:
        deployment["version"] = "0000-00-00"
    for model in changed["inference"]["models"]:
        model["image_digest"] = "sha256:" + "1" * 64
    pinned, notes = apply_pins(changed, manifest)
    assert pinned["cluster"]["kubernetes_version"] == manifest.kubernetes_version
    assert {d["name"]: d["version"] for d in pinned["openai"]["deployments"]} == {
        name: pin["version"] for name, pin in manifest.models["openai"].items()
    }
    # staging serves another model with the same image repository: it gets the release's digest
    digests = dict(ref.split("@") for ref in manifest.images)
    assert [m["image_digest"] for m in pinned["inference"]["models"]] == [digests["vllm/vllm-openai"]]
    assert pinned["inference"]["weights_loader"]["image_digest"] == digests["azure-cli"]
    # The revision moves with the model of the same name only (staging's model is another one).
    assert [m["revision"] for m in pinned["inference"]["models"]] == [
        m["revision"] for m in changed["inference"]["models"]
    ]
    assert changed["cluster"]["kubernetes_version"] == "1.35"  # the input is not modified
    assert notes == []


def test_unmatched_pins_are_reported(dev):
    manifest = make(dev)
    document = {
        "openai": {"deployments": [{"name": "other", "version": "1"}]},
        "inference": {"models": [{"name": "x", "image": "acme/server", "image_digest": "sha256:" + "2" * 64}]},
    }
    pinned, notes = apply_pins(document, manifest)
    assert pinned["openai"]["deployments"][0]["version"] == "1"
    assert pinned["inference"]["models"][0]["image_digest"] == "sha256:" + "2" * 64
    assert len(notes) == 2 and "'other'" in notes[0] and "'x'" in notes[1]


def test_pins_of_config(dev):
    config, _ = dev
    pinned = pins(config)
    assert pinned["kubernetes_version"] == config.cluster.kubernetes_version
    assert sorted(pinned["models"]["openai"]) == sorted(d.name for d in config.openai.deployments)


def test_a_model_of_the_same_name_gets_the_release_weights_revision(dev):
    manifest = make(dev)
    [(name, pin)] = manifest.models["inference"].items()
    document = {
        "inference": {
            "models": [
                {"name": name, "image": pin["image"], "image_digest": "sha256:" + "3" * 64, "revision": "0" * 40}
            ]
        }
    }
    pinned, notes = apply_pins(document, manifest)
    [model] = pinned["inference"]["models"]
    assert (model["revision"], model["image_digest"]) == (pin["revision"], pin["image_digest"])
    assert notes == []
