"""Which CrossGuard packs the engine runs: the shipped pack with the environment's levels, then the user's.

`preview` and `up` (the commands, and `up` inside a promotion) take their `policy_packs` /
`policy_pack_configs` arguments from `PolicyPacks.arguments`. The engine pairs configs with
packs by position, so once the shipped pack runs with its config, every user pack needs one too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.engine.lifecycle import WORKSPACES
from llmops_infra.errors import ConfigError


class PackArguments(TypedDict, total=False):
    """The keyword arguments `lifecycle.preview` and `lifecycle.up` take for policy packs."""

    policy_packs: list[str]
    policy_pack_configs: list[str] | None


def shipped_policy_pack(config: EnvironmentConfig, project_dir: Path) -> PackArguments:
    """The estate's CrossGuard pack with this environment's levels, limits and exemptions.

    Returns the `policy_packs` / `policy_pack_configs` arguments of `preview` and `up`, or {}
    when the installed package ships no pack. The config is written into the workspace.
    """
    import llmops_infra.policies as policies_pkg

    pack_dir = Path(policies_pkg.__file__).parent
    if not (pack_dir / "PulumiPolicy.yaml").is_file():
        return {}
    from llmops_infra.offline.policy_check import policy_settings
    from llmops_infra.policies.pack_config import pack_config

    work_dir = project_dir / WORKSPACES / config.name
    work_dir.mkdir(parents=True, exist_ok=True)
    config_file = work_dir / "policy-pack-config.json"
    config_file.write_text(json.dumps(pack_config(policy_settings(config)), indent=1), encoding="utf-8")
    return {"policy_packs": [str(pack_dir)], "policy_pack_configs": [str(config_file)]}


@dataclass(frozen=True)
class PolicyPacks:
    """The packs asked for: the shipped one (`shipped`) and the user's, with their configs."""

    packs: tuple[str, ...] = ()
    configs: tuple[str, ...] = ()
    shipped: bool = True

    @classmethod
    def from_options(cls, packs: list[Path] | None, configs: list[Path] | None, *, shipped: bool = True) -> PolicyPacks:
        """Check `--policy-pack` / `--policy-pack-config` before anything runs (bad input: exit 2)."""
        if configs and not packs:
            raise ConfigError("--policy-pack-config needs a --policy-pack", key="--policy-pack-config")
        for pack in packs or []:
            if not (pack / "PulumiPolicy.yaml").is_file():
                raise ConfigError(
                    f"{pack} has no PulumiPolicy.yaml: give the policy pack's directory", key="--policy-pack"
                )
        if shipped and packs and len(configs or []) != len(packs):
            raise ConfigError(
                "the shipped pack runs with its config: give a --policy-pack-config for each "
                "--policy-pack, or pass --no-engine-policies",
                key="--policy-pack-config",
            )
        return cls(
            tuple(str(p.resolve()) for p in packs or []), tuple(str(c.resolve()) for c in configs or []), shipped
        )

    def arguments(self, config: EnvironmentConfig, project_dir: Path) -> PackArguments:
        """The engine's `policy_packs` / `policy_pack_configs` ({} when no pack runs)."""
        shipped = shipped_policy_pack(config, project_dir) if self.shipped else PackArguments()
        packs = shipped.get("policy_packs", []) + list(self.packs)
        if not packs:
            return {}
        configs = (shipped.get("policy_pack_configs") or []) + list(self.configs)
        return {"policy_packs": packs, "policy_pack_configs": configs or None}
