"""The lifecycle commands: missing CLI, gate failures, CI confirmation rules, JSON lines and summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmops_infra.cli.app import app
from llmops_infra.engine import gates, lifecycle, policy_packs
from llmops_infra.engine import pulumi_cli as engine
from llmops_infra.engine.gates import GateFailed, GateResult
from llmops_infra.engine.lifecycle import OperationResult
from llmops_infra.engine.pulumi_cli import EngineInfo

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()
FOUND = EngineInfo(Path("/opt/llmops/bin/pulumi"), "3.259.0", "3.272.0", "cache", None, {})


@pytest.fixture
def engine_found(monkeypatch):
    monkeypatch.setattr(engine, "cached_engine", lambda: FOUND)


@pytest.fixture
def gates_pass(monkeypatch):
    from llmops_infra.config.loader import load_environment

    def fake(env, project_dir, *, operation, on_result=None, **_):
        config = load_environment(env, project_dir)
        result = GateResult("config", gates.PASSED, "ok")
        if on_result:
            on_result(result)
        return config, [result]

    monkeypatch.setattr(gates, "gates_for", fake)


def test_up_without_a_cli_says_how_to_install(project, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setenv("XDG_CACHE_HOME", str(project / "no-cache"))
    monkeypatch.delenv("LLMOPS_PULUMI_HOME", raising=False)
    engine.cached_engine.cache_clear()
    try:
        result = runner.invoke(app, ["up", "dev", "--project-dir", str(project), "--yes"])
    finally:
        engine.cached_engine.cache_clear()
    assert result.exit_code == 3
    assert "Pulumi CLI was not found" in result.stderr
    assert "llmops-infra engine install" in result.stderr
    assert "Traceback" not in result.output


def test_a_failed_gate_stops_before_the_engine(project, monkeypatch, engine_found):
    def failing(env, project_dir, *, operation, on_result=None, **_):
        raise GateFailed("credentials", "no Azure credentials: run az login", 3)

    called = []
    monkeypatch.setattr(gates, "gates_for", failing)
    monkeypatch.setattr(lifecycle, "up", lambda *a, **k: called.append(1))
    result = runner.invoke(app, ["up", "dev", "--project-dir", str(project), "--yes"])
    assert result.exit_code == 3 and called == []
    assert "gate credentials failed: no Azure credentials" in result.stderr


def test_a_failed_gate_is_the_last_json_event(project, monkeypatch, engine_found):
    def failing(env, project_dir, *, operation, on_result=None, **_):
        on_result(GateResult("config", gates.PASSED, "ok"))
        raise GateFailed("credentials", "no Azure credentials: run az login", 3)

    monkeypatch.setattr(gates, "gates_for", failing)
    result = runner.invoke(app, ["up", "dev", "--project-dir", str(project), "--yes", "--format", "json"])
    assert result.exit_code == 3
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["status"] for e in events] == ["passed", "failed"]
    assert events[-1] == {
        "schema_version": 1,
        "event": "gate",
        "gate": "credentials",
        "status": "failed",
        "message": "no Azure credentials: run az login",
        "exit_code": 3,
    }
    assert result.stderr.count("error:") == 1


def test_ci_without_yes_is_refused(project, monkeypatch, engine_found, gates_pass):
    monkeypatch.setenv("CI", "true")
    called = []
    monkeypatch.setattr(lifecycle, "destroy", lambda *a, **k: called.append(1))
    result = runner.invoke(app, ["destroy", "dev", "--project-dir", str(project)])
    assert result.exit_code == 2 and called == []
    assert "pass --yes" in result.stderr


def test_interactive_up_previews_then_a_declined_confirmation_changes_nothing(
    project, monkeypatch, engine_found, gates_pass
):
    monkeypatch.delenv("CI", raising=False)
    called = []
    monkeypatch.setattr(lifecycle, "up", lambda *a, **k: called.append("up"))
    monkeypatch.setattr(lifecycle, "preview", fake_result("preview"))
    result = runner.invoke(app, ["up", "dev", "--project-dir", str(project)], input="n\n")
    assert result.exit_code == 1 and called == []
    assert "Box box would be created" in result.stderr and "preview dev" in result.stdout
    assert "nothing was changed" in result.stderr


def fake_result(operation):
    def run(config, project_dir, *, progress, engine, **kwargs):
        assert engine is FOUND
        from pulumi.automation.events import EngineEvent

        progress.on_event(
            EngineEvent.from_json(
                {
                    "sequence": 1,
                    "timestamp": 0,
                    "resOutputsEvent": {
                        "metadata": {
                            "op": "create",
                            "urn": "urn:pulumi:dev::llmops::llmops:test:Box::box",
                            "type": "llmops:test:Box",
                        }
                    },
                }
            )
        )
        return OperationResult(
            operation,
            config.name,
            progress.summary({"create": 1, "same": 2}),
            progress.changes,
            {"resource_group_name": "rg-llmops-dev-eus"},
        )

    return run


def test_up_with_yes_in_json_emits_gates_events_and_result(project, monkeypatch, engine_found, gates_pass):
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(lifecycle, "up", fake_result("up"))
    result = runner.invoke(app, ["up", "dev", "--project-dir", str(project), "--yes", "--format", "json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["event"] for line in lines] == ["gate", "resource-done", "result"]
    final = lines[-1]
    assert final["summary"]["created"] == 1 and final["summary"]["unchanged"] == 2
    assert final["outputs"] == {"resource_group_name": "rg-llmops-dev-eus"}


def test_preview_table_shows_changes_and_summary(project, monkeypatch, engine_found, gates_pass):
    monkeypatch.setattr(lifecycle, "preview", fake_result("preview"))
    result = runner.invoke(app, ["preview", "dev", "--project-dir", str(project)])
    assert result.exit_code == 0, result.output
    assert "Box box would be created" in result.stderr
    assert "preview dev" in result.stdout and "nothing was changed" in result.stdout


def test_policy_pack_must_be_a_pack_directory(project, engine_found, gates_pass):
    result = runner.invoke(app, ["preview", "dev", "--project-dir", str(project), "--policy-pack", str(project)])
    assert result.exit_code == 2 and "has no PulumiPolicy.yaml" in result.stderr


def test_refresh_passes_recovery_flags(project, monkeypatch, engine_found, gates_pass):
    seen = {}

    def refresh(config, project_dir, *, progress, engine, **kwargs):
        seen.update(kwargs)
        return OperationResult("refresh", config.name, progress.summary({"same": 1}))

    monkeypatch.setattr(lifecycle, "refresh", refresh)
    result = runner.invoke(app, ["refresh", "dev", "--project-dir", str(project), "--yes", "--clear-pending-creates"])
    assert result.exit_code == 0, result.output
    assert seen == {"preview_only": False, "clear_pending_creates": True, "only": None}
    assert "drifted" in result.stdout


def test_outputs_json(project, monkeypatch, engine_found):
    monkeypatch.setattr(
        lifecycle, "estate_outputs", lambda config, project_dir, show_secrets, engine: {"a": "[secret]"}
    )
    result = runner.invoke(app, ["outputs", "dev", "--project-dir", str(project), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"schema_version": 1, "stack": "dev", "outputs": {"a": "[secret]"}}


def test_preview_runs_the_shipped_pack_with_the_environment_config(project, monkeypatch, engine_found, gates_pass):
    seen = {}

    def preview(config, project_dir, *, progress, engine, **kwargs):
        seen.update(kwargs)
        return OperationResult("preview", config.name, progress.summary({"same": 1}))

    monkeypatch.setattr(lifecycle, "preview", preview)
    monkeypatch.setattr(
        policy_packs,
        "shipped_policy_pack",
        lambda config, project_dir: {
            "policy_packs": ["/pkg/policies"],
            "policy_pack_configs": [f"/ws/{config.name}.json"],
        },
    )
    assert runner.invoke(app, ["preview", "dev", "--project-dir", str(project)]).exit_code == 0
    assert seen == {"policy_packs": ["/pkg/policies"], "policy_pack_configs": ["/ws/dev.json"], "only": None}
    seen.clear()
    assert runner.invoke(app, ["preview", "dev", "--project-dir", str(project), "--no-engine-policies"]).exit_code == 0
    assert seen == {"only": None}
    result = runner.invoke(
        app, ["preview", "dev", "--project-dir", str(project), "--policy-pack", str(REPO / "policies")]
    )
    assert result.exit_code == 2 and "give a --policy-pack-config for each" in result.stderr


def test_engine_messages_print_brackets_literally(capsys):
    from types import SimpleNamespace

    from llmops_infra.render.lifecycle import Renderer

    renderer = Renderer("table", "up", "dev")
    renderer.gate(SimpleNamespace(gate="policy", status="failed", message="value [secret] in [bold]x[/bold]"))
    renderer.event({"event": "diagnostic", "severity": "error", "message": "list index [0] of [a-z]"})
    renderer.event({"event": "policy", "policy": "KV-01", "level": "mandatory", "message": "tag [red] missing"})
    err = capsys.readouterr().err.replace("\n", "")
    assert "value [secret] in [bold]x[/bold]" in err
    assert "list index [0] of [a-z]" in err
    assert "tag [red] missing" in err


def test_outputs_table_shows_masked_secrets(capsys, monkeypatch):
    from llmops_infra.cli import common
    from llmops_infra.render.lifecycle import outputs_table

    monkeypatch.setattr(common.console, "width", 200)
    outputs_table({"api_key": "[secret]", "ids": ["[a]", "b"]})
    out = capsys.readouterr().out
    assert "[secret]" in out and '["[a]", "b"]' in out


def test_ci_refuses_file_state_before_any_other_gate(tmp_path, monkeypatch):
    import shutil

    from typer.testing import CliRunner

    from llmops_infra.cli.app import app

    shutil.copytree(Path(__file__).resolve().parent.parent / "environments", tmp_path / "environments")
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv("LLMOPS_ALLOW_LOCAL_STATE", raising=False)
    result = CliRunner().invoke(app, ["up", "dev", "--yes", "-C", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "gate config failed" in result.stderr and "file://.llmops/state with CI=true" in result.stderr
    assert "--allow-local-state" in result.stderr
