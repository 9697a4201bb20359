"""Credentials (bounded, never printing a token) and the GPU quota arithmetic."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest

from llmops_infra.engine import azure_access
from llmops_infra.engine.azure_access import (
    QuotaNeed,
    check_credentials,
    configured_sources,
    fetch_usages,
    quota_needs,
    quota_shortfalls,
    vcpus,
    vm_family,
)


@dataclass
class Pool:
    name: str
    vm_size: str
    max_nodes: int
    spot: bool = False


def test_families_and_vcpus_of_the_catalog_sizes():
    assert vm_family("Standard_NC4as_T4_v3") == "standardNCASv3_T4Family"
    assert vm_family("Standard_NC24ads_A100_v4") == "StandardNCADSA100v4Family"
    assert vm_family("Standard_NC80adis_H100_v5") == "standardNCadsH100v5Family"
    assert vm_family("Standard_D4ds_v5") is None
    assert vcpus("Standard_NC24ads_A100_v4") == 24
    assert vcpus("Standard_ND96isr_H100_v5") == 96
    with pytest.raises(ValueError):
        vcpus("Basic_A0")


def test_needs_sum_per_quota_and_spot_uses_low_priority_cores():
    needs = quota_needs(
        [
            Pool("a", "Standard_NC24ads_A100_v4", 2),
            Pool("b", "Standard_NC48ads_A100_v4", 1),
            Pool("s", "Standard_NC4as_T4_v3", 3, spot=True),
        ]
    )
    assert {n.usage: (n.vcpus, n.pools) for n in needs} == {
        "StandardNCADSA100v4Family": (96, ["a", "b"]),
        "lowPriorityCores": (12, ["s"]),
    }


def test_shortfalls_name_pools_and_numbers():
    needs = [QuotaNeed("StandardNCADSA100v4Family", 48, ["gpua100"])]
    usages = {"standardncadsa100v4family": (24, 48)}
    (problem,) = quota_shortfalls(needs, usages, "eastus2")
    assert "pools gpua100 need up to 48 vCPUs, quota allows 24 more (24 of 48 in use)" in problem
    assert quota_shortfalls(needs, {"standardncadsa100v4family": (0, 48)}, "eastus2") == []


def test_unknown_family_asks_for_a_manual_check():
    (problem,) = quota_shortfalls(quota_needs([Pool("x", "Standard_NX9_v9", 1)]), {}, "eastus")
    assert "unknown family of Standard_NX9_v9" in problem


def test_usages_follow_next_links_and_send_the_token():
    pages = {
        "first": {
            "value": [{"name": {"value": "lowPriorityCores"}, "currentValue": 1, "limit": 10}],
            "nextLink": "second",
        },
        "second": {"value": [{"name": {"value": "standardNCASv3_T4Family"}, "currentValue": 0, "limit": 8}]},
    }
    calls = []

    def fetch(url: str, token: str) -> dict:
        calls.append(token)
        return pages["second" if url == "second" else "first"]

    usages = fetch_usages("sub", "eastus", "tok", fetch)
    assert usages == {"lowprioritycores": (1, 10), "standardncasv3_t4family": (0, 8)}
    assert calls == ["tok", "tok"]


def test_credentials_ok_and_failure_messages():
    assert check_credentials(object).ok

    def refuse():
        raise RuntimeError("DefaultAzureCredential failed to retrieve a token.\nAttempted credentials: ...")

    status = check_credentials(refuse)
    assert not status.ok
    assert status.message == "no Azure credentials: DefaultAzureCredential failed to retrieve a token"
    assert "az login" in status.fix and "AZURE_FEDERATED_TOKEN_FILE" in status.fix


def test_credentials_are_bounded_in_time():
    release = threading.Event()
    status = check_credentials(lambda: release.wait(10), timeout=0.2)
    release.set()
    assert not status.ok and "no Azure token within" in status.message


def test_configured_sources_from_the_environment(monkeypatch):
    monkeypatch.setattr(azure_access.shutil, "which", lambda name: None)
    env = {"AZURE_CLIENT_ID": "c", "AZURE_TENANT_ID": "t", "AZURE_FEDERATED_TOKEN_FILE": "/var/run/token"}
    assert configured_sources(env) == ["workload identity (AZURE_FEDERATED_TOKEN_FILE)"]
    assert configured_sources({}) == []
