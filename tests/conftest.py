"""Shared fixtures: the repository's project directory and synthesized plans (cached).

Shared helpers live in tests/helpers.py (`synth`, `one`, the mocks' SUB and TENANT); this file
puts tests/ on sys.path so that tests import them as `helpers`.
"""

from __future__ import annotations

import functools
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Helpers shared by tests (helpers, arm_replay, engine_programs) import by module name.
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(autouse=True)
def _runner_neutral_environment(monkeypatch):
    """Tests behave the same on a workstation and on a CI runner.

    The product reads CI (file:// state is refused there, CI pipelines differ); a test that
    exercises that sets it explicitly, so the runner's own CI=true must not leak in.
    """
    for name in ("CI", "LLMOPS_ALLOW_LOCAL_STATE", "GITHUB_ACTIONS", "TF_BUILD"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def project_dir() -> Path:
    return REPO


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory holding a copy of the shipped environments (tests edit them freely)."""
    shutil.copytree(REPO / "environments", tmp_path / "environments")
    return tmp_path


@functools.cache
def shipped_plan(env: str):
    """The plan of a shipped environment, synthesized once per test session."""
    from llmops_infra.offline.planning import plan_environment

    return plan_environment(env, REPO)


@pytest.fixture(scope="session")
def plans():
    return shipped_plan
