"""The CrossGuard pack: the same rule objects, valid names, strict initial config."""

import re

import pulumi_policy.policy as sdk
import pytest
from pulumi_policy import EnforcementLevel

from llmops_infra.policies import catalog
from llmops_infra.policies.pack import pack_arguments
from llmops_infra.policies.pack_config import pack_config
from llmops_infra.policies.settings import PolicySettings


class Served(Exception):
    pass


def test_pack_arguments_pass_policy_pack_validation(monkeypatch):
    def serve(*args, **kwargs):
        raise Served()

    monkeypatch.setattr(sdk.grpc, "server", serve)
    with pytest.raises(Served):  # validation passed; the SDK was about to serve the pack
        sdk.PolicyPack(**pack_arguments())


def test_policies_are_the_catalog_objects_with_stable_names():
    kwargs = pack_arguments()
    names = [p.name for p in kwargs["policies"]]
    assert names == [info.name for info in catalog.rules()] and len(set(names)) == len(names) >= 45
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*", n) for n in names)
    assert kwargs["policies"][0] is catalog.POLICIES[names[0]]
    assert kwargs["initial_config"]["kv-01-purge-protection"]["enforcementLevel"] is EnforcementLevel.MANDATORY


def test_engine_config_drops_expired_exemptions():
    from datetime import date

    from llmops_infra.policies.settings import Exemption

    live = Exemption("AKS-12", ("cluster-*",), "free tier in the sandbox", "platform", date(2030, 1, 1))
    dead = Exemption("KV-01", ("kv-*",), "legacy vault migration", "sec", date(2020, 1, 1))
    config = pack_config(PolicySettings(scope="dev", exemptions=(live, dead)), today=date(2026, 1, 1))
    assert config["aks-12-paid-tier"]["exempt"] == ["cluster-*"]
    assert "exempt" not in config["kv-01-purge-protection"]
    assert config["kv-01-purge-protection"]["enforcementLevel"] == "advisory"


def test_engine_config_lowers_levels_only_under_an_active_exemption():
    from datetime import date

    from llmops_infra.policies.settings import Exemption

    settings = PolicySettings(
        scope="dev",
        levels={"AKS-02": "advisory", "AKS-12": "disabled"},
        exemptions=(Exemption("AKS-12", ("*",), "free tier in the sandbox", "platform", date(2030, 1, 1)),),
    )
    config = pack_config(settings, today=date(2026, 1, 1))
    assert config["aks-02-no-local-accounts"]["enforcementLevel"] == "mandatory"
    assert config["aks-12-paid-tier"]["enforcementLevel"] == "disabled"


def test_engine_exempt_config_skips_the_resource():
    from llmops_infra.policies.testing import violations

    vault = {"properties": {}}
    assert violations("KV-01", "azure-native:keyvault:Vault", vault, name="kv-legacy")
    assert violations("KV-01", "azure-native:keyvault:Vault", vault, {"exempt": ["kv-*"]}, name="kv-legacy") == []


def test_pack_entry_point_serves_in_a_real_process():
    """`policies/__main__.py` starts the analyzer (it prints its port), as the engine launches it."""
    import subprocess
    import sys
    from pathlib import Path

    main = Path(__file__).resolve().parent.parent / "policies" / "__main__.py"
    process = subprocess.Popen([sys.executable, str(main)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        port = process.stdout.readline().decode().strip()
        assert port.isdigit() and int(port) > 0, port if port else process.stderr.read().decode()
    finally:
        process.kill()
        process.wait()
