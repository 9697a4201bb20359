"""bootstrap's release-signing steps against local fakes of ARM and a Key Vault: the chain's vault, its
EC P-256 key, Key Vault Crypto User for the pipeline identity, LLMOPS_SIGNING_KEY in CI; reruns change nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmops_infra.config.loader import load_environment
from llmops_infra.delivery import bootstrap
from llmops_infra.delivery.bootstrap_spec import promotion_chain, spec_for
from llmops_infra.errors import EngineError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bootstrap_fakes import RUNNER_OID, Servers
from test_bootstrap import PASSPHRASE, WRITES, ado_spec, arm_resource, clients

REPO = Path(__file__).resolve().parent.parent
CRYPTO_USER = "12338af0-0e69-4776-bea7-57ae8d297424"
CRYPTO_OFFICER = "14b46e9e-c2b7-41b4-b07b-48a6ebf60603"


@pytest.fixture
def servers(tmp_path):
    fakes = Servers(tmp_path)
    yield fakes
    fakes.close()


def chained(env: str, provider: str = "github", **kwargs):
    config = load_environment(env, REPO)
    return spec_for(config, provider, chain=promotion_chain(config, REPO), **kwargs)


def run(servers, spec, secrets=None):
    seen: list[tuple[str, str]] = []
    api = clients(servers, spec)  # the vault fake's CA and challenge settings, no waits
    outcome = bootstrap.run(
        spec, api, report=lambda i, n, step, result: seen.append((step.describe, result)), secrets=secrets or {}
    )
    return seen, outcome


def outcome_of(results: list[tuple[str, str]], prefix: str) -> str:
    (found,) = [result for describe, result in results if describe.startswith(prefix)]
    return found


def assignments(servers, role: str) -> dict[str, dict]:
    return {
        k: v
        for k, v in servers.arm.resources.items()
        if "/roleassignments/" in k and v["properties"]["roleDefinitionId"].endswith(role)
    }


def test_the_chain_shares_one_vault_owned_by_its_first_environment_and_steps_come_in_order():
    chain = [c.name for c in promotion_chain(load_environment("prod", REPO), REPO)]
    assert chain == ["dev", "staging", "prod"]
    dev, prod = chained("dev"), chained("prod")
    assert dev.signing == prod.signing  # one vault, one key for the chain
    signing = prod.signing
    assert signing.owner == "dev" and signing.subscription_id == dev.subscription_id
    assert signing.resource_group == dev.resource_group and signing.vault.startswith("kv-")
    assert signing.private  # staging and prod are private
    assert len(signing.runner_subnets) == 3 and signing.hosted == ()
    steps = [s.describe for s in bootstrap.plan(prod)]
    identity = next(i for i, d in enumerate(steps) if d.startswith("user-assigned identity"))
    assert steps[identity + 2].startswith(f"resource group {dev.resource_group} of dev")  # dev's, in dev's subscription
    assert steps[identity + 3].startswith(f"Key Vault {signing.vault} ")
    assert steps[identity + 4].startswith("key manifest-signing ") and "EC P-256" in steps[identity + 4]
    assert steps[identity + 5].startswith(f"Key Vault Crypto User for {prod.identity} on the key")
    assert steps[identity + 6].startswith("federated credential github-prod")
    assert "LLMOPS_SIGNING_KEY" in steps[-2]
    # the chain's first environment has its resource group already
    assert not any(s.describe.startswith(f"resource group {dev.resource_group} of dev") for s in bootstrap.plan(dev))


def test_first_run_creates_vault_key_and_grants_then_a_rerun_changes_nothing(servers):
    spec = chained("dev")
    servers.vault.refusals = ["ForbiddenByRbac"]  # a new RBAC vault: whoever created it may not create keys yet
    results, outcome = run(servers, spec, {"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE})
    assert outcome_of(results, f"Key Vault {spec.signing.vault} ") == "created"
    assert outcome_of(results, "key manifest-signing") == "created"
    assert outcome_of(results, "Key Vault Crypto User") == "created"
    vault = arm_resource(servers, f"/vaults/{spec.signing.vault}")
    props = vault["properties"]
    assert vault["location"] == "eastus" and props["sku"] == {"family": "A", "name": "standard"}
    assert props["enableRbacAuthorization"] is True and props["enablePurgeProtection"] is True
    assert props["enableSoftDelete"] is True and props["softDeleteRetentionInDays"] == 90
    assert props["networkAcls"]["defaultAction"] == "Deny"  # the chain has private environments
    assert vault["tags"]["purpose"] == "release-signing"
    (created,) = servers.vault.created
    assert created["kty"] == "EC" and created["crv"] == "P-256" and sorted(created["key_ops"]) == ["sign", "verify"]
    assert not (created.get("attributes") or {}).get("exportable")
    # the runner was granted Crypto Officer on the vault to create the key, and told how to remove it
    (officer,) = assignments(servers, CRYPTO_OFFICER).items()
    assert officer[0].startswith(spec.signing.vault_id().lower() + "/providers/microsoft.authorization/")
    assert officer[1]["properties"]["principalId"] == RUNNER_OID
    assert any("az role assignment delete" in task and RUNNER_OID in task for task in outcome.admin)
    # the pipeline identity may sign with that key only
    (user,) = assignments(servers, CRYPTO_USER).items()
    assert user[0].startswith(spec.signing.key_scope().lower() + "/providers/microsoft.authorization/")
    assert user[1]["properties"]["principalId"] == outcome.outputs["principal_id"]
    key_url = f"{servers.url(servers.vault)}/keys/manifest-signing"
    assert servers.github.variables[("dev", "LLMOPS_SIGNING_KEY")] == key_url == outcome.outputs["signing_key"]
    # no credential, token or secret in what bootstrap reports
    reported = " ".join(outcome.admin) + " ".join(d for d, _ in results) + " ".join(outcome.outputs.values())
    assert PASSPHRASE not in reported and "fake-signature" not in reported

    for fake in (servers.arm, servers.github, servers.vault):
        fake.log.clear()
    results, _ = run(servers, spec)
    assert [r for _, r in results] == ["unchanged"] * (len(results) - 1) + ["skipped"]  # the passphrase: not given
    writes = [e for fake in (servers.arm, servers.github, servers.vault) for e in fake.log if e[0] in WRITES]
    assert writes == []
    assert len(servers.vault.created) == 1


def test_later_environments_reuse_the_key_and_the_vault_admits_runner_subnets_once_they_exist(servers):
    dev = chained("dev", allow_ips=["20.30.40.50/32"])
    run(servers, dev)
    prod = chained("prod", allow_ips=["20.40.60.80/32"])
    results, outcome = run(servers, prod)
    assert outcome_of(results, f"Key Vault {prod.signing.vault} ") == "updated"
    assert outcome_of(results, "key manifest-signing") == "unchanged"
    acls = arm_resource(servers, f"/vaults/{prod.signing.vault}")["properties"]["networkAcls"]
    # dev's range stays (the vault is shared), prod's is added; no subnet exists yet
    assert {r["value"] for r in acls["ipRules"]} == {"20.30.40.50/32", "20.40.60.80/32"}
    assert acls["virtualNetworkRules"] == []
    assert any("do not exist yet" in t and prod.signing.vault in t for t in outcome.admin)
    assert len(servers.vault.created) == 1  # one key for the chain
    assert len(assignments(servers, CRYPTO_USER)) == 2  # dev's identity and prod's
    assert (
        servers.github.variables[("prod", "LLMOPS_SIGNING_KEY")]
        == servers.github.variables[("dev", "LLMOPS_SIGNING_KEY")]
    )

    servers.arm.existing_subnets.update(prod.signing.runner_subnets)
    results, _ = run(servers, prod, {})
    acls = arm_resource(servers, f"/vaults/{prod.signing.vault}")["properties"]["networkAcls"]
    assert {r["id"] for r in acls["virtualNetworkRules"]} == set(prod.signing.runner_subnets)
    assert {r["value"] for r in acls["ipRules"]} == {"20.30.40.50/32", "20.40.60.80/32"}


def test_azure_devops_variable_group_carries_the_signing_key(servers):
    spec = ado_spec("dev")
    _, outcome = run(servers, spec)
    (group,) = servers.ado.groups.values()
    assert group["variables"]["LLMOPS_SIGNING_KEY"] == {"value": outcome.outputs["signing_key"]}


def test_a_deleted_vault_of_that_name_is_recovered_with_its_key(servers):
    spec = chained("dev")
    servers.arm.deleted_vaults[spec.signing.vault] = {"name": spec.signing.vault, "properties": {}}
    _, outcome = run(servers, spec)
    assert servers.arm.deleted_vaults == {}
    put = [e for e in servers.arm.log if e[0] == "PUT" and e[1].lower().endswith(f"/vaults/{spec.signing.vault}")]
    assert len(put) == 1
    assert any("was recovered" in task for task in outcome.admin)


def test_a_vault_that_refuses_this_network_stops_with_the_fix(servers):
    spec = chained("prod")
    servers.vault.refusals = ["ForbiddenByFirewall"]
    with pytest.raises(EngineError) as err:
        run(servers, spec)
    message = str(err.value)
    assert err.value.exit_code == 3
    assert "key manifest-signing" in message and "ForbiddenByFirewall" in message and "--allow-ip" in message
    assert "run the same command again" in message and "fake-signature" not in message


def test_a_runner_who_may_not_grant_gets_the_administrator_steps_and_no_key_grant(servers):
    spec = chained("dev")
    servers.arm.forbid_role_assignments = True
    servers.vault.refusals = ["ForbiddenByRbac"]
    results, outcome = run(servers, spec)
    assert outcome_of(results, "key manifest-signing") == "skipped"
    assert outcome_of(results, "Key Vault Crypto User") == "skipped"
    task = next(t for t in outcome.admin if "could not be created" in t)
    assert "Key Vault Crypto Officer" in task and spec.signing.vault_id() in task and "rerun bootstrap" in task
    assert servers.vault.created == []


def test_a_grant_that_has_not_propagated_asks_for_a_rerun(servers):
    spec = chained("dev")
    servers.vault.refusals = ["ForbiddenByRbac"] * 4  # first try, then after each of the two waits
    with pytest.raises(EngineError, match=r"not in effect yet.*run the same command again in a few minutes"):
        run(servers, spec)


def test_an_existing_key_of_another_kind_is_refused_with_the_fix(servers):
    spec = chained("dev")
    run(servers, spec)
    servers.vault.keys["manifest-signing"]["key"].update(kty="RSA", crv=None)
    with pytest.raises(EngineError) as err:
        run(servers, spec)
    assert err.value.exit_code == 3
    assert "not EC P-256" in str(err.value) and "--kty EC --curve P-256" in str(err.value)


def test_dry_run_lists_the_signing_steps_without_calling_anything():
    from llmops_infra.cli.app import app

    result = CliRunner().invoke(app, ["bootstrap", "staging", "-C", str(REPO), "--dry-run"])
    assert result.exit_code == 0, result.output
    spec = chained("staging")
    for number, step in enumerate(bootstrap.plan(spec), 1):
        assert f"{number:2d}. [{step.system}] {step.describe}" in result.stdout
    assert f"Key Vault {spec.signing.vault}" in result.stdout and "dev -> staging -> prod" in result.stdout
    assert "LLMOPS_SIGNING_KEY" in result.stdout


def test_a_promotion_cycle_is_bad_input_naming_the_key(tmp_path):
    import shutil

    from llmops_infra.cli.app import app

    shutil.copytree(REPO / "environments", tmp_path / "environments")
    dev = tmp_path / "environments" / "dev.yaml"
    dev.write_text(dev.read_text().replace("promotion:\n", "promotion:\n  source: prod\n"))
    result = CliRunner().invoke(app, ["bootstrap", "staging", "-C", str(tmp_path), "--dry-run"])
    assert result.exit_code == 2, result.output
    assert "promotion.source" in result.output and "cycle" in result.output
    assert "one environment must have no source" in result.output
