"""Which CrossGuard packs the engine runs (`engine.policy_packs`): one rule for `preview`, `up` and a promotion."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmops_infra.config.loader import load_environment
from llmops_infra.engine import lifecycle, policy_packs
from llmops_infra.engine.policy_packs import PolicyPacks
from llmops_infra.errors import ConfigError

REPO = Path(__file__).resolve().parent.parent
SHIPPED = {"policy_packs": ["/pkg/policies"], "policy_pack_configs": ["/ws/dev.json"]}


@pytest.fixture
def user_pack(tmp_path):
    pack = tmp_path / "my-pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\n")
    config = tmp_path / "my-pack.json"
    config.write_text("{}")
    return pack, config


@pytest.fixture
def shipped(monkeypatch):
    monkeypatch.setattr(policy_packs, "shipped_policy_pack", lambda config, project_dir: dict(SHIPPED))


def test_shipped_pack_config_carries_the_environment_levels(project):
    config = load_environment("prod", project)
    pack = policy_packs.shipped_policy_pack(config, project)
    if not pack:
        pytest.skip("this installation ships no policies/PulumiPolicy.yaml")
    assert Path(pack["policy_packs"][0], "PulumiPolicy.yaml").is_file()
    written = json.loads(Path(pack["policy_pack_configs"][0]).read_text())
    assert written["kv-01-purge-protection"]["enforcementLevel"] == "mandatory"  # prod: default_level mandatory


def test_the_shipped_pack_comes_first_then_the_users(project, user_pack, shipped):
    config = load_environment("dev", project)
    pack, pack_config = user_pack
    assert PolicyPacks().arguments(config, project) == SHIPPED
    both = PolicyPacks.from_options([pack], [pack_config], shipped=True).arguments(config, project)
    assert both == {
        "policy_packs": ["/pkg/policies", str(pack.resolve())],
        "policy_pack_configs": ["/ws/dev.json", str(pack_config.resolve())],
    }


def test_without_the_shipped_pack_a_user_pack_may_go_without_config(project, user_pack, shipped):
    config = load_environment("dev", project)
    pack, _ = user_pack
    assert PolicyPacks.from_options(None, None, shipped=False).arguments(config, project) == {}
    alone = PolicyPacks.from_options([pack], None, shipped=False).arguments(config, project)
    assert alone == {"policy_packs": [str(pack.resolve())], "policy_pack_configs": None}


@pytest.mark.parametrize(
    ("packs", "configs", "shipped_flag", "message"),
    [
        ([], ["c.json"], True, "--policy-pack-config needs a --policy-pack"),
        (["."], [], False, "has no PulumiPolicy.yaml"),
        (["PACK"], [], True, "give a --policy-pack-config for each --policy-pack"),
    ],
)
def test_bad_pack_options_are_bad_input(user_pack, packs, configs, shipped_flag, message):
    pack, _ = user_pack
    with pytest.raises(ConfigError, match=message) as caught:
        PolicyPacks.from_options(
            [pack if p == "PACK" else Path(p) for p in packs], [Path(c) for c in configs], shipped=shipped_flag
        )
    assert caught.value.exit_code == 2


def test_a_promotion_deploys_with_the_same_packs(project, monkeypatch, shipped):
    from llmops_infra.release.hooks import engine_deploy

    seen = {}

    def up(config, project_dir, *, program=None, **kwargs):
        seen.update(kwargs)
        return lifecycle.OperationResult("up", config.name, {"created": 1})

    monkeypatch.setattr(lifecycle, "up", up)
    outcome = engine_deploy()(load_environment("dev", project), project)
    assert outcome.succeeded and seen == SHIPPED
    seen.clear()
    engine_deploy(program=lambda: None)(load_environment("dev", project), project)  # a test program: no pack
    assert seen == {}
