"""Manifest signatures (issue 17, item 6): the local key, and a Key Vault key against replayed responses."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from arm_replay import ArmReplay, recorded

from llmops_infra.errors import ConfigError
from llmops_infra.release import signing
from llmops_infra.release.signing import (
    KeyVaultSigner,
    LocalKeySigner,
    SigningError,
    configured_signer,
    signature_of,
    verification_problem,
)

MANIFEST_ID = "sha256:" + "ab" * 32  # the id whose signature the Key Vault fixtures hold
KEY_PATH = "/keys/manifest-signing/4f2c1d0e9b8a47c6a5d3e2f1b0c9d8e7"
RECORDED_VAULT = "https://llmopskv.vault.azure.net"


class FakeCredential:
    def __init__(self) -> None:
        self.scopes: list[str] = []

    def get_token(self, *scopes: str, **_kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        self.scopes.extend(scopes)
        return AccessToken("replay-token", int(time.time()) + 3600)


# --------------------------------------------------------------------------- local key


def test_the_local_key_is_created_private_outside_the_project_and_verifies(tmp_path):
    signer = configured_signer({"LLMOPS_CONFIG_DIR": str(tmp_path / "cfg")})
    assert isinstance(signer, LocalKeySigner)
    signature = signature_of(signer, MANIFEST_ID)
    path = tmp_path / "cfg" / "signing" / "ed25519.pem"
    assert path.is_file() and (path.stat().st_mode & 0o777) == 0o600
    assert (path.parent.stat().st_mode & 0o077) == 0
    assert signature["algorithm"] == "Ed25519" and signature["key_id"] == signer.key_id
    assert verification_problem(signer, MANIFEST_ID, signature) is None
    # another id, another key, no signature, garbage: each refused with its reason
    assert "does not match" in verification_problem(signer, "sha256:" + "cd" * 32, signature)
    other = LocalKeySigner(tmp_path / "other.pem")
    assert "another key" in verification_problem(signer, MANIFEST_ID, signature_of(other, MANIFEST_ID))
    assert verification_problem(signer, MANIFEST_ID, {}) == "it is not signed"
    assert "malformed" in verification_problem(signer, MANIFEST_ID, {"key_id": 1})
    assert "not base64" in verification_problem(signer, MANIFEST_ID, {**signature, "value": "***"})


def test_a_key_readable_by_others_is_refused(tmp_path):
    signer = LocalKeySigner(tmp_path / "k.pem")
    signature_of(signer, MANIFEST_ID)
    (tmp_path / "k.pem").chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        signature_of(LocalKeySigner(tmp_path / "k.pem"), MANIFEST_ID)


def test_verifying_without_the_key_says_so(tmp_path):
    with pytest.raises(SigningError, match="no signing key"):
        verification_problem(
            LocalKeySigner(tmp_path / "none.pem"), MANIFEST_ID, {"algorithm": "Ed25519", "key_id": "x", "value": "AA=="}
        )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://example.com/keys/k", "not a Key Vault key URL"),
        ("https://kv.vault.azure.net/keys/k/v/extra", "keys/<name>"),
        ("s3://bucket/key", "PEM file"),
    ],
)
def test_bad_signing_key_settings_are_bad_input(value, expected):
    with pytest.raises(ConfigError, match=expected):
        configured_signer({"LLMOPS_SIGNING_KEY": value})


def test_a_key_vault_url_selects_the_key_vault_signer():
    signer = configured_signer({"LLMOPS_SIGNING_KEY": "https://kv.vault.azure.net/keys/manifests"})
    assert isinstance(signer, KeyVaultSigner) and signer.algorithm == "ES256"
    assert signer.trusts("https://kv.vault.azure.net/keys/manifests/0123abcd")  # any version of the key
    assert not signer.trusts("https://kv.vault.azure.net/keys/manifests-evil/0123abcd")
    pinned = KeyVaultSigner("https://kv.vault.azure.net/keys/manifests/v1")
    assert pinned.trusts("https://kv.vault.azure.net/keys/manifests/v1")
    assert not pinned.trusts("https://kv.vault.azure.net/keys/manifests/v2")


# --------------------------------------------------------------------------- Key Vault key, replayed


def _replayed(replay: ArmReplay, name: str) -> tuple[int, dict[str, str], Any]:
    status, headers, body = recorded(name)
    text = json.dumps(body).replace(RECORDED_VAULT, replay.url)
    return status, headers, json.loads(text)


@pytest.fixture
def vault(tmp_path):
    with ArmReplay(tls_dir=tmp_path) as replay:
        yield replay


def _signer(vault: ArmReplay, credential: FakeCredential, key: str = "/keys/manifest-signing") -> KeyVaultSigner:
    # the challenge names vault.azure.net, the replay listens on 127.0.0.1: the resource check is a production
    # safeguard the test server cannot pass
    return KeyVaultSigner(
        vault.url + key,
        credential,
        connection_verify=str(vault.ca_path),
        verify_challenge_resource=False,
    )


def test_a_key_vault_key_signs_and_the_recorded_signature_verifies(vault):
    # configured without a version: the client reads the key's current version, then signs with it
    vault.route("/keys/manifest-signing/", _replayed(vault, "keyvault-challenge"), _replayed(vault, "keyvault-get-key"))
    vault.route(KEY_PATH, _replayed(vault, "keyvault-challenge"), _replayed(vault, "keyvault-get-key"))
    vault.route(KEY_PATH + "/sign", _replayed(vault, "keyvault-sign"), method="POST")
    credential = FakeCredential()
    signer = _signer(vault, credential)
    signature = signature_of(signer, MANIFEST_ID)
    assert signature["algorithm"] == "ES256" and signature["key_id"] == vault.url + KEY_PATH
    sign_request = next(r for r in vault.requests if r["path"].endswith("/sign") and r["bearer"])
    assert json.loads(sign_request["body"])["alg"] == "ES256"
    assert credential.scopes and all(s == "https://vault.azure.net/.default" for s in credential.scopes)
    # the key's public half came with the key read: verification is local and checks the real signature
    assert verification_problem(signer, MANIFEST_ID, signature) is None
    assert "does not match" in verification_problem(signer, "sha256:" + "cd" * 32, signature)
    assert not any(r["path"].endswith("/verify") for r in vault.requests)


def test_without_the_get_permission_the_vault_verifies(vault):
    """An identity with sign/verify only (no get) names the key's version: signing and verifying are remote."""
    vault.route(KEY_PATH, _replayed(vault, "keyvault-challenge"), _replayed(vault, "keyvault-get-key-forbidden"))
    vault.route(KEY_PATH + "/sign", _replayed(vault, "keyvault-sign"), method="POST")
    vault.route(KEY_PATH + "/verify", _replayed(vault, "keyvault-verify"), method="POST")
    signer = _signer(vault, FakeCredential(), KEY_PATH)
    signature = signature_of(signer, MANIFEST_ID)
    assert verification_problem(signer, MANIFEST_ID, signature) is None
    verify = [r for r in vault.requests if r["path"].endswith("/verify") and r["body"]]
    assert verify and json.loads(verify[-1]["body"])["alg"] == "ES256"
    vault.route(KEY_PATH + "/verify", (200, {}, {"value": False}), method="POST")
    assert "does not match" in verification_problem(_signer(vault, FakeCredential(), KEY_PATH), MANIFEST_ID, signature)


def test_a_vault_error_is_one_line_naming_the_key(vault):
    vault.route(KEY_PATH, _replayed(vault, "keyvault-challenge"), _replayed(vault, "keyvault-get-key-forbidden"))
    vault.route(
        KEY_PATH + "/sign", (403, {}, {"error": {"code": "Forbidden", "message": "Operation sign is not allowed."}})
    )
    with pytest.raises(SigningError) as caught:
        signature_of(_signer(vault, FakeCredential(), KEY_PATH), MANIFEST_ID)
    message = str(caught.value)
    assert "cannot sign with Key Vault key" in message and "manifest-signing" in message
    assert "\n" not in message and "replay-token" not in message


def test_signing_module_names_its_message_domain():
    assert signing.message(MANIFEST_ID).startswith(b"llmops-infra/release-manifest/v1\n")


def test_paths_are_plain(tmp_path: Path):
    assert signing.config_dir({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "llmops-infra"


@pytest.mark.parametrize("variable", ["CI", "TF_BUILD"])
@pytest.mark.parametrize("value", ["", "/home/runner/key.pem", "$(LLMOPS_SIGNING_KEY)"])
def test_ci_needs_a_key_vault_key(variable, value):
    """A key made on a runner is gone with it: in CI only a Key Vault key signs."""
    with pytest.raises(ConfigError, match="in CI, LLMOPS_SIGNING_KEY must name a Key Vault key"):
        configured_signer({variable: "true", "LLMOPS_SIGNING_KEY": value})
    assert isinstance(
        configured_signer({variable: "true", "LLMOPS_SIGNING_KEY": "https://kv.vault.azure.net/keys/m"}), KeyVaultSigner
    )


def test_the_generated_pipelines_pass_the_signing_key():
    from llmops_infra.delivery.pipeline_options import DeployTarget, PipelineOptions
    from llmops_infra.delivery.pipelines import render

    targets = (DeployTarget(name="dev"), DeployTarget(name="prod", source="dev", requires_approval=True))
    for provider, expected in (("github", "${{ vars.LLMOPS_SIGNING_KEY }}"), ("azure-devops", "$(LLMOPS_SIGNING_KEY)")):
        text = "".join(render(PipelineOptions(provider=provider, targets=targets)).files.values())
        assert text.count("LLMOPS_SIGNING_KEY") >= 2 and expected in text, provider
