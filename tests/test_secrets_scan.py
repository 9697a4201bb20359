"""Issue 17, items 2 and 3: secrets as keys, in binary, with text around them, and before any echo."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest

from llmops_infra.config.loader import load_environment
from llmops_infra.config.secrets_scan import find_secrets
from llmops_infra.errors import ConfigError

STORAGE_KEY = "Zm9vYmFy" * 10 + "Zm9vYm" + "=="  # 86 characters + "=="
ENTRA = "abc" + "8Q~" + "Zx9-Kq.2mW_nP3~tR5vY7aB1cD3eF5gH7jK"
FUNCTIONS = "https://fn-x.azurewebsites.net/api/run?code=" + "aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5oQ=="
PGP = "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF...\n-----END PGP PRIVATE KEY BLOCK-----"


@pytest.fixture
def project(tmp_path: Path, project_dir: Path) -> Path:
    shutil.copytree(project_dir / "environments", tmp_path / "environments")
    return tmp_path


def _append(project: Path, text: str, env: str = "dev") -> None:
    path = project / "environments" / f"{env}.yaml"
    path.write_text(path.read_text() + text)


def _error(project: Path, env: str = "dev") -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_environment(env, project)
    return caught.value


@pytest.mark.parametrize(
    ("label", "value"),
    [
        ("storage key with text around it", f"primary {STORAGE_KEY} (rotated)"),
        ("Entra client secret", ENTRA),
        ("Functions URL", FUNCTIONS),
        ("PGP private key", PGP),
        ("hex key with text around it", "key=" + "0123456789abcdef" * 2 + " old"),
    ],
)
def test_values_with_text_around_them_are_found(project: Path, label: str, value: str) -> None:
    """Item 2: the storage pattern was anchored; Functions, Entra and PGP forms were unknown."""
    escaped = value.replace("\n", "\\n")
    _append(project, f'tags:\n  note: "{escaped}"\n')
    err = _error(project)
    assert "Secrets never go in environment files" in str(err), label
    assert value.splitlines()[0][-20:] not in str(err)


def test_a_secret_used_as_a_key_is_found_and_not_echoed(project: Path) -> None:
    """Items 2 and 3: a secret as a mapping key under tags passed the scan and was echoed."""
    _append(project, f"tags:\n  {ENTRA}: x\n")
    err = _error(project)
    assert "used as a key" in str(err)
    assert ENTRA not in str(err) and ENTRA[:10] not in str(err)
    assert err.key == "tags"


def test_a_binary_value_is_scanned(project: Path) -> None:
    """Item 2: a `!!binary` value got past the scanner."""
    encoded = base64.b64encode(PGP.encode()).decode()
    _append(project, f"tags:\n  note: !!binary {encoded}\n")
    err = _error(project)
    assert "private key" in str(err)


def test_a_key_in_the_state_url_is_found(project: Path) -> None:
    """Item 2: a key in `state.url`."""
    _append(project, "state:\n  url: azblob://state?storage_account=st1&storage_account_key=" + "q" * 40 + "\n")
    err = _error(project)
    assert err.key == "state.url" and "q" * 20 not in str(err)


def test_the_secret_scan_runs_before_the_name_check(project: Path) -> None:
    """Item 3: the `name` mismatch check ran first and quoted the value."""
    path = project / "environments" / "dev.yaml"
    path.write_text(f'name: "{ENTRA}"\n' + path.read_text())
    err = _error(project)
    assert "Secrets never go" in str(err) and ENTRA not in str(err)


def test_a_secret_in_base_overridden_by_the_overlay_is_still_found(project: Path) -> None:
    path = project / "environments" / "base.yaml"
    path.write_text(path.read_text() + f'tags:\n  note: "{ENTRA}"\n')
    _append(project, 'tags:\n  note: "plain"\n')
    err = _error(project)
    assert "base.yaml" in str(err)


def test_a_validator_never_sees_an_uncleared_secret(project: Path) -> None:
    """Item 3: custom validators quoted values (`'<value>' is not an IPv4 CIDR`)."""
    path = project / "environments" / "dev.yaml"
    path.write_text(path.read_text().replace("[203.0.113.0/24]", f'["{ENTRA}"]'))
    err = _error(project)
    assert "Secrets never go" in str(err) and ENTRA not in str(err)


def test_resource_ids_and_digests_are_not_secrets() -> None:
    data = {
        "image": "nginx@sha256:" + "ab" * 32,
        "id": "/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg",
        "url": "azblob://state?storage_account=stllmops",
    }
    assert list(find_secrets(data)) == []


def test_audit_records_carry_codes_not_messages(tmp_path: Path) -> None:
    """Item 3: the first line of a refused release went into the audit trail."""
    from datetime import UTC, datetime

    from llmops_infra.release.audit import audited, read_audit

    class _Releases:
        def append_audit(self, record: object) -> None:
            pass

    with pytest.raises(ConfigError), audited("release", "dev", tmp_path, _Releases(), at=datetime.now(UTC), actor="t"):  # type: ignore[arg-type]
        raise ConfigError(f"bad value {ENTRA}")
    record = read_audit(tmp_path)[-1]
    assert record["reason"] == "ConfigError" and ENTRA not in str(record)


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc", "Stripe"),
        ("SG." + "ngeVfQFYQlKU0ufo8x5d1A" + "." + "TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr", "SendGrid"),
        ("glpat-" + "xxxxxxxxxxxxxxxxxxxx", "GitLab"),
    ],
)
def test_detect_secrets_finds_what_the_azure_patterns_do_not(project: Path, value: str, kind: str) -> None:
    """The maintained library's regex detectors run beside the Azure-specific patterns."""
    _append(project, f"tags:\n  extra:\n    note: 'deploy with {value}'\n")
    with pytest.raises(ConfigError) as caught:
        load_environment("dev", project)
    assert kind in str(caught.value) and "detect-secrets" in str(caught.value) and value not in str(caught.value)


def test_detect_secrets_entropy_keyword_and_ip_detectors_stay_out(project_dir: Path) -> None:
    from llmops_infra.config.secrets_scan import LIBRARY_EXCLUDED, library_detectors, looks_like

    names = {type(d).__name__ for d in library_detectors()}
    assert not names & LIBRARY_EXCLUDED and {"StripeDetector", "GitLabTokenDetector"} <= names
    # what those detectors flag in environment files: digests, commit ids, public ranges, prose
    for text in (
        "sha256:" + "61fc8a896b0a4fbbbdc063bc4b0dbc25ce98e02b5050c24aeb7830ac02039b14",
        "aa8e72537993ba99e69dfaafa59ed015b17504d1",
        "20.30.40.0/24",
        "password rotation owner",
    ):
        assert looks_like(text) is None, text
    for env in ("dev", "staging", "prod"):  # no false positive on the shipped environments
        load_environment(env, project_dir)
