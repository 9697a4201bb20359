"""Naming: CAF abbreviations, each type's rules, deterministic uniqueness."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmops_infra.components.naming import RULES, InvalidNameError, Namer, region_code, unique_suffix, validate

SUB = "11111111-1111-4111-8111-111111111111"


def test_examples() -> None:
    namer = Namer("llmops", "dev", "eastus", SUB)
    assert namer.name("resource_group") == "rg-llmops-dev-eus"
    assert namer.name("subnet", "aks") == "snet-llmops-dev-eus-aks"
    kv = namer.name("key_vault")
    assert kv.startswith("kv-llmops-dev-eus-") and len(kv) <= 24
    st_name = namer.name("storage_account", "models")
    assert st_name.isalnum() and st_name.islower() and 3 <= len(st_name) <= 24 and st_name.startswith("st")


def test_globally_unique_names_differ_by_subscription_and_are_stable() -> None:
    a = Namer("llmops", "dev", "eastus", SUB)
    b = Namer("llmops", "dev", "eastus", "22222222-2222-4222-8222-222222222222")
    assert a.name("key_vault") == Namer("llmops", "dev", "eastus", SUB).name("key_vault")
    assert a.name("key_vault") != b.name("key_vault")
    # Names that need not be globally unique carry no suffix.
    assert a.name("resource_group") == b.name("resource_group")


def test_validate_reports_what_is_wrong() -> None:
    with pytest.raises(InvalidNameError, match="length 25 is outside 3-24"):
        validate("key_vault", "k" * 25)
    with pytest.raises(InvalidNameError, match=r"only \[a-z0-9\] are allowed"):
        validate("storage_account", "st-models")
    with pytest.raises(InvalidNameError, match="must start with"):
        validate("key_vault", "1kv")
    with pytest.raises(InvalidNameError, match="consecutive hyphens"):
        validate("key_vault", "kv--abc")


def test_region_codes() -> None:
    assert region_code("eastus") == "eus"
    assert region_code("swedencentral") == "sdc"
    assert region_code("unknownregion") == "unknownregion"


def test_suffix_is_deterministic_hex() -> None:
    assert unique_suffix("a", "b") == unique_suffix("a", "b")
    assert unique_suffix("a", "b") != unique_suffix("ab", "")
    assert len(unique_suffix("x")) == 4


workloads = st.from_regex(r"[a-z][a-z0-9]{1,9}", fullmatch=True)
environments = st.sampled_from(["dev", "staging", "prod", "qa", "perf2", "sandbox"])
regions = st.sampled_from(["eastus", "eastus2", "swedencentral", "westeurope", "brazilsouth", "newregionx"])
qualifiers = st.lists(st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True), max_size=2)


@settings(max_examples=300, deadline=None)
@given(workload=workloads, env=environments, region=regions, kind=st.sampled_from(sorted(RULES)), extra=qualifiers)
def test_every_generated_name_is_valid_for_its_type(workload, env, region, kind, extra) -> None:
    name = Namer(workload, env, region, SUB).name(kind, *extra)
    rule = RULES[kind]
    assert rule.min_length <= len(name) <= rule.max_length
    assert validate(kind, name) == name
    if rule.lowercase:
        assert name == name.lower()


@settings(max_examples=200, deadline=None)
@given(workload=workloads, env=environments, region=regions)
def test_unique_names_never_collide_across_kinds(workload, env, region) -> None:
    namer = Namer(workload, env, region, SUB)
    unique = [namer.name(k) for k, r in RULES.items() if r.globally_unique]
    assert len(set(unique)) == len(unique)
