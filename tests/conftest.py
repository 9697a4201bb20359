"""Shared fixtures: the repository's project directory, synthesized plans (cached) and the
Kubernetes test bed of the `k8s` tier.

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
# Helpers shared by tests (helpers, arm_replay, engine_programs, k8s_testbed) import by module name.
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def _sdk_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("sdk-cache")


@pytest.fixture(autouse=True)
def _runner_neutral_environment(monkeypatch, tmp_path_factory, _sdk_cache):
    """Tests behave the same on a workstation and on a CI runner.

    The product reads CI (file:// state is refused there, CI pipelines differ); a test that
    exercises that sets it explicitly, so the runner's own CI=true must not leak in. The user
    cache (refreshed price and lifecycle catalogs) is an empty directory of the test's own: a
    developer's `prices refresh` must not change what the tests price.
    """
    for name in ("CI", "LLMOPS_ALLOW_LOCAL_STATE", "GITHUB_ACTIONS", "TF_BUILD"):
        monkeypatch.delenv(name, raising=False)
    # Tests patch modules and plan again: a cache keyed by file contents cannot see a patch, so
    # the plan cache is off except in tests/test_plan_cache.py, which turns it on in a tmp dir.
    monkeypatch.setenv("LLMOPS_NO_PLAN_CACHE", "1")
    monkeypatch.setenv("LLMOPS_INFRA_CACHE_DIR", str(tmp_path_factory.mktemp("user-cache")))
    # the lean SDK layouts (offline/lean_cache.py): shared by the session's processes, not the user's
    monkeypatch.setenv("LLMOPS_SDK_CACHE_DIR", str(_sdk_cache))
    # the local signing key of release manifests (release/signing.py): a test's own, never the user's
    monkeypatch.setenv("LLMOPS_CONFIG_DIR", str(tmp_path_factory.mktemp("user-config")))
    monkeypatch.delenv("LLMOPS_SIGNING_KEY", raising=False)


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


@pytest.fixture(scope="session")
def k8s_testbed(tmp_path_factory):
    """A real control plane (etcd, kube-apiserver, kube-controller-manager) for the session, with
    the CRDs the estate's custom resources need; skipped, with the reason, where the test bed is
    not built (tests/k8s_testbed.py, scripts/build-k8s-testbed.sh). Torn down even when tests fail."""
    import k8s_api as kapi
    import k8s_testbed as tb

    found = tb.find_testbed()
    if isinstance(found, str):
        pytest.skip(found)
    with tb.Testbed(found, tmp_path_factory.mktemp("k8s-testbed")) as bed:
        client = kapi.api_client(bed)
        try:
            bed.crd_names = kapi.install_crds(client, found.crds)
        finally:
            client.close()
        yield bed


@pytest.fixture(scope="session")
def k8s_client(k8s_testbed):
    """A `kubernetes` ApiClient with the test bed's admin credentials."""
    import k8s_api as kapi

    client = kapi.api_client(k8s_testbed)
    yield client
    client.close()
