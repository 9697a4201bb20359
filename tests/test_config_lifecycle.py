"""validate refuses retired pins and incompatible GPU stacks, naming file, key, line, date and replacement."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from llmops_infra.config import lifecycle
from llmops_infra.config.loader import format_path, lifecycle_warnings, load_environment, load_located
from llmops_infra.errors import ConfigError
from llmops_infra.policies.lifecycle_catalog import OK, UNKNOWN
from llmops_infra.policies.lifecycle_files import load_catalog

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 12, 1)


def edit(project: Path, name: str, old: str, new: str) -> None:
    path = project / "environments" / name
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


@pytest.fixture(autouse=True)
def fixed_day(monkeypatch):
    monkeypatch.setattr(lifecycle, "today", lambda: TODAY)


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_shipped_environments_validate_clean_and_every_pin_is_catalogued(env):
    config, _merged, _source = load_located(env, REPO)
    report = lifecycle.check(config, day=TODAY)
    assert report.errors == [] and report.warnings == []
    for pin in report.pins:
        assert pin.verdict.state == OK, pin
        assert pin.verdict.state != UNKNOWN and pin.verdict.source.startswith("https://"), pin
        assert pin.verdict.read == "2026-12-01", pin
    # The weights loader is a pinned image like the server.
    loader = [p for p in report.pins if p.key[:2] == ("inference", "weights_loader")]
    assert [p.value for p in loader] == ["azure-cli:2.90.0"]


def test_retired_model_is_refused_with_file_key_line_date_and_replacement(project):
    edit(
        project,
        "base.yaml",
        'model: gpt-5.5\n      version: "2026-04-24"',
        'model: gpt-4o\n      version: "2024-11-20"',
    )
    with pytest.raises(ConfigError) as err:
        load_environment("dev", project)
    message = str(err.value)
    assert err.value.file == "environments/base.yaml" and err.value.key == "openai.deployments[0].version"
    line = (project / "environments" / "base.yaml").read_text().splitlines()[err.value.line - 1]
    assert "2024-11-20" in line
    assert "gpt-4o 2024-11-20" in message and "retired" in message and "2026-10-01" in message
    assert "Use gpt-5.5 2026-04-24" in message and "gpt-5.1" in message


def test_several_retired_pins_are_listed_together(project):
    edit(project, "base.yaml", 'kubernetes_version: "1.36"', 'kubernetes_version: "1.31"')
    edit(project, "base.yaml", "gpu_operator_version: v26.7.0", "gpu_operator_version: v24.9.2")
    with pytest.raises(ConfigError) as err:
        load_environment("staging", project)
    message = str(err.value)
    assert message.startswith("2 pins are retired")
    assert "environments/base.yaml:" in message and "cluster.kubernetes_version" in message
    assert "AKS Kubernetes 1.31" in message and "2025-11-01" in message
    assert "GPU operator v24.9.2" in message and "v26.7.0" in message


def test_driver_branch_must_support_the_image_cuda(project):
    # R550 and CUDA 12.4 (the field review's failing combination): the CUDA 13.0 image would not start
    edit(project, "base.yaml", 'gpu_driver_version: "580.173.02"', 'gpu_driver_version: "550.144.03"')
    with pytest.raises(ConfigError) as err:
        load_environment("prod", project)
    message = str(err.value)
    assert "NVIDIA driver 550.144.03 (R550) is retired" in message
    assert "supports CUDA up to 12.4" in message and "needs CUDA 13.0" in message and "cuda>=13.0" in message


def test_operator_default_driver_is_used_when_none_is_pinned(project):
    edit(project, "base.yaml", 'gpu_driver_version: "580.173.02"', "gpu_driver_version: null")
    config = load_environment("dev", project)
    report = lifecycle.check(config, day=TODAY)
    assert lifecycle.effective_driver(config, report.catalog) == "595.91.07"
    assert report.errors == []
    # R595 is a production branch that reaches end of life in March 2027: warned 90 days before
    later = lifecycle.check(config, day=date(2027, 1, 15))
    assert any("R595" in f.message and "2027-03-31" in f.message for f in later.warnings)


def test_mixed_or_unsupported_os_skus_are_refused_with_the_operator(project):
    edit(project, "base.yaml", "  system_pool:\n    os_sku: Ubuntu", "  system_pool:\n    os_sku: AzureLinux")
    with pytest.raises(ConfigError) as err:
        load_environment("dev", project)
    message = str(err.value)
    assert "different OS SKUs" in message and "AzureLinux" in message and "Ubuntu" in message
    assert "os_sku AzureLinux is not an operating system the NVIDIA GPU operator supports" in message


def test_retiring_pins_warn_within_90_days(project, monkeypatch):
    monkeypatch.setattr(lifecycle, "today", lambda: date(2027, 2, 1))
    warnings = lifecycle_warnings("dev", project)
    assert any(
        "openai.deployments[0].version" in w and "gpt-5.5 2026-04-24" in w and "2027-04-23" in w for w in warnings
    )
    assert any("ml.endpoints" in w and "azureml-prompt-flow retires on 2027-04-20" in w for w in warnings)
    assert all(w.startswith("environments/") for w in warnings)
    load_environment("dev", project)  # warnings do not refuse


def test_unknown_image_tag_is_a_warning_and_a_wrong_digest_is_flagged(project):
    edit(project, "staging.yaml", "image_tag: v0.28.0", "image_tag: v0.99.0")
    warnings = lifecycle_warnings("staging", project)
    assert any("image_tag says v0.99.0 but the catalog records digest" in w for w in warnings)
    edit(project, "staging.yaml", "sha256:61fc8a", "sha256:00fc8a")
    warnings = lifecycle_warnings("staging", project)
    assert any("inference.models[0].image_tag" in w and "not in the lifecycle catalog" in w for w in warnings)
    edit(project, "staging.yaml", "image_tag: v0.99.0", "image_tag: v0.28.0")
    warnings = lifecycle_warnings("staging", project)
    assert any("is not the digest the catalog records for v0.28.0" in w for w in warnings)


def test_two_years_ahead_shows_which_shipped_pins_would_be_refused(capsys):
    """Staleness made visible in CI output: which shipped pins the catalog says will be refused in two years.
    It must not fail today; it prints the list so that a reader sees what to renew."""
    ahead = date(TODAY.year + 2, TODAY.month, TODAY.day)
    catalog = load_catalog()
    refused: dict[str, list[str]] = {}
    for env in ("dev", "staging", "prod"):
        config, _merged, _source = load_located(env, REPO, check_lifecycle=False)
        report = lifecycle.check(config, catalog, day=ahead)
        refused[env] = sorted({f"{format_path(f.key)}: {f.message.split(':')[0]}" for f in report.errors})
    with capsys.disabled():
        print(
            f"\n--- shipped pins that would be refused on {ahead} (lifecycle catalog generated {catalog.generated}) ---"
        )
        for env, lines in refused.items():
            for line in lines or ["nothing"]:
                print(f"  {env}: {line}")
    # Every dated pin of today's environments expires within two years: the list is never empty.
    assert all(refused.values())
