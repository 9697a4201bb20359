"""platform -> bootstrap -> workload on the real engine (file backend, stand-in stack programs) with the
bootstrap's ARM and Key Vault calls answered by the local replay server: the order, a rerun after
a failure in each phase, and a secret value that reaches neither output, logs, errors nor state."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import engine_programs as programs
import pulumi
import pytest
from arm_replay import ArmReplay
from seed_replay import (
    SECRET_VALUE,
    Paths,
    bootstrap,
    dev_config,
    route_images,
    route_import,
    route_platform,
    set_secret_answer,
)

from llmops_infra.engine import lifecycle
from llmops_infra.engine.progress import Progress
from llmops_infra.engine.pulumi_cli import locate_engine
from llmops_infra.engine.seed import SeedFailed
from llmops_infra.errors import ConfigError, EngineError

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
ENGINE = locate_engine()

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(not ENGINE.found, reason="no Pulumi CLI on PATH or in the build cache"),
]


class Switch:
    """A stand-in stack program that fails while `broken` is set (a failure half-way through `up`)."""

    def __init__(self, make: Callable[[], Callable[[], None]], what: str) -> None:
        self.make, self.what, self.broken, self.runs = make, what, False, 0

    def __call__(self) -> None:
        self.runs += 1
        if self.broken:
            raise RuntimeError(f"{self.what} failed half-way (test)")
        self.make()()


@pytest.fixture
def estate(tmp_path, monkeypatch):
    shutil.copytree(REPO / "environments", tmp_path / "environments")
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "pulumi-home"))
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "engine-test-passphrase")
    monkeypatch.setenv("PULUMI_SKIP_UPDATE_CHECK", "true")
    config = dev_config(tmp_path)
    stand_ins = {
        "platform": Switch(lambda: programs.platform_exports(cluster_name="aks-llmops-dev-eus"), "platform"),
        "workload": Switch(lambda: programs.workload_reader(config.name), "workload"),
    }
    monkeypatch.setattr(
        "llmops_infra.stacks.estate.program_for", lambda c, stack="platform", platform=None: stand_ins[stack]
    )
    return config, tmp_path, stand_ins


def _up(config: Any, project: Path, boot: Any) -> tuple[Any, list[str]]:
    records: list[dict[str, Any]] = []
    result = lifecycle.up(
        config, project, engine=ENGINE, bootstrap=boot, progress=Progress("up", listeners=[records.append])
    )
    return result, [f"{r['step']}: {r['message']}" for r in records if r["event"] == "step"]


def _phases(steps: list[str]) -> list[str]:
    seen: list[str] = []
    for step in steps:
        phase = "bootstrap" if step.startswith("bootstrap") else step.split(" stack")[0].rsplit(" ", 1)[-1]
        if not seen or seen[-1] != phase:
            seen.append(phase)
    return seen


def _everything_present(replay: ArmReplay, paths: Paths) -> None:
    route_platform(replay, paths)
    route_images(replay, "acr-manifest-present")
    replay.route(paths.secrets, "kv-secrets-seeded")


def test_up_runs_platform_then_bootstrap_then_workload(estate):
    config, project, _stand_ins = estate
    paths = Paths(config)
    with ArmReplay() as replay:
        route_platform(replay, paths)
        route_images(replay, "acr-manifest-unknown", "acr-manifest-present")
        route_import(replay, paths, "arm-operation-succeeded")
        replay.route(paths.secrets, "kv-secrets-seeded")
        result, steps = _up(config, project, bootstrap(replay, config))
    assert _phases(steps) == ["platform", "bootstrap", "workload"]
    assert steps[0] == "stack: up platform stack (llmops-platform/dev)"
    assert steps[-1] == "stack: up workload stack (llmops-workload/dev)"
    assert any(
        s.startswith("bootstrap.images: vllm/vllm-openai@sha256:61fc8a896b0a…: imported from docker.io") for s in steps
    )
    assert {(b["step"], b["state"]) for b in result.bootstrap} == {("images", "done"), ("secrets", "present")}
    assert result.outputs["seen_cluster"] == "aks-llmops-dev-eus"

    with ArmReplay() as replay:  # --only bootstrap: no stack is opened, and nothing is missing any more
        _everything_present(replay, paths)
        records: list[dict[str, Any]] = []
        only = lifecycle.up(
            config,
            project,
            engine=ENGINE,
            only="bootstrap",
            bootstrap=bootstrap(replay, config),
            progress=Progress("up", listeners=[records.append]),
        )
    assert {b["state"] for b in only.bootstrap} == {"present"} and only.summary["created"] == 0
    assert not any(r["step"] == "stack" for r in records if r["event"] == "step")
    with pytest.raises(ConfigError, match="--only bootstrap works with up and preview"):
        lifecycle.destroy(config, project, engine=ENGINE, only="bootstrap")


def test_a_failed_platform_stops_before_the_bootstrap_and_a_rerun_completes(estate):
    config, project, stand_ins = estate
    paths = Paths(config)
    stand_ins["platform"].broken = True
    with ArmReplay() as replay:
        _everything_present(replay, paths)
        with pytest.raises(EngineError, match="platform failed half-way"):
            _up(config, project, bootstrap(replay, config))
        assert replay.requests == [] and stand_ins["workload"].runs == 0
        stand_ins["platform"].broken = False
        result, steps = _up(config, project, bootstrap(replay, config))
    assert _phases(steps) == ["platform", "bootstrap", "workload"]
    assert result.outputs["seen_cluster"] == "aks-llmops-dev-eus"


def test_a_failed_bootstrap_stops_before_the_workload_and_a_rerun_picks_up_where_it_stopped(estate):
    config, project, stand_ins = estate
    paths = Paths(config)
    with ArmReplay() as replay:
        route_platform(replay, paths)
        route_images(replay, "acr-manifest-unknown")
        replay.route(paths.import_image, "error-forbidden", method="POST")
        replay.route(paths.secrets, "kv-secrets-seeded")
        with pytest.raises(SeedFailed, match="Container Registry Data Importer"):
            _up(config, project, bootstrap(replay, config))
        assert stand_ins["workload"].runs == 0
        assert "seen_cluster" not in lifecycle.estate_outputs(config, project, engine=ENGINE)
        with pytest.raises(SeedFailed, match="--only bootstrap"):  # the workload alone is gated too
            lifecycle.up(config, project, engine=ENGINE, only="workload", bootstrap=bootstrap(replay, config))
        assert stand_ins["workload"].runs == 0

        route_images(replay, "acr-manifest-unknown", "acr-manifest-present")
        route_import(replay, paths, "arm-operation-succeeded")
        result, steps = _up(config, project, bootstrap(replay, config))
    assert _phases(steps) == ["platform", "bootstrap", "workload"]
    assert result.summary["created"] == 2  # only the workload stack's two resources are new
    assert result.outputs["seen_cluster"] == "aks-llmops-dev-eus"


def test_a_failed_workload_reruns_with_the_platform_unchanged_and_nothing_imported_twice(estate):
    config, project, stand_ins = estate
    paths = Paths(config)
    stand_ins["workload"].broken = True
    with ArmReplay() as replay:
        route_platform(replay, paths)
        route_images(replay, "acr-manifest-unknown", "acr-manifest-present")
        route_import(replay, paths, "arm-operation-succeeded")
        replay.route(paths.secrets, "kv-secrets-seeded")
        with pytest.raises(EngineError, match="workload failed half-way"):
            _up(config, project, bootstrap(replay, config))
        imports = replay.hits(paths.import_image, "POST")
        stand_ins["workload"].broken = False
        result, _ = _up(config, project, bootstrap(replay, config))
        assert replay.hits(paths.import_image, "POST") == imports  # the rerun found the images present
    assert {b["state"] for b in result.bootstrap} == {"present"}
    # The platform's two resources and the workload stack the failed run left are unchanged; only its component is new.
    assert (result.summary["created"], result.summary["updated"], result.summary["deleted"]) == (1, 0, 0)
    assert result.outputs["seen_cluster"] == "aks-llmops-dev-eus"


def test_a_seeded_secret_reaches_neither_output_logs_errors_nor_state(estate, monkeypatch, capfd):
    config, project, _stand_ins = estate
    paths = Paths(config)
    monkeypatch.setenv("HF_TOKEN", SECRET_VALUE)
    with ArmReplay() as replay:
        route_platform(replay, paths)
        route_images(replay, "acr-manifest-present")
        replay.route(paths.secrets, "kv-secrets", "kv-secrets-seeded")
        replay.route(paths.secret("hf-hub-token"), set_secret_answer(SECRET_VALUE), method="PUT")
        result, steps = _up(config, project, bootstrap(replay, config, dict(os.environ)))
        assert sum(SECRET_VALUE in r["body"] for r in replay.requests) == 1  # the one PUT to the vault

        replay.route(paths.secrets, "kv-secrets")  # deleted out of band: the rerun makes it again
        replay.route(paths.secret("hf-hub-token"), "kv-forbidden-rbac", method="PUT")
        with pytest.raises(SeedFailed) as failure:
            _up(config, project, bootstrap(replay, config, dict(os.environ)))
    assert ("secrets", "hf-hub-token", "done") in {(b["step"], b["name"], b["state"]) for b in result.bootstrap}
    captured = capfd.readouterr()
    seen = json.dumps([result.as_dict(), steps, str(failure.value)]) + captured.out + captured.err
    assert SECRET_VALUE not in seen
    state_files = [p for p in project.rglob("*") if p.is_file()]
    assert any(".pulumi" in str(p) for p in state_files)  # the state is there, and clean
    assert not [p for p in state_files if SECRET_VALUE.encode() in p.read_bytes()]
    outputs = lifecycle.estate_outputs(config, project, engine=ENGINE, show_secrets=True)
    assert SECRET_VALUE not in json.dumps(outputs)


def test_preview_shows_the_bootstrap_steps_and_changes_nothing(estate, monkeypatch):
    config, project, _stand_ins = estate
    paths = Paths(config)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    with ArmReplay() as replay:  # before the platform exists: ARM answers 404 for the registry and the vault
        records: list[dict[str, Any]] = []
        result = lifecycle.preview(
            config,
            project,
            engine=ENGINE,
            bootstrap=bootstrap(replay, config),
            progress=Progress("preview", listeners=[records.append]),
        )
        written = [r for r in replay.requests if r["method"] in ("POST", "PUT")]
    steps = [f"{r['step']} {r['status']}: {r['message']}" for r in records if r["event"] == "step"]
    platform = steps.index("stack started: preview platform stack (llmops-platform/dev)")
    first_bootstrap = next(i for i, s in enumerate(steps) if s.startswith("bootstrap"))
    workload = steps.index("stack started: preview workload stack (llmops-workload/dev)")
    assert platform < first_bootstrap < workload
    assert any(
        "bootstrap.images planned: vllm/vllm-openai" in s and "once the platform stack exists" in s for s in steps
    )
    assert any("workload stack skipped" in s for s in steps)
    assert {b["state"] for b in result.bootstrap} == {"waiting"} and written == []
    assert paths.registry in {r["path"] for r in replay.requests}


def test_stand_in_programs_are_component_only():
    """The engine tests run without provider plugins: every stand-in resource is a component."""
    assert issubclass(programs.Box, pulumi.ComponentResource)
