"""The real Pulumi engine against a local file backend (tmp_path): skipped where no CLI is found.

Programs are tiny (tests/engine_programs.py): component resources, and dynamic-provider
resources where a custom resource is needed (a crash mid-create, drift).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from llmops_infra.config.loader import load_environment
from llmops_infra.engine import lifecycle, policy_packs
from llmops_infra.engine.errors import PendingOperationsError, StackLockedError
from llmops_infra.engine.progress import Progress
from llmops_infra.engine.pulumi_cli import locate_engine
from llmops_infra.errors import PolicyViolationError

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
ENGINE = locate_engine()

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(
        not ENGINE.found,
        reason="no Pulumi CLI on PATH or in the build cache (bash scripts/build-pulumi-cli.sh builds one)",
    ),
]

sys.path.insert(0, str(TESTS))
import engine_programs as programs  # noqa: E402


@pytest.fixture
def project(project, monkeypatch):
    """The shared project (the shipped environments) with its own state, PULUMI_HOME and passphrase."""
    tmp_path = project
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "pulumi-home"))
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "engine-test-passphrase")
    monkeypatch.setenv("PULUMI_SKIP_UPDATE_CHECK", "true")
    # The dynamic providers are pickled by reference to engine_programs: the provider process imports it.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])))
    return tmp_path


@pytest.fixture
def dev(project):
    return load_environment("dev", project)


def state_file(project: Path) -> Path:
    return project / ".llmops" / "state" / ".pulumi" / "stacks" / "llmops" / "dev.json"


def test_up_preview_outputs_destroy(project, dev):
    secret = {"app:token": ("s3cr3t-value", True)}
    program = programs.boxes(3, secret_from_config=True)

    up = lifecycle.up(dev, project, program=program, engine=ENGINE, extra_config=secret)
    assert up.summary["created"] == 4  # the stack, root and two children
    assert up.outputs == {"count": 3, "token": "[secret]"}
    assert {c["op"] for c in up.changes} == {"create"}

    state = state_file(project).read_text()
    assert "s3cr3t-value" not in state
    settings = (project / ".llmops" / "workspaces" / "dev" / "llmops" / "Pulumi.dev.yaml").read_text()
    assert "s3cr3t-value" not in settings and "secure:" in settings and "azure-native:location: eastus" in settings

    same = lifecycle.preview(dev, project, program=program, engine=ENGINE, extra_config=secret)
    assert same.summary["unchanged"] == 4 and same.changes == []

    grown = lifecycle.preview(
        dev, project, program=programs.boxes(4, secret_from_config=True), engine=ENGINE, extra_config=secret
    )
    assert grown.summary["created"] == 1 and grown.summary["unchanged"] == 4
    assert [c["urn"].rsplit("::", 1)[-1] for c in grown.changes if c["op"] == "create"] == ["root-child2"]

    assert lifecycle.outputs(dev, project, engine=ENGINE) == {"count": 3, "token": "[secret]"}
    assert lifecycle.outputs(dev, project, engine=ENGINE, show_secrets=True)["token"] == "s3cr3t-value"

    events: list[str] = []
    gone = lifecycle.destroy(
        dev,
        project,
        program=program,
        engine=ENGINE,
        progress=Progress("destroy", listeners=[lambda r: events.append(r["event"])]),
    )
    assert gone.summary["deleted"] == 4
    assert "resource-pre" in events and "summary" in events


def test_refresh_shows_drift(project, dev):
    cloud = project / "cloud.json"
    lifecycle.up(dev, project, program=programs.file_thing(cloud, 1), engine=ENGINE)
    cloud.write_text(json.dumps({"size": 7}))  # changed outside the code
    drift = lifecycle.refresh(dev, project, program=programs.file_thing(cloud, 1), engine=ENGINE, preview_only=True)
    assert drift.summary["drifted"] == 1
    assert [(c["urn"].rsplit("::", 1)[-1], c["diffs"]) for c in drift.changes] == [("thing", ["size"])]
    lifecycle.refresh(dev, project, program=programs.file_thing(cloud, 1), engine=ENGINE)
    resources = json.loads(state_file(project).read_text())["checkpoint"]["latest"]["resources"]
    (thing,) = [r for r in resources if r["urn"].endswith("::thing")]
    assert thing["outputs"]["size"] == 7 and thing["inputs"]["size"] == 1  # the state adopted the drift


def test_policy_pack_in_the_engine_stops_a_violation(project, dev):
    """A Key Vault-typed component without purge protection and RBAC: the pack runs in the engine."""
    if not ENGINE.language_host:
        pytest.skip("no pulumi-language-python: policy packs cannot run")
    pack = policy_packs.shipped_policy_pack(dev, project)
    if not pack:
        pytest.skip("this installation ships no policies/PulumiPolicy.yaml")

    def program():
        programs.Box(
            "kv",
            {"location": "eastus", "properties": {"enableRbacAuthorization": False}},
            type_="azure-native:keyvault:Vault",
        )

    progress = Progress("preview")
    with pytest.raises(PolicyViolationError) as err:
        lifecycle.preview(dev, project, program=program, engine=ENGINE, progress=progress, **pack)
    assert err.value.exit_code == 1
    assert "kv-03-rbac-authorization on kv" in str(err.value)
    levels = {p["policy"]: p["level"] for p in progress.policy}
    assert levels["kv-03-rbac-authorization"] == "mandatory"
    assert levels["kv-01-purge-protection"] == "advisory"  # dev's level for a prod-only rule


def _start(project: Path, mode: str, marker: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(TESTS / "engine_programs.py"), str(project), mode, str(marker)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _kill_session(proc: subprocess.Popen) -> None:
    """SIGKILL every process of the helper's session: the helper, its engine and the plugins. The
    engine starts each plugin in a process group of its own, so killing the helper's group alone
    leaves the dynamic provider (`python -u -m pulumi.dynamic`) running, orphaned."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getsid(int(entry.name)) == proc.pid:
                os.kill(int(entry.name), signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            continue  # gone meanwhile, or not ours
    proc.wait(timeout=30)


def _wait_for(path: Path, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if proc.poll() is not None:
            pytest.fail(f"helper exited early: {proc.stderr.read()}")
        if time.monotonic() > deadline:
            _kill_session(proc)
            pytest.fail("helper never reached its marker")
        time.sleep(0.1)


def test_concurrent_updates_one_is_refused_with_the_lock_holder(project, dev):
    marker = project / "holding"
    holder = _start(project, "hold", marker)
    try:
        _wait_for(marker, holder)
        with pytest.raises(StackLockedError) as err:
            lifecycle.up(dev, project, program=programs.boxes(1), engine=ENGINE)
        text = str(err.value)
        assert "(pid " in text and " since 20" in text and "llmops-infra cancel dev" in text
        assert ".pulumi/locks/organization/llmops/dev/" in text
    finally:
        out, errors = holder.communicate(timeout=120)
    assert holder.returncode == 0, errors
    assert json.loads(out.strip().splitlines()[-1])["created"] == 2


def test_crashed_update_is_recovered(project, dev):
    marker = project / "creating"
    crasher = _start(project, "crash", marker)
    _wait_for(marker, crasher)
    _kill_session(crasher)  # the helper, its engine and the provider: all ours

    fast = programs.slow(project / "creating-again", 0)
    with pytest.raises(PendingOperationsError) as err:
        lifecycle.up(dev, project, program=fast, engine=ENGINE)
    assert "slow (creating)" in str(err.value) and "--clear-pending-creates" in str(err.value)
    assert "llmops-infra cancel dev" in str(err.value)

    with pytest.raises(StackLockedError) as err:  # the killed update still holds the lock
        lifecycle.refresh(dev, project, program=fast, engine=ENGINE, clear_pending_creates=True)
    assert "the lock is stale" in str(err.value)

    lifecycle.cancel(dev, project, engine=ENGINE, project="llmops")
    lifecycle.refresh(dev, project, program=fast, engine=ENGINE, clear_pending_creates=True)
    assert not lifecycle.pending_operations(
        lifecycle.open_stack(lifecycle.stack_target(dev, project), fast, ENGINE, create=False)
    )
    recovered = lifecycle.up(dev, project, program=fast, engine=ENGINE)
    assert recovered.summary["created"] >= 1 and recovered.summary["failed"] == 0
