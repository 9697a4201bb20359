"""Signatures of release manifests: who may record a release, and proof that a stored one is theirs.

A manifest's id is the sha256 of its content, which anyone who can write to the store can
recompute after an edit. The signature closes that gap: it covers the id (so every field) and
is made with a key the store's writers do not have by default.

- `KeyVaultSigner`: a Key Vault key (EC P-256 with ES256, or RSA with RS256) through
  azure-keyvault-keys' `CryptographyClient`: the private key never leaves the vault; signing
  needs the "sign" key permission (Key Vault Crypto User), verifying only "verify". Chosen with
  `LLMOPS_SIGNING_KEY=https://<vault>.vault.azure.net/keys/<name>[/<version>]`.
- `LocalKeySigner`: an Ed25519 key in a 0600 file of the user's config directory
  (`$LLMOPS_CONFIG_DIR`, else `$XDG_CONFIG_HOME/llmops-infra`, else `~/.config/llmops-infra`:
  never in the repository), created on first use; or the PEM file `LLMOPS_SIGNING_KEY` names.
  For one person and for tests: whoever can read the file can sign.

A signature records the algorithm, the key id and the value (base64). Verification refuses a
manifest without one, one made with another key than the configured one, or one that does not
match the manifest's id.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from pathlib import Path
from typing import Any, Protocol

from llmops_infra.errors import ConfigError, EngineError, clean

KEY_VARIABLE = "LLMOPS_SIGNING_KEY"
CONFIG_VARIABLE = "LLMOPS_CONFIG_DIR"
DOMAIN = b"llmops-infra/release-manifest/v1\n"
"""Prefix of every signed message: a signature of a manifest id is never valid for anything else."""
VAULT_SUFFIXES = (".vault.azure.net", ".vault.azure.cn", ".vault.usgovcloudapi.net", ".managedhsm.azure.net")


class SigningError(EngineError):
    """A manifest could not be signed or verified with the configured key (exit 3)."""


class Signer(Protocol):
    @property
    def key_id(self) -> str:
        """The key (without a version for a Key Vault key configured without one)."""
        ...

    @property
    def algorithm(self) -> str: ...

    def sign(self, message: bytes) -> tuple[str, bytes]:
        """(the id of the key version that signed, the signature) of `message`."""
        ...

    def verify(self, key_id: str, message: bytes, signature: bytes) -> bool:
        """Whether `signature` of `message` was made by `key_id`, a version of this signer's key."""
        ...

    def trusts(self, key_id: str) -> bool:
        """Whether `key_id` is this signer's key (any version of it, unless one was configured)."""
        ...


def message(manifest_id: str) -> bytes:
    return DOMAIN + manifest_id.encode("ascii", "replace")


def signature_of(signer: Signer, manifest_id: str) -> dict[str, str]:
    key_id, value = signer.sign(message(manifest_id))
    return {"algorithm": signer.algorithm, "key_id": key_id, "value": base64.b64encode(value).decode()}


def verification_problem(signer: Signer, manifest_id: str, signature: Any) -> str | None:
    """Why `signature` does not prove that `signer`'s key signed `manifest_id` (None: it does)."""
    if not signature:
        return "it is not signed"
    if not isinstance(signature, dict) or not all(isinstance(signature.get(k), str) for k in ("key_id", "value")):
        return "its signature is malformed"
    if signature.get("algorithm") != signer.algorithm or not signer.trusts(signature["key_id"]):
        return f"it was signed with another key ({clean(signature['key_id'])[:120]}), not {signer.key_id}"
    try:
        value = base64.b64decode(signature["value"], validate=True)
    except ValueError:
        return "its signature is not base64"
    if not signer.verify(signature["key_id"], message(manifest_id), value):
        return "its signature does not match its content"
    return None


# --------------------------------------------------------------------------- local key


def config_dir(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get(CONFIG_VARIABLE):
        return Path(env[CONFIG_VARIABLE])
    base = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else Path.home() / ".config"
    return base / "llmops-infra"


class LocalKeySigner:
    """An Ed25519 key in a private PEM file (created on first signing)."""

    algorithm = "Ed25519"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._key: Any = None

    @property
    def key_id(self) -> str:
        return "local:ed25519:" + hashlib.sha256(self._public_bytes()).hexdigest()[:32]

    def _public_bytes(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        public: bytes = (
            self._private(create=False)
            .public_key()
            .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )
        return public

    def _private(self, *, create: bool) -> Any:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        if self._key is not None:
            return self._key
        if not self.path.exists():
            if not create:
                raise SigningError(
                    f"no signing key at {self.path}: manifests cannot be verified here. Use the key that signed "
                    f"them ({KEY_VARIABLE}), or record releases on this machine first"
                )
            self._create()
        mode = self.path.stat().st_mode
        if not stat.S_ISREG(mode) or mode & 0o077:
            raise ConfigError(
                f"signing key {self.path} is readable by others or not a regular file: chmod 600 it", key=KEY_VARIABLE
            )
        try:
            key = serialization.load_pem_private_key(self.path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigError(f"signing key {self.path} is not a PEM private key ({type(exc).__name__})") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigError(f"signing key {self.path} is not an Ed25519 key", key=KEY_VARIABLE)
        self._key = key
        return key

    def _create(self) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        from llmops_infra.files import PRIVATE, write_atomic

        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(self.path, pem, root=self.path.parent, mode=PRIVATE, key=KEY_VARIABLE)

    def sign(self, data: bytes) -> tuple[str, bytes]:
        signature: bytes = self._private(create=True).sign(data)
        return self.key_id, signature

    def trusts(self, key_id: str) -> bool:
        return key_id == self.key_id

    def verify(self, key_id: str, data: bytes, signature: bytes) -> bool:
        from cryptography.exceptions import InvalidSignature

        try:
            self._private(create=False).public_key().verify(signature, data)
        except InvalidSignature:
            return False
        return True


# --------------------------------------------------------------------------- Key Vault key


class KeyVaultSigner:
    """A Key Vault key: `https://<vault>.vault.azure.net/keys/<name>[/<version>]`."""

    def __init__(
        self, key_url: str, credential: Any = None, *, algorithm: str = "ES256", **client_options: Any
    ) -> None:
        """`client_options` go to each `CryptographyClient` (tests pass `connection_verify`, the CA of a local server)."""
        if algorithm not in ("ES256", "RS256"):
            raise ConfigError(f"signing algorithm {algorithm!r}: use ES256 (EC P-256 key) or RS256 (RSA key)")
        self.key_id = key_url.rstrip("/")
        self.algorithm = algorithm
        self._credential = credential
        self._options = client_options
        self._clients: dict[str, Any] = {}

    def _client(self, key_id: str) -> Any:
        try:
            from azure.keyvault.keys.crypto import CryptographyClient
        except ImportError:
            raise ConfigError(
                "a Key Vault signing key needs azure-keyvault-keys: pip install 'llmops-infra[azure]'", key=KEY_VARIABLE
            ) from None
        if key_id not in self._clients:
            if self._credential is None:
                from llmops_infra.release.artifacts.credentials import azure_credential

                self._credential = azure_credential(f"the signing key {self.key_id}", scope="vault")
            self._clients[key_id] = CryptographyClient(key_id, self._credential, **self._options)
        return self._clients[key_id]

    def trusts(self, key_id: str) -> bool:
        parts = self.key_id.split("/")
        # configured without a version: any version of the key; with one: that version only
        return key_id == self.key_id or (len(parts) == 5 and key_id.startswith(self.key_id + "/"))

    def _call(self, what: str, fn: Any, *args: Any) -> Any:
        from azure.core.exceptions import AzureError

        try:
            return fn(*args)
        except AzureError as exc:
            text = str(getattr(exc, "message", None) or exc).strip()
            reason = text.splitlines()[0] if text else type(exc).__name__
            raise SigningError(f"cannot {what} with Key Vault key {self.key_id}: {clean(reason)[:300]}") from None

    def sign(self, data: bytes) -> tuple[str, bytes]:
        from azure.keyvault.keys.crypto import SignatureAlgorithm

        digest = hashlib.sha256(data).digest()
        result = self._call("sign", self._client(self.key_id).sign, SignatureAlgorithm(self.algorithm), digest)
        return str(result.key_id or self.key_id), bytes(result.signature)

    def verify(self, key_id: str, data: bytes, signature: bytes) -> bool:
        from azure.keyvault.keys.crypto import SignatureAlgorithm

        digest = hashlib.sha256(data).digest()
        algorithm = SignatureAlgorithm(self.algorithm)
        result = self._call("verify", self._client(key_id).verify, algorithm, digest, signature)
        return bool(result.is_valid)


def key_vault_url(text: str) -> bool:
    from urllib.parse import urlsplit

    parts = urlsplit(text)
    return parts.scheme == "https" and (parts.hostname or "").endswith(VAULT_SUFFIXES) and "/keys/" in parts.path


def configured_signer(environ: dict[str, str] | None = None) -> Signer:
    """The signer `LLMOPS_SIGNING_KEY` names: a Key Vault key URL or a PEM file; by default the
    user's local key (`<config dir>/signing/ed25519.pem`)."""
    env = os.environ if environ is None else environ
    ref = env.get(KEY_VARIABLE, "").strip()
    in_ci = any(env.get(v, "").strip().lower() in ("1", "true", "yes") for v in ("CI", "TF_BUILD"))
    if in_ci and not ref.startswith("https://"):
        # a key made on a runner is gone with it: the next run could verify nothing (and anyone who can
        # run the pipeline could mint a key of their own)
        raise ConfigError(
            f"in CI, {KEY_VARIABLE} must name a Key Vault key (https://<vault>.vault.azure.net/keys/<name>) that the "
            "pipeline identity may sign and verify with (Key Vault Crypto User): set it as a pipeline variable",
            key=KEY_VARIABLE,
        )
    if not ref:
        return LocalKeySigner(config_dir(dict(env)) / "signing" / "ed25519.pem")
    if ref.startswith("https://"):
        if not key_vault_url(ref):
            raise ConfigError(
                f"{KEY_VARIABLE} is not a Key Vault key URL: use https://<vault>.vault.azure.net/keys/<name>[/<version>]",
                key=KEY_VARIABLE,
            )
        parts = ref.rstrip("/").split("/")
        if len(parts) not in (5, 6):
            raise ConfigError(f"{KEY_VARIABLE}: a key URL is .../keys/<name>[/<version>]", key=KEY_VARIABLE)
        return KeyVaultSigner(ref, algorithm=env.get("LLMOPS_SIGNING_ALGORITHM", "ES256"))
    if "://" in ref:
        raise ConfigError(
            f"{KEY_VARIABLE}: give a Key Vault key URL (https://...) or a PEM file path", key=KEY_VARIABLE
        )
    return LocalKeySigner(Path(ref).expanduser())
