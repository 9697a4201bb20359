"""Shared fixtures: the repository's project directory and synthesized plans (cached)."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def project_dir() -> Path:
    return REPO


@functools.cache
def shipped_plan(env: str):
    """The plan of a shipped environment, synthesized once per test session."""
    from llmops_infra.offline.planning import plan_environment

    return plan_environment(env, REPO)


@pytest.fixture(scope="session")
def plans():
    return shipped_plan
