"""apps/foundry/search/cosmos config: traffic sums to 100, known models and stores, located errors (exit 2)."""

from __future__ import annotations

from datetime import date

import pytest
from helpers import edit, line_of
from typer.testing import CliRunner

from llmops_infra.cli.app import app
from llmops_infra.config import lifecycle
from llmops_infra.config.loader import load_environment
from llmops_infra.errors import ConfigError

runner = CliRunner()


def test_shipped_environments_run_an_app_in_two_revisions(project):
    for env in ("dev", "prod"):
        config = load_environment(env, project)
        [chat] = config.apps
        assert [(r.name, r.traffic_percent) for r in chat.revisions] == [("blue", 90), ("green", 10)]
        assert config.foundry.projects and config.openai.kind == "AIServices"


def test_traffic_that_does_not_sum_to_100_exits_2_naming_file_and_line(project):
    edit(project, "traffic_percent: 10\n", "traffic_percent: 20\n")
    result = runner.invoke(app, ["validate", "dev", "-C", str(project)])
    assert result.exit_code == 2, result.output
    line = line_of(project, "    revisions:")
    assert f"environments/base.yaml:{line}" in result.stderr
    assert "apps[0].revisions" in result.stderr and "sums to 110 (blue 90 + green 20)" in result.stderr
    assert "Traceback" not in result.output


def test_unknown_model_is_located(project):
    edit(project, "models: [chat, embeddings]", "models: [chat, gpt-9]")
    with pytest.raises(ConfigError) as err:
        load_environment("dev", project)
    assert err.value.key == "apps[0].models[1]" and err.value.line == line_of(project, "models: [chat, gpt-9]")
    assert "'gpt-9' is not a deployment of openai.deployments" in str(err.value)


def test_unknown_store_and_writes_outside_stores_are_refused(project):
    edit(project, "stores: [search, cosmos]", "stores: [search, redis]")
    with pytest.raises(ConfigError) as err:
        load_environment("dev", project)
    assert "apps[0].stores[1]" in str(err.value.key) and "search" in str(err.value)
    edit(project, "stores: [search, redis]", "stores: [search]")
    with pytest.raises(ConfigError) as err:
        load_environment("dev", project)
    assert "writes ['cosmos'] are not in stores" in str(err.value)


def test_duplicate_revisions_and_apps_are_refused(project):
    edit(project, "- name: green", "- name: blue")
    with pytest.raises(ConfigError) as err:
        load_environment("dev", project)
    assert "'blue' appears twice" in str(err.value)
    edit(project, "- name: blue\n        traffic_percent: 10", "- name: green\n        traffic_percent: 10")
    text = (project / "environments" / "base.yaml").read_text()
    start = text.index("  - name: chat-api")
    end = text.index("search:\n  sku")
    (project / "environments" / "base.yaml").write_text(text[:end] + text[start:end] + text[end:])
    with pytest.raises(ConfigError) as err:
        load_environment("dev", project)
    assert err.value.key == "apps[1].name" and "appears twice" in str(err.value)


def test_digest_must_be_sha256(project):
    edit(project, "image_digest: sha256:e9b3e7c3", "image_digest: latest")
    with pytest.raises(ConfigError) as err:
        load_environment("dev", project)
    assert "apps[0].image_digest" in str(err.value.key)


def test_prompt_flow_retirement_warns_then_refuses(project, monkeypatch):
    monkeypatch.setattr(lifecycle, "today", lambda: date(2027, 2, 1))
    load_environment("dev", project)  # inside 90 days: a warning, not a refusal
    monkeypatch.setattr(lifecycle, "today", lambda: date(2027, 4, 21))
    with pytest.raises(ConfigError) as err:
        load_environment("dev", project)
    assert "azureml-prompt-flow" in str(err.value) and "2027-04-20" in str(err.value)


def test_an_app_behind_the_gateway_names_one_of_the_teams(project):
    edit(
        project,
        "    team: support-bot\n    models: [chat, embeddings]",
        "    team: chat\n    models: [chat, embeddings]",
    )
    with pytest.raises(ConfigError) as err:
        load_environment("dev", project)
    assert err.value.key == "apps[0].team" and err.value.line == line_of(project, "    team: chat")
    assert "team 'chat' is not in teams" in str(err.value) and "team's product" in str(err.value)


def test_an_app_behind_the_gateway_calls_only_its_teams_models(project):
    """Behind the gateway the app calls its models through its team's product: each must be one of the team's."""
    edit(project, "models: [chat, embeddings, qwen-3b]", "models: [chat, qwen-3b]", name="dev.yaml")
    with pytest.raises(ConfigError) as err:
        load_environment("dev", project)
    assert err.value.key == "apps[0].models[1]" and err.value.line == line_of(project, "models: [chat, embeddings]")
    assert "'embeddings' is not among the models of team 'support-bot' ['chat', 'qwen-3b']" in str(err.value)
    assert "add it to the team's models" in str(err.value)
