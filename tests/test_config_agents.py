"""foundry.projects[].agents: the standard agent setup's prerequisites are located config errors (exit 2)."""

from __future__ import annotations

import pytest
from helpers import edit, line_of
from typer.testing import CliRunner

from llmops_infra.cli.app import app
from llmops_infra.config.loader import load_environment
from llmops_infra.errors import ConfigError

runner = CliRunner()
SUBNET = "    agents: 10.20.25.0/24\n"


def test_shipped_environments_enable_agents_in_the_chat_project(project):
    for env in ("dev", "staging", "prod"):
        config = load_environment(env, project)
        assert [p.name for p in config.foundry.projects if p.agents] == ["chat"]
        assert config.network.subnets.agents == "10.20.25.0/24"


def test_agents_without_their_subnet_exit_2_naming_the_project(project):
    edit(project, SUBNET, "")
    result = runner.invoke(app, ["validate", "dev", "-C", str(project)])
    assert result.exit_code == 2, result.output
    assert f"environments/base.yaml:{line_of(project, 'agents: true')}" in result.stderr
    assert "foundry.projects[0].agents" in result.stderr and "network.subnets.agents" in result.stderr
    assert "Traceback" not in result.output


def test_an_agent_subnet_without_agents_is_refused(project):
    edit(project, "      agents: true\n", "")
    with pytest.raises(ConfigError) as err:
        load_environment("dev", project)
    assert err.value.key == "network.subnets.agents" and err.value.line == line_of(project, SUBNET.strip())


def test_agent_stores_must_be_private(project):
    edit(project, "search:\n  sku: basic\n", "search:\n  sku: basic\n  allow_public_network_access: true\n")
    with pytest.raises(ConfigError) as err:
        load_environment("dev", project)
    assert err.value.key == "search.allow_public_network_access"
    assert "must be private" in str(err.value)


def test_agents_need_a_foundry_resource(project):
    edit(project, "  kind: AIServices\n", "  kind: OpenAI\n")
    with pytest.raises(ConfigError) as err:
        load_environment("dev", project)
    # projects themselves need the Foundry kind too; whichever check speaks first, it names the fix
    assert "AIServices" in str(err.value)


def test_a_cosmos_throughput_cap_below_the_agents_needs_is_located(project):
    # dev: throughput 1000 + 3000 for the one agent project = 4000 RU/s at least
    edit(project, "  throughput: 1000\n", "  throughput: 1000\n  total_throughput_limit: 3900\n")
    with pytest.raises(ConfigError) as err:
        load_environment("dev", project)
    assert err.value.key == "cosmos.total_throughput_limit"
    assert err.value.line == line_of(project, "total_throughput_limit: 3900")
    assert "1000 (cosmos.throughput) + 3000 x 1 agent project(s) = 4000 RU/s" in str(err.value)


def test_a_cosmos_throughput_cap_that_covers_the_agents_is_kept(project):
    edit(project, "  throughput: 1000\n", "  throughput: 1000\n  total_throughput_limit: 4000\n")
    assert load_environment("dev", project).cosmos.total_throughput_limit == 4000


@pytest.mark.parametrize(
    ("cidr", "problem"),
    [("10.20.25.0/28", "smaller than /27"), ("10.20.24.128/25", "overlaps subnets.apps")],
)
def test_agent_subnet_size_and_overlap(project, cidr, problem):
    edit(project, SUBNET, f"    agents: {cidr}\n")
    with pytest.raises(ConfigError) as err:
        load_environment("dev", project)
    assert problem in str(err.value)


def test_agent_subnet_must_be_rfc1918():
    from pydantic import ValidationError

    from llmops_infra.config.platform import NetworkConfig

    base = {"aks_nodes": "100.64.0.0/20", "private_endpoints": "100.64.16.0/24", "ml_compute": "100.64.17.0/24"}
    with pytest.raises(ValidationError, match="not a private RFC 1918 range"):
        NetworkConfig.model_validate(
            {"address_space": "100.64.0.0/16", "subnets": {**base, "agents": "100.64.25.0/24"}}
        )
