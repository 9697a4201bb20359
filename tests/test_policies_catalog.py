"""The rule catalog: every POLICY_CATALOG.md id is present, metadata complete, dependency direction kept."""

import subprocess
import sys

from llmops_infra.policies import catalog
from llmops_infra.policies.framework import SCOPE_LEVELS

CATALOG_IDS = [
    "KV-01",
    "KV-02",
    "KV-03",
    "KV-04",
    "KV-05",
    "KV-06",
    "IAM-01",
    "IAM-02",
    "IAM-03",
    "IAM-04",
    "IAM-05",
    "IAM-06",
    "NET-01",
    "NET-02",
    "NET-03",
    "AKS-01",
    "AKS-02",
    "AKS-03",
    "AKS-04",
    "AKS-05",
    "AKS-06",
    "AKS-07",
    "AKS-08",
    "AKS-09",
    "AKS-11",
    "AKS-12",
    "AKS-13",
    "GPU-01",
    "GPU-02",
    "GPU-03",
    "AI-01",
    "AI-02",
    "AI-03",
    "AI-04",
    "AI-06",
    "AI-07",
    "AI-08",
    "AI-09",
    "APP-01",
    "APP-02",
    "SRCH-01",
    "COS-01",
    "ML-01",
    "ML-02",
    "ML-03",
    "ST-01",
    "ST-02",
    "ST-03",
    "ACR-01",
    "ACR-02",
    "MON-01",
    "MON-02",
    "MON-03",
    "MON-04",
    "MON-05",
    "K8S-01",
    "K8S-02",
    "K8S-03",
    "K8S-04",
    "K8S-05",
    "K8S-06",
    "K8S-07",
    "K8S-08",
    "K8S-09",
    "K8S-10",
    "COST-01",
    "COST-02",
    "COST-03",
    "COST-04",
    "COST-05",
    "COST-06",
    "LIFE-01",
    "LIFE-02",
    "SCHEMA-01",
    "GW-01",
    "GW-02",
    "GW-03",
    "GW-04",
    "FW-01",
    "FW-02",
]


def test_every_catalog_rule_is_implemented_once():
    ids = [info.id for info in catalog.rules()]
    assert set(CATALOG_IDS) <= set(ids)
    assert len(ids) == len(set(ids)) >= 62


def test_metadata_is_complete():
    for info in catalog.rules():
        assert info.scope in SCOPE_LEVELS and info.description and info.remediation, info.id
        assert info.name.startswith(info.id.lower() + "-"), info.name
        assert catalog.find(info.id) is info and catalog.find(info.name) is info


def test_scope_letters_follow_the_catalog():
    assert catalog.find("KV-01").scope == "P" and catalog.find("KV-02").scope == "A"
    assert catalog.find("GPU-02").scope == "N" and catalog.find("IAM-05").scope == "advisory"
    assert SCOPE_LEVELS["N"] == {"dev": "mandatory", "staging": "mandatory", "prod": "advisory"}


def test_policies_never_import_stacks_or_components():
    code = (
        "import sys, llmops_infra.policies.catalog, llmops_infra.policies.runner, "
        "llmops_infra.policies.reports.sarif, llmops_infra.policies.pack, llmops_infra.policies.pricing, "
        "llmops_infra.policies.settings, llmops_infra.policies.cost_model; "
        "bad = [m for m in sys.modules if m.startswith(('llmops_infra.stacks', 'llmops_infra.components', "
        "'llmops_infra.cli'))]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_policies_import_only_the_leaf_modules_of_the_root_package():
    """The CrossGuard pack stays standalone: besides itself it may load `llmops_infra.errors` (the one
    error base, so policy and pricing errors are `LlmopsError`s) and `llmops_infra.plan`, nothing else."""
    code = (
        "import sys, pkgutil, importlib, llmops_infra.policies as p\n"
        "for m in pkgutil.walk_packages(p.__path__, 'llmops_infra.policies.'):\n"
        "    if not m.name.endswith('__main__'):  # the pack's entry point serves the engine\n"
        "        importlib.import_module(m.name)\n"
        "print('\\n'.join(sorted(m for m in sys.modules if m.startswith('llmops_infra'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    outside = [m for m in out if not m.startswith("llmops_infra.policies")]
    assert outside == ["llmops_infra", "llmops_infra.errors", "llmops_infra.plan"]
