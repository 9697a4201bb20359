"""The chargeback view is deployed (a saved search) and prices tokens with the catalog `cost` reads."""

from __future__ import annotations

import json

import pytest

from llmops_infra.components.chargeback import ModelPrice, chargeback_query
from llmops_infra.config.loader import load_environment
from llmops_infra.config.token_prices import gateway_model_prices
from llmops_infra.policies.pricing import catalog_for

SEARCH = "azure-native:operationalinsights:SavedSearch"


def test_the_query_prices_tokens_per_million_and_shares_the_rest():
    query = chargeback_query(
        [ModelPrice(model="chat", input_per_mtok=1.25, output_per_mtok=10.0, verified=True), ModelPrice(model="qwen")],
        {"search": "CC-3307"},
    )
    assert '"chat", 1.25, 10.0, true' in query
    assert '"qwen", real(null), real(null), false' in query
    assert '"search", "CC-3307"' in query
    assert "(PromptTokens * InputPerMTok + CompletionTokens * coalesce(OutputPerMTok, 0.0)) / 1000000.0" in query
    assert "ShareOfModel = (PromptTokens + CompletionTokens) / ModelTokens" in query
    assert "startofmonth(now(), -1)" in query and ",\n]" not in query  # no trailing comma in a datatable


def test_a_quote_in_a_name_cannot_break_out_of_the_string():
    query = chargeback_query([ModelPrice(model='a"b')], {})
    assert '"a\\"b"' in query


def test_prices_come_from_the_environments_catalog(project):
    config = load_environment("dev", project)
    prices = {p.model: p for p in gateway_model_prices(config)}
    catalog = catalog_for(config.azure.location, config.cost.price_catalog)
    embeddings = next(d for d in config.openai.deployments if d.name == "embeddings")
    entry = catalog.lookup(f"openai-tokens/{embeddings.model}/input")
    assert entry is not None and prices["embeddings"].input_per_mtok == entry.value
    assert prices["embeddings"].verified is False  # third-party figure: the catalog marks it unverified
    for model in config.inference.models:  # self-hosted: a share of the GPU cost, no token price
        assert prices[model.name].input_per_mtok is None


def test_a_project_catalog_changes_the_query(project, tmp_path):
    shipped = json.loads((catalog_for("eastus").path).read_text())
    shipped["entries"]["openai-tokens/text-embedding-3-large/input"]["price"] = 0.5
    own = tmp_path / "eastus.json"
    own.write_text(json.dumps(shipped))
    config = load_environment("dev", project)
    config = config.model_copy(update={"cost": config.cost.model_copy(update={"price_catalog": str(own)})})
    prices = {p.model: p for p in gateway_model_prices(config)}
    assert prices["embeddings"].input_per_mtok == 0.5


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_saved_search_is_in_the_plan_with_the_catalog_prices(plans, env):
    plan = plans(env)
    [search] = plan.of_type(SEARCH)
    [workspace] = plan.of_type("azure-native:operationalinsights:Workspace")
    assert search.props["workspaceName"] == workspace.props["workspaceName"]
    assert search.props["category"] == "llmops chargeback"
    assert '"embeddings", 0.13,' in search.props["query"]
    assert "AppMetrics" in search.props["query"] and "tags" not in search.props
