"""The plan of every shipped environment is pinned by digest: a refactoring must not change it.

When a change is meant to alter the estate (a new resource, a changed property), regenerate the
pins and say so in the commit message:

    LLMOPS_UPDATE_PLAN_DIGESTS=1 .venv/bin/python -m pytest tests/test_plan_digests.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from llmops_infra.config.loader import list_environments

PINS = Path(__file__).parent / "fixtures" / "plan_digests.json"
REPO = Path(__file__).resolve().parent.parent


def test_every_shipped_environment_is_pinned():
    assert sorted(json.loads(PINS.read_text())) == sorted(list_environments(REPO))


@pytest.mark.parametrize("env", sorted(json.loads(PINS.read_text())))
def test_plan_digest_is_unchanged(env, plans):
    pins = json.loads(PINS.read_text())
    digest = plans(env).digest()
    if os.environ.get("LLMOPS_UPDATE_PLAN_DIGESTS") == "1":
        pins[env] = digest
        PINS.write_text(json.dumps(pins, indent=2, sort_keys=True) + "\n")
    assert digest == pins[env], (
        f"the plan of {env} changed. If the change is deliberate, regenerate the pins "
        "(LLMOPS_UPDATE_PLAN_DIGESTS=1, see this module's docstring); if not, it is a regression"
    )
