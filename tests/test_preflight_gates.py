"""The live preflight gates, driven to pass and to fail by recorded ARM responses on a local server."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from arm_replay import AI_USAGES, AKS_VERSIONS, MODELS, SKUS, SUB, VM_USAGES, ArmReplay, FakeToken, recorded

from llmops_infra.engine import gates
from llmops_infra.engine.arm_client import ArmClient
from llmops_infra.engine.gates import PASSED, SKIPPED, GateContext, GateFailed, GateResult, run_gates

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def deployment(name, model, version, sku="GlobalStandard", capacity=100):
    return SimpleNamespace(name=name, model=model, version=version, sku=sku, capacity=capacity)


def pool(name="gpua100", vm_size="Standard_NC24ads_A100_v4", zones=("1", "2", "3"), max_nodes=2, spot=False):
    return SimpleNamespace(name=name, vm_size=vm_size, zones=list(zones), max_nodes=max_nodes, spot=spot)


def config(version="1.36", deployments=None, pools=None):
    return SimpleNamespace(
        name="prod",
        azure=SimpleNamespace(subscription_id=SUB, location="eastus2"),
        cluster=SimpleNamespace(kubernetes_version=version, gpu_pools=pools or [pool()]),
        openai=SimpleNamespace(
            deployments=deployments
            if deployments is not None
            else [
                deployment("chat", "gpt-5.5", "2026-04-24", "DataZoneStandard", 150),
                deployment("embeddings", "text-embedding-3-large", "1", "GlobalStandard", 100),
            ]
        ),
    )


@pytest.fixture
def replay():
    with ArmReplay() as server:
        server.route(AKS_VERSIONS, "aks-kubernetes-versions")
        server.route(MODELS, "cognitive-models").route(AI_USAGES, "cognitive-usages")
        server.route(SKUS, "compute-skus").route(VM_USAGES, "compute-usages")
        yield server


def context(replay, cfg=None, waits=None) -> GateContext:
    arm = ArmClient(token_getter=FakeToken, base_url=replay.url, sleep=(waits if waits is not None else []).append)
    ctx = GateContext(cfg or config(), Path(), "preview", arm=arm, now=lambda: NOW, get_token=FakeToken)
    ctx.credentials_ok = True
    return ctx


def run(gate: str, ctx: GateContext) -> GateResult:
    return gates.GATES[gate](ctx)


def test_all_live_gates_pass_in_order_against_the_recorded_region(replay):
    ctx = context(replay)
    fake = {name: (lambda c, n=name: GateResult(n, PASSED, "ok")) for name in ("policy", "cost", "soft-delete")}

    def credentials(c):
        c.credentials_ok = True
        return GateResult("credentials", PASSED, "ok")

    results = run_gates(
        ctx.config, Path(), operation="preview", ctx=ctx, gates={**gates.GATES, **fake, "credentials": credentials}
    )
    assert [r.gate for r in results] == list(gates.GATES_BY_OPERATION["preview"])
    by_gate = {r.gate: r for r in results}
    for name in ("kubernetes-version", "models", "gpu-skus", "quota"):
        assert by_gate[name].status == PASSED, by_gate[name]
    assert "Kubernetes 1.36 is offered in eastus2" in by_gate["kubernetes-version"].message
    assert {r["path"] for r in replay.requests} == {AKS_VERSIONS, MODELS, AI_USAGES, SKUS, VM_USAGES}
    assert all(r["bearer"] for r in replay.requests)


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.34", "Kubernetes 1.34 is not offered in eastus2 (offered: 1.35, 1.36, 1.37)"),
        ("1.38", "Kubernetes 1.38 is in preview in eastus2"),
        ("1.36.2", "patch 1.36.2 is not offered in eastus2 (offered: 1.36.1, 1.36.3)"),
    ],
)
def test_kubernetes_version_gate_fails_naming_the_setting(replay, version, expected):
    with pytest.raises(GateFailed) as err:
        run("kubernetes-version", context(replay, config(version=version)))
    assert err.value.gate == "kubernetes-version" and err.value.exit_code == 3
    assert "cluster.kubernetes_version: " + expected in err.value.detail


def test_models_gate_fails_on_quota_type_version_and_deprecation(replay):
    too_big = config(deployments=[deployment("chat", "gpt-5.5", "2026-04-24", "DataZoneStandard", 250)])
    with pytest.raises(GateFailed) as err:
        run("models", context(replay, too_big))
    assert "openai.deployments[0].capacity: OpenAI.DataZoneStandard.gpt-5.5 quota in eastus2 has 200 free of 300" in (
        err.value.detail
    )
    wrong = config(
        deployments=[
            deployment("a", "gpt-5.5", "2025-01-01"),
            deployment("b", "text-embedding-3-large", "1", "DataZoneStandard"),
            deployment("c", "gpt-4o", "2024-11-20"),
        ]
    )
    with pytest.raises(GateFailed) as err:
        run("models", context(replay, wrong))
    detail = err.value.detail
    assert (
        "openai.deployments[0].version: gpt-5.5 2025-01-01 is not offered in eastus2 (versions offered: 2026-04-24)"
        in detail
    )
    assert "openai.deployments[1].sku: text-embedding-3-large 1 has no DataZoneStandard deployments" in detail
    assert (
        "openai.deployments[2].version: gpt-4o 2024-11-20 (GlobalStandard) was deprecated in eastus2 on 2026-10-01"
        in detail
    )


def test_gpu_skus_gate_fails_on_restricted_zone_and_subscription(replay):
    pools = [
        pool("big", "Standard_NC48ads_A100_v4"),
        pool("t4", "Standard_NC4as_T4_v3", zones=()),
        pool("odd", "Standard_ND96isr_H100_v5", zones=()),
    ]
    with pytest.raises(GateFailed) as err:
        run("gpu-skus", context(replay, config(pools=pools)))
    detail = err.value.detail
    assert "cluster.gpu_pools[0].zones: Standard_NC48ads_A100_v4 cannot be placed in zone(s) 3 of eastus2" in detail
    assert "cluster.gpu_pools[1].vm_size: Standard_NC4as_T4_v3 is restricted for this subscription" in detail
    assert "cluster.gpu_pools[2].vm_size: Standard_ND96isr_H100_v5 is not offered in eastus2" in detail
    ok = run("gpu-skus", context(replay, config(pools=[pool("big", "Standard_NC48ads_A100_v4", zones=("1", "2"))])))
    assert ok.status == PASSED


def test_quota_gate_reads_compute_usages_through_the_replay(replay):
    assert run("quota", context(replay, config(pools=[pool(max_nodes=8)]))).status == PASSED  # 8 x 24 = 192
    with pytest.raises(GateFailed) as err:
        run("quota", context(replay, config(pools=[pool(max_nodes=9)])))
    assert "need up to 216 vCPUs, quota allows 192 more" in err.value.detail


def test_throttling_is_waited_out_and_refusals_skip_with_the_reason(replay):
    replay.route(AKS_VERSIONS, "error-throttled", "aks-kubernetes-versions")
    waits: list[float] = []
    assert run("kubernetes-version", context(replay, waits=waits)).status == PASSED
    assert waits == [2.0]
    replay.route(MODELS, "error-forbidden")
    skipped = run("models", context(replay))
    assert skipped.status == SKIPPED and "AuthorizationFailed" in skipped.message and "Reader" in skipped.message
    replay.route(SKUS, "error-server")
    ctx = context(replay)
    ctx.arm.max_attempts = 2
    server = run("gpu-skus", ctx)
    assert server.status == SKIPPED and "500 InternalServerError" in server.message


def test_without_credentials_the_live_gates_are_skipped(replay):
    ctx = context(replay)
    ctx.credentials_ok = False
    for name in ("kubernetes-version", "models", "gpu-skus"):
        assert run(name, ctx).status == SKIPPED
    assert replay.requests == []


def test_recorded_fixtures_keep_the_spec_shape():
    status, headers, body = recorded("error-throttled")
    assert status == 429 and headers["Retry-After"] == "2" and body["error"]["code"] == "TooManyRequests"
    versions = copy.deepcopy(recorded("aks-kubernetes-versions")[2])
    assert {"version", "patchVersions", "capabilities"} <= set(versions["values"][0])
