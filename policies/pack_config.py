"""The engine's policy-pack config for an environment (`pulumi preview --policy-pack-config FILE`).

Per policy: its enforcement level, the environment parameters it reads, and the resource-name
patterns of the exemptions active today (expired ones are left out, so they stop applying).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from llmops_infra.policies import catalog
from llmops_infra.policies.settings import PolicySettings


def pack_config(settings: PolicySettings, today: date | None = None) -> dict[str, Any]:
    today = today or date.today()
    config: dict[str, Any] = {}
    for info in catalog.rules():
        entry: dict[str, Any] = {
            "enforcementLevel": settings.effective_level(info, today)[0],
            **settings.config_for(info),
        }
        exempt = sorted(
            {
                pattern
                for e in settings.exemptions
                if e.active(today) and e.policy.lower() in (info.id.lower(), info.name)
                for pattern in e.resources
            }
        )
        if exempt:
            entry["exempt"] = exempt
        config[info.name] = entry
    return config
