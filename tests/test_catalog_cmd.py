"""`llmops-infra lifecycle [ENV]` lists every pin with its dates; `lifecycle refresh` reads live APIs (replayed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from arm_replay import AKS_VERSIONS, MODELS, SKUS, ArmReplay, FakeToken
from typer.testing import CliRunner

from llmops_infra.cli.app import app
from llmops_infra.config import lifecycle
from llmops_infra.policies import lifecycle_files

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.fixture
def project(project, monkeypatch) -> Path:
    """The shared project, with its own lifecycle catalog cache."""
    monkeypatch.setenv(lifecycle_files.USER_CACHE_ENV, str(project / "cache"))
    lifecycle_files.clear_cache()
    yield project
    lifecycle_files.clear_cache()


def test_lifecycle_env_lists_every_pin_with_dates_and_sources(project):
    result = runner.invoke(app, ["lifecycle", "prod", "-C", str(project), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["environment"] == "prod" and doc["errors"] == []
    by_kind = {}
    for pin in doc["pins"]:
        by_kind.setdefault(pin["kind"], []).append(pin)
        assert pin["source"].startswith("https://") and pin["read"] == "2026-12-01", pin
    assert {"kubernetes", "model", "gpu-operator", "driver", "image", "os-sku", "vm-size", "feature", "addon"} <= set(
        by_kind
    )
    (k8s,) = by_kind["kubernetes"]
    assert k8s["pinned"] == "1.36" and k8s["dates"]["end_of_life"] == "2027-06-30"
    assert k8s["where"].startswith("environments/base.yaml:") and k8s["where"].endswith("cluster.kubernetes_version")
    table = runner.invoke(app, ["lifecycle", "dev", "-C", str(project)])
    assert table.exit_code == 0 and "Lifecycle of dev's pins" in table.stdout
    every = json.loads(runner.invoke(app, ["lifecycle", "-C", str(project), "-f", "json"]).stdout)
    assert [e["environment"] for e in every["environments"]] == ["dev", "prod", "staging"]


def test_lifecycle_lists_retired_pins_while_validate_refuses_them(project):
    base = project / "environments" / "base.yaml"
    base.write_text(base.read_text().replace('kubernetes_version: "1.36"', 'kubernetes_version: "1.34"'))
    listed = runner.invoke(app, ["lifecycle", "dev", "-C", str(project), "-f", "json"])
    assert listed.exit_code == 0
    assert json.loads(listed.stdout)["errors"][0]["message"].startswith("AKS Kubernetes 1.34 is retired")
    refused = runner.invoke(app, ["validate", "dev", "-C", str(project)])
    assert refused.exit_code == 2
    assert "cluster.kubernetes_version" in refused.stderr and "2026-11-30" in refused.stderr
    assert "Traceback" not in refused.output
    unknown = runner.invoke(app, ["lifecycle", "qa", "-C", str(project)])
    assert unknown.exit_code == 2 and "unknown environment 'qa'" in unknown.stderr


class FakeCredential:
    def get_token(self, *scopes):
        return FakeToken()

    def close(self):
        pass


def test_refresh_writes_the_user_cache_from_replayed_azure_answers(project, monkeypatch):
    monkeypatch.setattr("azure.identity.DefaultAzureCredential", FakeCredential)
    monkeypatch.setattr("llmops_infra.engine.arm_client.time.sleep", lambda s: None)
    monkeypatch.setattr(lifecycle, "today", lambda: __import__("datetime").date(2026, 12, 2))
    with ArmReplay() as replay:
        replay.route(AKS_VERSIONS, "error-throttled", "aks-kubernetes-versions")
        replay.route(MODELS, "cognitive-models").route(SKUS, "compute-skus")
        result = runner.invoke(app, ["lifecycle", "refresh", "-e", "prod", "-C", str(project), "--arm-url", replay.url])
    assert result.exit_code == 0, result.output
    written = project / "cache" / "lifecycle.json"
    assert f"wrote {written}" in result.stderr
    data = json.loads(written.read_text())
    assert data["generated"] == "2026-12-02"
    region = data["regions"]["eastus2"]
    assert region["kubernetes"]["1.38"]["preview"] is True and "1.36" in region["kubernetes"]
    assert region["models"]["gpt-5.5 2026-04-24"]["skus"]["DataZoneStandard"] == "2027-04-23"
    assert region["vm_skus"]["Standard_NC24ads_A100_v4"]["usable_zones"] == ["1", "2", "3"]
    assert any(m["name"] == "gpt-5.6" and m["retirement"] == "2027-10-30" for m in data["models"])
    assert "1.37" in data["kubernetes"]  # known already; 1.38 is preview and not added
    assert "model versions added: gpt-5.6 2026-10-30" in result.stderr
    # the reader now prefers the refreshed copy
    shown = json.loads(runner.invoke(app, ["lifecycle", "prod", "-C", str(project), "-f", "json"]).stdout)
    assert shown["today"]
    assert lifecycle_files.load_catalog().path == written


def test_refresh_reports_arm_refusals_and_writes_nothing(project, monkeypatch):
    monkeypatch.setattr("azure.identity.DefaultAzureCredential", FakeCredential)
    with ArmReplay() as replay:
        replay.route(AKS_VERSIONS, "error-forbidden")
        result = runner.invoke(app, ["lifecycle", "refresh", "-e", "prod", "-C", str(project), "--arm-url", replay.url])
    assert result.exit_code == 3
    assert "AuthorizationFailed" in result.stderr and "nothing was written" in result.stderr
    assert not (project / "cache" / "lifecycle.json").exists()


def test_refresh_without_credentials_is_one_error_and_writes_nothing(project, monkeypatch):
    """No credential signs in: one message naming the fix, exit 3, no traceback, no SDK log lines."""
    from azure.core.exceptions import ClientAuthenticationError

    class NoCredential(FakeCredential):
        def get_token(self, *scopes):
            raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token.\nAttempted: ...")

    monkeypatch.setattr("azure.identity.DefaultAzureCredential", NoCredential)
    with ArmReplay() as replay:
        result = runner.invoke(app, ["lifecycle", "refresh", "-e", "prod", "-C", str(project), "--arm-url", replay.url])
    assert result.exit_code == 3, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ARM refused or failed a read (401")
    assert "no Azure credentials" in result.stderr and "az login" in result.stderr
    assert not (project / "cache" / "lifecycle.json").exists()


def test_a_broken_catalog_is_bad_input_named_by_its_file(project, tmp_path):
    """Deliberate change: the CLI no longer re-wraps catalog errors, so the `--catalog: ` prefix is gone;
    the message names the file itself."""
    from llmops_infra.errors import ConfigError
    from llmops_infra.policies.lifecycle_catalog import LifecycleCatalogError

    assert issubclass(LifecycleCatalogError, ConfigError)
    broken = tmp_path / "catalog.json"
    broken.write_text("{")
    result = runner.invoke(app, ["lifecycle", "dev", "-C", str(project), "--catalog", str(broken)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: lifecycle catalog {broken} is not JSON (line 1)")
