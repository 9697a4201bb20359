"""The monthly chargeback view, deployed: a Log Analytics saved search that turns the gateway's token metrics into
cost per team, use case and model.

Token metrics land in the workspace-based Application Insights table `AppMetrics` (namespace `llmops-gateway`,
metrics "Prompt Tokens" and "Completion Tokens" with custom dimensions Team, UseCase, Model: see
`gateway_policies`). Pay-per-token models are priced with the price catalog's per-million-token entries, written
into the query at synthesis (so the query's numbers are the catalog's that `cost` reads); a model without a
catalogued price (self-hosted vLLM, whose GPUs `cost` prices as node pools, or a model nobody priced) gets no
cost but its `ShareOfModel`, the team's share of the model's tokens that month, to split a fixed cost by.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import operationalinsights

CATEGORY = "llmops chargeback"


@dataclass(frozen=True, kw_only=True)
class ModelPrice:
    """One model behind the gateway (its API name, the metrics' Model dimension) and its token prices."""

    model: str
    input_per_mtok: float | None = None
    """USD per million prompt tokens. Default: unknown (no cost computed, share only)."""
    output_per_mtok: float | None = None
    """USD per million completion tokens. Default: unknown (embeddings: prompt tokens only)."""
    verified: bool = False
    """The catalog entry was read from the Retail Prices API. Default: not verified."""


def _literal(value: float | None) -> str:
    return "real(null)" if value is None else repr(float(value))


def _string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def chargeback_query(prices: list[ModelPrice], cost_centers: dict[str, str]) -> str:
    """The KQL of last calendar month's cost per team, use case and model."""
    price_rows = ",\n".join(
        f"  {_string(p.model)}, {_literal(p.input_per_mtok)}, {_literal(p.output_per_mtok)}, "
        f"{'true' if p.verified else 'false'}"
        for p in prices
    )
    team_rows = ",\n".join(f"  {_string(team)}, {_string(center)}" for team, center in sorted(cost_centers.items()))
    return (
        "let prices = datatable(Model: string, InputPerMTok: real, OutputPerMTok: real, PriceVerified: bool) [\n"
        f"{price_rows}\n];\n"
        "let centers = datatable(Team: string, CostCenter: string) [\n"
        f"{team_rows}\n];\n"
        "let usage = AppMetrics\n"
        "| where TimeGenerated >= startofmonth(now(), -1) and TimeGenerated < startofmonth(now())\n"
        '| where Name in ("Prompt Tokens", "Completion Tokens")\n'
        # Team: the product's name; "<team> (cost center …)" when the gateway reports its display name.
        '| extend Team = tostring(split(tostring(Properties["Team"]), " (")[0]), '
        'UseCase = tostring(Properties["UseCase"]), Model = tostring(Properties["Model"])\n'
        '| summarize PromptTokens = sumif(Sum, Name == "Prompt Tokens"), '
        'CompletionTokens = sumif(Sum, Name == "Completion Tokens") by Team, UseCase, Model;\n'
        "usage\n"
        "| join kind=inner (usage | summarize ModelTokens = sum(PromptTokens + CompletionTokens) by Model) on Model\n"
        "| join kind=leftouter prices on Model\n"
        "| join kind=leftouter centers on Team\n"
        "| extend CostUSD = iff(isnull(InputPerMTok), real(null), "
        "(PromptTokens * InputPerMTok + CompletionTokens * coalesce(OutputPerMTok, 0.0)) / 1000000.0)\n"
        "| extend ShareOfModel = (PromptTokens + CompletionTokens) / ModelTokens\n"
        "| project Team, CostCenter, UseCase, Model, PromptTokens, CompletionTokens, ShareOfModel, CostUSD, "
        "PriceVerified\n"
        "| order by Team asc, CostUSD desc"
    )


def chargeback_search(
    name: str,
    *,
    workspace_name: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    query: str,
    parent: pulumi.Resource,
) -> operationalinsights.SavedSearch:
    return operationalinsights.SavedSearch(
        f"{name}-chargeback",
        saved_search_id="llmops-chargeback-monthly",
        workspace_name=workspace_name,
        resource_group_name=resource_group_name,
        category=CATEGORY,
        display_name="AI gateway: last month's token cost per team",
        query=query,
        version=2,
        opts=pulumi.ResourceOptions(parent=parent),
    )
