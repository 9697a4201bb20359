"""Gates run in order and stop at the first failure; each failure says what to do."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from llmops_infra.config.loader import load_environment
from llmops_infra.engine import gates
from llmops_infra.engine.azure_access import CredentialStatus
from llmops_infra.engine.gates import (
    GATES_BY_OPERATION,
    GateContext,
    GateFailed,
    GateResult,
    approval_problem,
    run_gates,
)

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def dev():
    return load_environment("dev", REPO)


@pytest.fixture(scope="module")
def prod():
    return load_environment("prod", REPO)


def recording(names: list[str], fail: str | None = None):
    def make(name: str):
        def gate(ctx: GateContext) -> GateResult:
            names.append(name)
            if name == fail:
                raise GateFailed(name, "no", 3)
            return GateResult(name, gates.PASSED, "ok")

        return gate

    return {name: make(name) for name in gates.GATES}


def test_order_per_operation():
    live = ("kubernetes-version", "models", "gpu-skus", "quota", "soft-delete")
    assert GATES_BY_OPERATION["up"] == ("config", "policy", "cost", "credentials", *live, "approval")
    assert GATES_BY_OPERATION["preview"] == ("config", "policy", "cost", "credentials", *live)
    assert GATES_BY_OPERATION["promote"] == GATES_BY_OPERATION["preview"]
    assert GATES_BY_OPERATION["destroy"] == ("config", "credentials")


def test_gates_run_in_order_and_stop_at_the_first_failure(dev):
    ran: list[str] = []
    seen: list[str] = []
    with pytest.raises(GateFailed) as err:
        run_gates(
            dev, REPO, operation="up", gates=recording(ran, fail="credentials"), on_result=lambda r: seen.append(r.gate)
        )
    assert ran == ["policy", "cost", "credentials"]
    assert seen == ["config", "policy", "cost"]
    assert err.value.gate == "credentials" and err.value.exit_code == 3


def test_all_gates_pass(dev):
    ran: list[str] = []
    results = run_gates(dev, REPO, operation="up", gates=recording(ran))
    assert [r.gate for r in results] == list(GATES_BY_OPERATION["up"])


def test_unknown_operation(dev):
    with pytest.raises(ValueError, match="unknown operation"):
        run_gates(dev, REPO, operation="deploy")


def test_config_gate_fails_with_exit_2(tmp_path):
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "dev.yaml").write_text("name: dev\nworkload: [\n")
    with pytest.raises(GateFailed) as err:
        gates.gates_for("dev", tmp_path, operation="preview")
    assert err.value.gate == "config" and err.value.exit_code == 2
    assert "dev.yaml" in str(err.value)


# --------------------------------------------------------------------------- policy and cost


@dataclass
class V:
    rule_id: str
    resource_name: str
    message: str
    enforcement: str = "mandatory"


@dataclass
class Check:
    violations: list

    @property
    def mandatory(self):
        return [v for v in self.violations if v.enforcement == "mandatory"]

    @property
    def advisory(self):
        return [v for v in self.violations if v.enforcement == "advisory"]


def test_policy_gate_blocks_on_mandatory_violations(dev, plans):
    ctx = GateContext(
        dev,
        REPO,
        "up",
        plan=plans("dev"),
        policy_report=Check(
            [V("KV-01", "kv-vault", "Purge protection is off."), V("NET-02", "vnet", "advisory only", "advisory")]
        ),
    )
    with pytest.raises(GateFailed) as err:
        gates.policy_gate(ctx)
    assert err.value.exit_code == 1
    assert "1 mandatory violation(s): KV-01 kv-vault: Purge protection is off" in str(err.value)
    assert "llmops-infra policy check dev" in str(err.value)


def test_policy_gate_leaves_cost_rules_to_the_cost_gate(dev, plans):
    ctx = GateContext(
        dev, REPO, "up", plan=plans("dev"), policy_report=Check([V("COST-05", "", "Estimated monthly cost too high")])
    )
    assert gates.policy_gate(ctx).status == gates.PASSED
    with pytest.raises(GateFailed) as err:
        gates.cost_gate(ctx)
    assert err.value.gate == "cost" and "COST-05 stack" in str(err.value)


def test_shipped_dev_passes_policy_and_cost_offline(dev, plans):
    ctx = GateContext(dev, REPO, "up", plan=plans("dev"))
    assert gates.policy_gate(ctx).status == gates.PASSED
    cost = gates.cost_gate(ctx)
    assert cost.status == gates.PASSED and "within $2,500" in cost.message


def test_cost_gate_fails_over_the_limit(dev, plans):
    cheap = dev.model_copy(update={"cost": dev.cost.model_copy(update={"max_monthly_usd": 10.0})})
    ctx = GateContext(cheap, REPO, "up", plan=plans("dev"), policy_report=Check([]))
    with pytest.raises(GateFailed) as err:
        gates.cost_gate(ctx)
    assert err.value.exit_code == 1 and "exceeds cost.max_monthly_usd $10" in str(err.value)


# --------------------------------------------------------------------------- credentials and quota


def test_cost_gate_and_policy_gate_price_with_prices_override(dev, plans, tmp_path):
    """`up --prices FILE`: the cost gate and the offline COST-05 price with FILE (dev's limit is exceeded)."""
    from llmops_infra.policies import pricing

    data = json.loads((pricing.shipped_prices_dir() / "eastus.json").read_text())
    data["entries"] = {k: {**e, "price": e["price"] * 100, "spot": None} for k, e in data["entries"].items()}
    dear = tmp_path / "eastus.json"
    dear.write_text(json.dumps(data))
    with pricing.override(dear), pytest.raises(GateFailed, match=r"exceeds cost\.max_monthly_usd"):
        gates.cost_gate(GateContext(dev, REPO, "up", plan=plans("dev")))
    gates.cost_gate(GateContext(dev, REPO, "up", plan=plans("dev")))  # shipped prices: within the limit


def test_credentials_gate_fails_fast_with_the_fix(dev):
    ctx = GateContext(
        dev,
        REPO,
        "up",
        check_credentials=lambda: CredentialStatus(
            False, [], "no Azure credentials: nothing configured", "run az login"
        ),
    )
    with pytest.raises(GateFailed) as err:
        gates.credentials_gate(ctx)
    assert err.value.exit_code == 3 and "run az login" in str(err.value)
    assert ctx.credentials_ok is False


def test_credentials_gate_with_the_real_chain_offline(dev):
    """No Azure credentials on this machine: the real DefaultAzureCredential fails, and says what to do."""
    with pytest.raises(GateFailed) as err:
        gates.credentials_gate(GateContext(dev, REPO, "up"))
    assert "az login" in str(err.value) and "AZURE_FEDERATED_TOKEN_FILE" in str(err.value)


def test_quota_is_skipped_without_credentials(dev):
    result = gates.quota_gate(GateContext(dev, REPO, "up", credentials_ok=False))
    assert result.status == gates.SKIPPED and result.message == "skipped: no credentials"


@dataclass
class Token:
    token: str = "t"


def usages(name: str, current: int, limit: int):
    def fetch(url: str, token: str) -> dict:
        assert (
            "/subscriptions/22222222-2222-4222-8222-222222222222/providers/Microsoft.Compute/locations/eastus2/usages"
            in url
        )
        return {"value": [{"name": {"value": name}, "currentValue": current, "limit": limit}]}

    return fetch


def test_quota_gate_fails_when_the_family_quota_is_short():
    staging = load_environment("staging", REPO)  # A100 pool: 2 x 24 vCPUs on demand
    ctx = GateContext(
        staging, REPO, "up", credentials_ok=True, get_token=Token, fetch=usages("StandardNCADSA100v4Family", 0, 24)
    )
    with pytest.raises(GateFailed) as err:
        gates.quota_gate(ctx)
    assert "need up to 48 vCPUs, quota allows 24 more" in str(err.value)
    assert "request a quota increase" in str(err.value)


def test_quota_gate_passes_with_room():
    staging = load_environment("staging", REPO)
    ctx = GateContext(
        staging, REPO, "up", credentials_ok=True, get_token=Token, fetch=usages("StandardNCADSA100v4Family", 0, 96)
    )
    result = gates.quota_gate(ctx)
    assert result.status == gates.PASSED and "StandardNCADSA100v4Family 48 vCPUs" in result.message


# --------------------------------------------------------------------------- soft-deleted names


def arm(deleted: set[str]):
    """An ARM stand-in: 200 for the deleted names, 404 for the others."""
    import urllib.error

    def fetch(url: str, token: str) -> dict:
        name = url.split("?", maxsplit=1)[0].rsplit("/", 1)[-1]
        if name in deleted:
            return {"name": name}
        raise urllib.error.HTTPError(url, 404, "Not Found", {}, None)

    return fetch


def test_soft_delete_is_skipped_without_credentials(dev, plans):
    result = gates.soft_delete_gate(GateContext(dev, REPO, "up", plan=plans("dev"), credentials_ok=False))
    assert result.status == gates.SKIPPED


def test_soft_deleted_vault_stops_up_with_recover_and_purge(dev, plans):
    plan = plans("dev")
    (vault,) = [r.props["vaultName"] for r in plan.of_type("azure-native:keyvault:Vault")]
    ctx = GateContext(dev, REPO, "up", plan=plan, credentials_ok=True, get_token=Token, fetch=arm({vault}))
    with pytest.raises(GateFailed) as err:
        gates.soft_delete_gate(ctx)
    assert err.value.exit_code == 3
    assert f"az keyvault recover --name {vault}" in str(err.value) and "az keyvault purge" in str(err.value)


def test_no_soft_deleted_names_passes(dev, plans):
    ctx = GateContext(dev, REPO, "up", plan=plans("dev"), credentials_ok=True, get_token=Token, fetch=arm(set()))
    result = gates.soft_delete_gate(ctx)
    assert result.status == gates.PASSED and "the 3 names" in result.message


def test_deleted_urls_point_at_the_right_arm_collections():
    from llmops_infra.engine.azure_access import NamedResource, deleted_url

    vault = deleted_url("sub", NamedResource("vault", "kv-x", "rg", "eastus"))
    assert vault.startswith(
        "https://management.azure.com/subscriptions/sub/providers/Microsoft.KeyVault/"
        "locations/eastus/deletedVaults/kv-x?api-version="
    )
    account = deleted_url("sub", NamedResource("account", "oai-x", "rg", "eastus"))
    assert "/Microsoft.CognitiveServices/locations/eastus/resourceGroups/rg/deletedAccounts/oai-x?" in account


# --------------------------------------------------------------------------- approval


M123, M999 = "sha256:" + "1" * 64, "sha256:" + "9" * 64


def write_approval(project: Path, env: str, **fields) -> Path:
    path = project / ".llmops" / "approvals" / f"{env}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "environment": env,
        "approved_by": "alice@contoso.com",
        "approved_at": "2026-11-22T02:00:00+00:00",
        "expires_at": "2026-11-22T08:00:00+00:00",
        "manifest": M123,
        **fields,
    }
    path.write_text(json.dumps(record))
    return path


def test_approval_required_and_missing(prod, tmp_path):
    ctx = GateContext(prod, tmp_path, "up", now=lambda: NOW)
    with pytest.raises(GateFailed) as err:
        gates.approval_gate(ctx)
    assert err.value.exit_code == 2
    assert "no approval record .llmops/approvals/prod.json" in str(err.value)


def test_approval_record_passes(prod, tmp_path):
    write_approval(tmp_path, "prod", manifest=M123)
    assert gates.approval_gate(GateContext(prod, tmp_path, "up", now=lambda: NOW)).status == gates.PASSED
    assert approval_problem("prod", tmp_path, manifest=M123, now=NOW) is None
    assert "not sha256:9999" in approval_problem("prod", tmp_path, manifest=M999, now=NOW)


def test_approval_not_required_is_skipped(dev, tmp_path):
    assert gates.approval_gate(GateContext(dev, tmp_path, "up")).status == gates.SKIPPED


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"environment": "staging"}, "approves environment 'staging'"),
        ({"approved_by": " "}, "does not say who approved"),
        ({"approved_at": "yesterday"}, "not ISO-8601"),
        ({"approved_at": "2026-11-22T02:00:00"}, "need a time zone"),
        ({"approved_at": "2026-11-23T02:00:00+00:00", "expires_at": "2026-11-23T08:00:00+00:00"}, "lies in the future"),
        ({"expires_at": (NOW - timedelta(minutes=1)).isoformat()}, "expired"),
    ],
)
def test_invalid_approvals_say_why(tmp_path, fields, reason):
    write_approval(tmp_path, "prod", **fields)
    assert reason in approval_problem("prod", tmp_path, now=NOW)


def test_unreadable_approval(tmp_path):
    path = write_approval(tmp_path, "prod")
    path.write_text("{not json")
    assert "not readable JSON" in approval_problem("prod", tmp_path, now=NOW)
