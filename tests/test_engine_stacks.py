"""The estate's two stacks on the real engine: platform, then workload reading it (file backend).

The stack programs are stand-ins (the azure-native and kubernetes plugins cannot be fetched
here), but the ordering, the workspaces, the StackReference name the workload uses and the
merged result are the product's own.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from llmops_infra.config.loader import load_environment
from llmops_infra.engine import lifecycle
from llmops_infra.engine.progress import Progress
from llmops_infra.engine.pulumi_cli import locate_engine
from llmops_infra.errors import ConfigError

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
ENGINE = locate_engine()

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(not ENGINE.found, reason="no Pulumi CLI on PATH or in the build cache"),
]

sys.path.insert(0, str(TESTS))
import engine_programs as programs  # noqa: E402


@pytest.fixture
def dev(tmp_path, monkeypatch):
    shutil.copytree(REPO / "environments", tmp_path / "environments")
    monkeypatch.setenv("PULUMI_HOME", str(tmp_path / "pulumi-home"))
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "engine-test-passphrase")
    monkeypatch.setenv("PULUMI_SKIP_UPDATE_CHECK", "true")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])))
    stand_ins = {"platform": programs.platform_exports(cluster_name="aks-llmops-dev-eus"), "workload": None}

    def program_for(config, stack="platform", platform=None):
        return stand_ins[stack] or programs.workload_reader(config.name)

    monkeypatch.setattr("llmops_infra.stacks.estate.program_for", program_for)
    # The bootstrap between the stacks talks to Azure: tests/test_engine_bootstrap.py runs it against a replay.
    monkeypatch.setattr("llmops_infra.engine.seed.default_bootstrap", lambda config: NoBootstrap())
    return load_environment("dev", tmp_path), tmp_path


class NoBootstrap:
    def run(self, operation, progress):
        progress.step("bootstrap", "present", f"{operation} bootstrap: nothing missing (stand-in)")
        return []


def _steps(progress_records):
    return [r["message"] for r in progress_records if r["event"] == "step"]


def test_up_runs_platform_then_workload_which_reads_the_platform(dev):
    config, project = dev
    records: list[dict] = []
    result = lifecycle.up(config, project, engine=ENGINE, progress=Progress("up", listeners=[records.append]))
    assert _steps(records) == [
        "up platform stack (llmops-platform/dev)",
        "up bootstrap: nothing missing (stand-in)",
        "up workload stack (llmops-workload/dev)",
    ]
    assert result.outputs["seen_cluster"] == "aks-llmops-dev-eus"  # read through the StackReference
    assert result.summary["created"] == 4  # two stacks, each with its stack and one component
    for project_name in ("llmops-platform", "llmops-workload"):
        assert (project / ".llmops" / "workspaces" / "dev" / project_name / "Pulumi.dev.yaml").is_file()
    assert lifecycle.estate_outputs(config, project, engine=ENGINE)["seen_cluster"] == "aks-llmops-dev-eus"

    again = lifecycle.up(config, project, engine=ENGINE)
    assert again.summary["created"] == 0 and again.summary["unchanged"] == 4

    gone: list[dict] = []
    lifecycle.destroy(config, project, engine=ENGINE, progress=Progress("destroy", listeners=[gone.append]))
    assert _steps(gone) == [
        "destroy workload stack (llmops-workload/dev)",
        "destroy platform stack (llmops-platform/dev)",
    ]


def test_only_runs_one_stack_and_a_workload_preview_waits_for_the_platform(dev):
    config, project = dev
    records: list[dict] = []
    lifecycle.preview(config, project, engine=ENGINE, progress=Progress("preview", listeners=[records.append]))
    assert any("workload stack skipped" in m for m in _steps(records))

    only: list[dict] = []
    lifecycle.up(config, project, engine=ENGINE, only="platform", progress=Progress("up", listeners=[only.append]))
    assert _steps(only) == ["up platform stack (llmops-platform/dev)"]
    assert "seen_cluster" not in lifecycle.estate_outputs(config, project, engine=ENGINE)

    with pytest.raises(ConfigError, match="unknown stack 'network': use one of platform, bootstrap, workload"):
        lifecycle.up(config, project, engine=ENGINE, only="network")
