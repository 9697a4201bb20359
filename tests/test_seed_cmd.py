"""`up|preview ENV --only bootstrap` through the CLI: progress per item, exit codes, no secret value printed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from arm_replay import ArmReplay
from seed_replay import SECRET_VALUE, Paths, bootstrap, dev_config, route_images, route_platform, set_secret_answer
from typer.testing import CliRunner

from llmops_infra.cli.app import app
from llmops_infra.engine import gates
from llmops_infra.engine import pulumi_cli as engine
from llmops_infra.engine.gates import GateResult
from llmops_infra.engine.pulumi_cli import EngineInfo

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()
FOUND = EngineInfo(Path("/opt/llmops/bin/pulumi"), "3.259.0", "3.272.0", "cache", None, {})


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """The CLI with its gates passing, an engine found, and the bootstrap wired to a replay server."""
    shutil.copytree(REPO / "environments", tmp_path / "environments")
    config = dev_config(tmp_path)
    monkeypatch.setattr(engine, "cached_engine", lambda: FOUND)

    def gates_pass(env, project_dir, *, operation, on_result=None, **_):
        result = GateResult("config", gates.PASSED, "ok")
        if on_result:
            on_result(result)
        return config, [result]

    monkeypatch.setattr(gates, "gates_for", gates_pass)
    replay = ArmReplay().__enter__()
    environ: dict[str, str] = {}
    monkeypatch.setattr("llmops_infra.engine.seed.default_bootstrap", lambda c: bootstrap(replay, c, environ))
    monkeypatch.setenv("CI", "true")
    yield replay, Paths(config), environ, tmp_path
    replay.__exit__()


def test_up_only_bootstrap_in_json_streams_each_item_and_ends_with_the_result(cli):
    replay, paths, environ, project = cli
    environ["HF_TOKEN"] = SECRET_VALUE
    route_platform(replay, paths)
    route_images(replay, "acr-manifest-present")
    replay.route(paths.secrets, "kv-secrets", "kv-secrets-seeded")
    replay.route(paths.secret("hf-hub-token"), set_secret_answer(SECRET_VALUE), method="PUT")
    result = runner.invoke(
        app, ["up", "dev", "--project-dir", str(project), "--only", "bootstrap", "--yes", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    steps = [(e["step"], e["status"]) for e in events if e["event"] == "step"]
    assert steps[0] == ("bootstrap", "started") and steps[-1] == ("bootstrap", "done")
    assert ("bootstrap.secrets", "done") in steps and ("bootstrap.images", "present") in steps
    final = events[-1]
    assert final["event"] == "result"
    assert {(b["name"], b["state"]) for b in final["bootstrap"]} >= {("hf-hub-token", "done")}
    assert SECRET_VALUE not in result.output


def test_preview_only_bootstrap_in_a_table_lists_what_is_missing(cli):
    replay, paths, _environ, project = cli
    route_platform(replay, paths)
    route_images(replay, "acr-manifest-unknown")
    replay.route(paths.secrets, "kv-secrets")
    result = runner.invoke(app, ["preview", "dev", "--project-dir", str(project), "--only", "bootstrap"])
    assert result.exit_code == 0, result.output
    assert (
        "bootstrap.images vllm/vllm-openai@sha256:61fc8a896b0a…: missing, would import (from docker.io)"
        in result.stderr
    )
    assert "bootstrap.secrets hf-hub-token: up would stop here" in result.stderr
    assert not [r for r in replay.requests if r["method"] in ("PUT",) or r["path"].endswith("importImage")]


def test_an_unset_variable_exits_2_naming_the_secret_the_variable_and_the_fix(cli):
    replay, paths, _environ, project = cli
    route_platform(replay, paths)
    route_images(replay, "acr-manifest-present")
    replay.route(paths.secrets, "kv-secrets")
    result = runner.invoke(app, ["up", "dev", "--project-dir", str(project), "--only", "bootstrap", "--yes"])
    assert result.exit_code == 2, result.output
    assert "key_vault.secrets_from_env[1].env" in result.stderr
    assert "hf-hub-token" in result.stderr and "export HF_TOKEN" in result.stderr
    assert "Traceback" not in result.output


def test_azure_refusals_exit_3_with_the_fix(cli):
    replay, paths, environ, project = cli
    environ["HF_TOKEN"] = SECRET_VALUE
    route_platform(replay, paths)
    route_images(replay, "acr-manifest-present")
    replay.route(paths.secrets, "kv-forbidden-connection")
    result = runner.invoke(app, ["up", "dev", "--project-dir", str(project), "--only", "bootstrap", "--yes"])
    assert result.exit_code == 3, result.output
    assert "ForbiddenByConnection" in result.stderr and "run the bootstrap from the VNet" in result.stderr
    assert SECRET_VALUE not in result.output


def test_only_bootstrap_is_refused_for_destroy(cli):
    _replay, _paths, _environ, project = cli
    result = runner.invoke(app, ["destroy", "dev", "--project-dir", str(project), "--only", "bootstrap", "--yes"])
    assert result.exit_code == 2 and "--only bootstrap works with up and preview" in result.stderr
