"""The offline runner: levels by scope and override, exemptions, unknowns, shipped environments."""

from datetime import date

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from llmops_infra.plan import Plan, PlannedResource
from llmops_infra.policies.runner import check_plan
from llmops_infra.policies.settings import Exemption, PolicySettings, PolicySettingsError

VAULT = "azure-native:keyvault:Vault"
STACK = "urn:pulumi:dev::llmops::"


def resource(type_, name, props, deps=()):
    return PlannedResource(
        type=type_,
        name=name,
        urn=f"{STACK}{type_}::{name}",
        parent=None,
        custom=True,
        props=props,
        dependencies=list(deps),
    )


def vault_plan(**vault_props):
    props = {
        "location": "eastus",
        "properties": {
            "enableSoftDelete": True,
            "enableRbacAuthorization": True,
            "networkAcls": {"defaultAction": "Deny"},
            **vault_props,
        },
    }
    return Plan(environment="dev", project="llmops", resources=[resource(VAULT, "kv-vault", props)])


def rule_ids(violations):
    return sorted({v.rule_id for v in violations})


def test_scope_decides_levels():
    plan = vault_plan()  # no purge protection, public access not disabled, no tags, no budget
    dev = check_plan(plan, PolicySettings(scope="dev", allowed_regions=("eastus",)))
    assert {v.rule_id: v.enforcement for v in dev.violations}["KV-01"] == "advisory"
    prod = check_plan(plan, PolicySettings(scope="prod", allowed_regions=("eastus",)))
    assert {v.rule_id: v.enforcement for v in prod.violations}["KV-01"] == "mandatory"
    assert "KV-01" in rule_ids(prod.mandatory) and not prod.passed
    # COST-01 (no budget) is A: mandatory in dev too.
    assert "COST-01" in rule_ids(dev.mandatory)
    assert dev.violations[0].enforcement == "mandatory"  # mandatory first


def test_levels_raise_freely_but_lower_only_with_an_exemption():
    plan = vault_plan()
    settings = PolicySettings(scope="dev", levels={"KV-01": "mandatory", "cost-01-budget": "disabled"})
    result = check_plan(plan, settings, today=date(2026, 6, 1))
    assert "KV-01" in rule_ids(result.mandatory)  # raised from advisory
    assert "COST-01" in rule_ids(result.mandatory)  # lowering ignored: no exemption
    assert result.ignored_overrides and result.ignored_overrides[0].startswith("COST-01: lowering to disabled ignored")
    exemption = Exemption("COST-01", ("*",), "budgets live in the billing account", "finops", date(2026, 12, 31))
    allowed = check_plan(
        plan,
        PolicySettings(scope="dev", levels={"COST-01": "disabled"}, exemptions=(exemption,)),
        today=date(2026, 6, 1),
    )
    from llmops_infra.policies import catalog

    assert "COST-01" not in rule_ids(allowed.violations) and allowed.rules_run == len(catalog.rules()) - 1
    assert allowed.ignored_overrides == []
    # A default level that lowers A rules is ignored for them, the same way.
    lowered = check_plan(plan, PolicySettings(scope="dev", default_level="advisory"), today=date(2026, 6, 1))
    assert "COST-01" in rule_ids(lowered.mandatory) and "KV-01" in rule_ids(lowered.advisory)


def test_unknown_rule_ids_are_rejected_with_a_hint():
    from llmops_infra.policies import catalog

    with pytest.raises(PolicySettingsError, match="KV-01"):
        PolicySettings(levels={"KV-1": "mandatory"}).validate_against(catalog.rules())
    with pytest.raises(PolicySettingsError) as caught:
        PolicySettings(scope="qa")
    # one error base: a command reports it like any bad input (exit 2), code that expects ValueError still can
    from llmops_infra.errors import ConfigError

    assert isinstance(caught.value, ConfigError) and isinstance(caught.value, ValueError)
    assert caught.value.exit_code == 2


def test_exemptions_apply_until_they_expire():
    plan = vault_plan()
    exemption = Exemption(
        policy="KV-01", resources=("kv-*",), reason="migration of the vault", owner="sec", expires=date(2030, 1, 1)
    )
    settings = PolicySettings(scope="prod", exemptions=(exemption,), allowed_regions=("eastus",))
    active = check_plan(plan, settings, today=date(2029, 12, 31))
    assert "KV-01" not in rule_ids(active.violations)
    assert [v.rule_id for v in active.exempted] == ["KV-01"]
    assert "exempted until 2030-01-01" in active.exempted[0].note
    expired = check_plan(plan, settings, today=date(2030, 1, 2))
    kv01 = [v for v in expired.violations if v.rule_id == "KV-01"]
    assert kv01 and "expired on 2030-01-01" in kv01[0].note
    assert expired.expired_exemptions == [exemption]
    assert expired.summary()["expired_exemptions"][0]["policy"] == "KV-01"


def test_unknown_values_neither_pass_nor_fail():
    plan = vault_plan(enablePurgeProtection=UNKNOWN_STRING_VALUE)
    result = check_plan(plan, PolicySettings(scope="prod", allowed_regions=("eastus",)))
    assert "KV-01" not in rule_ids(result.violations)
    assert any(n["policy"] == "kv-01-purge-protection" for n in result.not_evaluated)
    assert "can't be known during preview" in result.not_evaluated[0]["reason"]


def test_stack_violations_name_their_resource():
    result = check_plan(vault_plan(), PolicySettings(scope="prod", allowed_regions=("eastus",)))
    kv06 = next(v for v in result.violations if v.rule_id == "KV-06")
    assert kv06.resource_name == "kv-vault" and kv06.resource_type == VAULT
    budget = next(v for v in result.violations if v.rule_id == "COST-01")
    assert budget.resource_name == "" and budget.urn == ""


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_shipped_environment_passes_its_mandatory_rules(env, plans, project_dir):
    from llmops_infra.config.loader import load_environment
    from llmops_infra.offline.policy_check import check_config

    result = check_config(load_environment(env, project_dir), plans(env))
    assert result.resources > 50
    assert result.mandatory == [], [(v.rule_id, v.resource_name, v.message) for v in result.mandatory]
    assert result.not_evaluated == []
