"""The lifecycle catalog: every entry sourced and dated, verdicts by date, the user copy preferred when newer."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from llmops_infra.policies import lifecycle_files as lc
from llmops_infra.policies.lifecycle_catalog import (
    DEPRECATED,
    OK,
    RETIRED,
    RETIRING,
    UNKNOWN,
    LifecycleCatalogError,
    driver_branch,
)
from llmops_infra.policies.lifecycle_files import load_catalog, read_catalog, shipped_catalog_path

TODAY = date(2026, 12, 1)


@pytest.fixture
def shipped():
    return read_catalog(shipped_catalog_path())


def _entries(data: dict) -> list[tuple[str, dict]]:
    found = []
    for section in ("kubernetes", "os_skus", "gpu_operator", "driver_branches", "features", "vm_sizes"):
        found += [(f"{section}.{k}", v) for k, v in data[section].items()]
    for section in ("models", "images", "node_agents"):
        found += [(f"{section}[{i}]", v) for i, v in enumerate(data[section])]
    return found


def test_every_entry_names_a_source_with_a_url_and_the_day_read(shipped):
    sources = shipped.data["sources"]
    for where, entry in _entries(shipped.data):
        assert entry.get("source") in sources, f"{where} has no known source"
    for key, source in sources.items():
        assert source["url"].startswith("https://"), key
        assert source["read"] == "2026-12-01", key


def test_kubernetes_versions_by_the_aks_calendar(shipped):
    old = shipped.kubernetes("1.31", TODAY)
    assert old.state == RETIRED and old.date == date(2025, 11, 1)
    assert "Kubernetes 1.37" in old.replacement or "Kubernetes 1.36" in old.replacement
    assert shipped.kubernetes("1.34", TODAY).state == RETIRED  # end of life Nov 2026
    assert shipped.kubernetes("1.35", TODAY).state == OK  # 2027-03-31 is 120 days away
    assert shipped.kubernetes("1.35", date(2027, 1, 15)).state == RETIRING
    assert shipped.kubernetes("1.36.2", TODAY).state == OK
    assert shipped.kubernetes("1.28", TODAY).state == UNKNOWN


def test_models_retired_deprecated_and_replaced(shipped):
    gpt4o = shipped.model("gpt-4o", "2024-11-20", "Standard", TODAY)
    assert gpt4o.state == RETIRED and gpt4o.date == date(2026, 10, 1)
    # Microsoft's listed replacement is itself deprecated (no new customers) today: a current model comes first
    assert (
        gpt4o.replacement == "gpt-5.5 2026-04-24 (Microsoft lists gpt-5.1 2025-11-13, itself deprecated on 2026-11-13)"
    )
    assert shipped.model("gpt-4o", "2024-11-20", "Standard", date(2026, 10, 2)).replacement == "gpt-5.1 2025-11-13"
    sentence = gpt4o.sentence()
    assert "is retired (out of support since 2026-10-01)" in sentence and "Use gpt-5.5 2026-04-24" in sentence
    assert "learn.microsoft.com" in sentence
    # per deployment type: Standard retired earlier than the other types
    assert shipped.model("gpt-4o", "2024-08-06", "Standard", date(2026, 5, 1)).state == RETIRED
    assert shipped.model("gpt-4o", "2024-08-06", "GlobalStandard", date(2026, 5, 1)).state == DEPRECATED
    assert shipped.model("gpt-5.1", "2025-11-13", "GlobalStandard", TODAY).state == DEPRECATED
    assert shipped.model("gpt-5.5", "2026-04-24", "GlobalStandard", TODAY).state == OK
    assert shipped.model("text-embedding-3-large", "1", "GlobalStandard", TODAY).state == OK
    assert shipped.model("text-embedding-3-large", "1", "GlobalStandard", date(2027, 2, 1)).state == RETIRING
    unknown = shipped.model("gpt-4o", "2099-01-01", None, TODAY)
    assert unknown.state == UNKNOWN and "2024-11-20" in unknown.detail


def test_model_without_a_listed_replacement_suggests_a_current_one(shipped):
    retired = shipped.model("o3", "2025-04-16", "GlobalStandard", TODAY)
    assert retired.state == RETIRED and retired.replacement == "gpt-5.5 2026-04-24"


def test_gpu_operator_drivers_and_images(shipped):
    old = shipped.gpu_operator("v24.9.2", TODAY)
    assert old.state == RETIRED and old.replacement == "GPU operator v26.7.0"
    assert shipped.gpu_operator("v26.3.3", TODAY).state == DEPRECATED
    assert shipped.gpu_operator("v26.7.0", TODAY).state == OK
    assert driver_branch("580.173.02") == "R580"
    assert shipped.driver("580.173.02", TODAY).state == OK
    assert shipped.driver("550.144.03", TODAY).state == RETIRED  # not listed as supported: retired, date unknown
    assert shipped.driver("595.91.07", date(2027, 1, 15)).state == RETIRING
    assert shipped.max_cuda("580.173.02") == "13.0"
    vllm = shipped.image("vllm/vllm-openai", tag="v0.28.0")
    assert vllm["cuda"] == "13.0"
    assert shipped.image("myacr.azurecr.io/vllm/vllm-openai", digest=vllm["digests"][0]) is vllm
    with pytest.raises(ValueError):
        driver_branch("latest")


def test_features_and_os(shipped):
    flow = shipped.feature("azureml-prompt-flow", TODAY)
    assert flow.state == OK and flow.date == date(2027, 4, 20)
    retiring = shipped.feature("azureml-prompt-flow", date(2027, 2, 1))
    assert retiring.state == RETIRING and retiring.replacement == "Microsoft Agent Framework"
    assert shipped.os_supports_operator("Ubuntu") is True
    assert shipped.os_supports_operator("AzureLinux") is False
    assert shipped.os_sku("Ubuntu2204", date(2027, 7, 1)).state == RETIRED


def _write(path: Path, generated: str) -> Path:
    data = json.loads(shipped_catalog_path().read_text())
    data["generated"] = generated
    data["kubernetes"]["1.36"]["end_of_life"] = "2099-12-31"
    path.write_text(json.dumps(data))
    return path


def test_the_user_copy_is_preferred_when_newer(tmp_path, monkeypatch):
    monkeypatch.setenv(lc.USER_CACHE_ENV, str(tmp_path))
    lc.clear_cache()
    assert load_catalog().path == shipped_catalog_path()
    _write(tmp_path / "lifecycle.json", "2027-01-01")
    lc.clear_cache()
    catalog = load_catalog()
    assert catalog.path == tmp_path / "lifecycle.json"
    assert catalog.kubernetes("1.36", TODAY).date == date(2099, 12, 31)
    _write(tmp_path / "lifecycle.json", "2026-01-01")
    lc.clear_cache()
    older = load_catalog()
    assert older.path == shipped_catalog_path() and "shipped catalog is newer" in older.notice
    (tmp_path / "lifecycle.json").write_text("{not json")
    lc.clear_cache()
    broken = load_catalog()
    assert broken.path == shipped_catalog_path() and "not JSON" in broken.notice
    lc.clear_cache()


def test_bad_catalog_files_are_clear_errors(tmp_path):
    bad = tmp_path / "c.json"
    bad.write_text(json.dumps({"schema": 2}))
    with pytest.raises(LifecycleCatalogError, match="schema-1"):
        read_catalog(bad)
    bad.write_text(json.dumps({"schema": 1, "kubernetes": {}, "models": [], "sources": {}, "generated": "soon"}))
    with pytest.raises(LifecycleCatalogError, match="not a date"):
        read_catalog(bad)
    with pytest.raises(LifecycleCatalogError, match="cannot read"):
        read_catalog(tmp_path / "missing.json")
