"""stacks.policy_gate: EnvironmentConfig -> PolicySettings, and unknown rule ids as config errors."""

import pytest

from llmops_infra.config.loader import load_environment
from llmops_infra.errors import ConfigError
from llmops_infra.offline.policy_check import policy_settings


def test_settings_carry_scope_levels_and_limits(project_dir):
    prod = policy_settings(load_environment("prod", project_dir))
    assert prod.scope == "prod" and prod.default_level == "mandatory"
    assert prod.allowed_gpu_sizes == ("Standard_NC24ads_A100_v4", "Standard_NC48ads_A100_v4")
    assert prod.max_gpu_nodes == 8 and prod.max_monthly_usd == 80000 and not prod.allow_ptu
    dev = policy_settings(load_environment("dev", project_dir))
    assert dev.scope == "dev" and dev.default_level is None and dev.max_openai_capacity == 60
    assert "Standard_DS3_v2" in dev.allowed_ml_instance_types


def test_unknown_rule_in_levels_is_a_config_error(project_dir):
    config = load_environment("dev", project_dir)
    broken = config.model_copy(update={"policy": config.policy.model_copy(update={"levels": {"KV-99": "advisory"}})})
    with pytest.raises(ConfigError, match="KV-99"):
        policy_settings(broken)
