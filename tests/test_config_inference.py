"""Config of the inference services: pinned weights, the loader image, Entra ID's ranges."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from llmops_infra.components.egress import ENTRA_ID_CIDRS
from llmops_infra.config.inference import InferenceConfig, InferenceModel

REVISION = "aa8e72537993ba99e69dfaafa59ed015b17504d1"
DIGEST = "sha256:" + "ab" * 32
MODEL = {
    "name": "qwen-3b",
    "model": "Qwen/Qwen2.5-3B-Instruct",
    "revision": REVISION,
    "image_digest": DIGEST,
    "gpu_pool": "gput4",
    "weights_gb": 7,
}
LOADER = {"image": "azure-cli", "image_digest": DIGEST}


def test_a_model_pins_its_weights_revision_and_size() -> None:
    model = InferenceModel.model_validate(MODEL)
    assert model.checkpoint_gb == 7  # served as published: the files are the GPU-resident size
    assert InferenceModel.model_validate({**MODEL, "weights_disk_gb": 14}).checkpoint_gb == 14
    for key in ("revision", "weights_gb"):
        with pytest.raises(ValidationError, match=key):
            InferenceModel.model_validate({k: v for k, v in MODEL.items() if k != key})
    with pytest.raises(ValidationError, match="revision"):
        InferenceModel.model_validate({**MODEL, "revision": "main"})  # a branch moves: pin a commit
    with pytest.raises(ValidationError, match="model"):
        InferenceModel.model_validate({**MODEL, "model": "/weights/qwen"})  # a hub id, org/name


def test_models_need_the_loader_image() -> None:
    with pytest.raises(ValidationError, match=r"inference\.weights_loader is not"):
        InferenceConfig.model_validate({"models": [MODEL]})
    config = InferenceConfig.model_validate({"models": [MODEL], "weights_loader": LOADER})
    assert config.api_key_secret == "vllm-api-key"
    assert config.entra_id_cidrs == list(ENTRA_ID_CIDRS)
    assert InferenceConfig.model_validate({}).weights_loader is None  # no models, no loader needed


@pytest.mark.parametrize(
    ("cidrs", "message"),
    [
        (["0.0.0.0/0"], "wider than /8"),
        (["20.190.128.0/18", "login.microsoftonline.com"], "not an IPv4 CIDR"),
        ([], "at least 1"),
    ],
)
def test_entra_id_ranges_are_ranges_not_the_internet(cidrs: list[str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        InferenceConfig.model_validate({"entra_id_cidrs": cidrs})


def test_secret_names_are_key_vault_names() -> None:
    with pytest.raises(ValidationError, match="api_key_secret"):
        InferenceConfig.model_validate({"api_key_secret": "vllm_api_key"})
    with pytest.raises(ValidationError, match="hub_token_secret"):
        InferenceModel.model_validate({**MODEL, "hub_token_secret": "hf token"})


def test_secrets_and_images_the_bootstrap_provides() -> None:
    config = InferenceConfig.model_validate(
        {
            "weights_loader": LOADER,
            "models": [
                {**MODEL, "hub_token_secret": "hf-hub-token"},
                {**MODEL, "name": "other", "hub_token_secret": "hf-hub-token"},
                {**MODEL, "name": "open", "image_digest": "sha256:" + "ef" * 32},
            ],
        }
    )
    assert config.key_vault_secrets() == ["vllm-api-key", "hf-hub-token"]
    assert config.pinned_images() == sorted(
        [f"azure-cli@{DIGEST}", f"vllm/vllm-openai@{DIGEST}", "vllm/vllm-openai@sha256:" + "ef" * 32]
    )
    empty = InferenceConfig.model_validate({"weights_loader": LOADER})
    assert empty.key_vault_secrets() == [] and empty.pinned_images() == []
