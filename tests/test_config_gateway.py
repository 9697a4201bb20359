"""Teams, gateway and egress config: bad team config exits 2 naming file, key and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmops_infra.cli.app import app
from llmops_infra.config.loader import load_environment
from llmops_infra.errors import ConfigError

DEV_TEAM = """  - name: search
    cost_center: CC-3307
    tokens_per_minute: 5000
    monthly_token_quota: 20000000
    models: [embeddings, chat-flow]
"""


def _edit(project: Path, old: str, new: str, env: str = "dev") -> Path:
    path = project / "environments" / f"{env}.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_shipped_teams_load() -> None:
    prod = load_environment("prod", Path(__file__).resolve().parent.parent)
    assert {t.name for t in prod.teams} == {"support-bot", "search", "analytics"}
    assert prod.gateway is not None and prod.gateway.sku == "Premium" and prod.egress.mode == "firewall"


def test_unknown_model_names_file_key_and_line(project: Path) -> None:
    path = _edit(project, "models: [embeddings, chat-flow]", "models: [embeddings, gpt-9]")
    with pytest.raises(ConfigError) as caught:
        load_environment("dev", project)
    err = caught.value
    assert err.key == "teams.1.models.1" and err.file == "environments/dev.yaml"
    assert err.line == _line_of(path, "gpt-9")
    assert "'gpt-9'" in str(err) and "chat-flow" in str(err)


def test_limit_over_cap_and_duplicate_team_exit_2(project: Path) -> None:
    path = _edit(project, "    tokens_per_minute: 5000\n", "    tokens_per_minute: 50000\n")
    result = CliRunner().invoke(app, ["validate", "dev", "-C", str(project)])
    assert result.exit_code == 2
    assert (
        f"environments/dev.yaml:{_line_of(path, 'tokens_per_minute: 50000')}: teams.1.tokens_per_minute"
        in result.output
    )
    assert "max_team_tokens_per_minute (20000)" in result.output
    _edit(project, "    tokens_per_minute: 50000\n", "    tokens_per_minute: 5000\n")
    path = _edit(project, DEV_TEAM, DEV_TEAM + DEV_TEAM)
    result = CliRunner().invoke(app, ["validate", "dev", "-C", str(project)])
    assert result.exit_code == 2
    assert "teams.2.name" in result.output and "defined twice" in result.output


def test_firewall_mode_needs_its_subnet(project: Path) -> None:
    _edit(project, "egress:\n  mode: direct\n", "")
    with pytest.raises(ConfigError) as caught:
        load_environment("dev", project)
    assert "network.subnets.firewall" in str(caught.value)


def test_gateway_load_balancer_addresses_stay_above_the_nodes():
    """vLLM's fixed internal load-balancer addresses (node subnet + 200 + index) must fit and never meet node IPs."""
    from llmops_infra.config.gateway import check_gateway_addresses

    check_gateway_addresses("10.20.0.0/22", max_nodes=20, models=2)
    with pytest.raises(ConfigError) as err:
        check_gateway_addresses("10.20.0.0/25", max_nodes=5, models=1)
    assert err.value.key == "network.subnets.aks_nodes" and "/24 or larger" in str(err.value)
    with pytest.raises(ConfigError) as err:
        check_gateway_addresses("10.20.0.0/22", max_nodes=98, models=1)
    assert err.value.key == "cluster.gpu_pools" and "98 nodes" in str(err.value)
