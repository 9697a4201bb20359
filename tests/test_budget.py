"""Budget: monthly amount on the resource group, two notifications, a start that Azure accepts."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from helpers import one

from llmops_infra.plan import Plan


@pytest.mark.parametrize("env,amount", [("dev", 1500), ("prod", 60000)])
def test_budget_watches_the_resource_group_and_the_node_resource_group(plans, env, amount):
    plan = plans(env)
    group = one(plan, "azure-native:resources:ResourceGroup", "foundation-rg")
    [cluster] = plan.of_type("azure-native:containerservice:ManagedCluster")
    budget = one(plan, "azure-native:consumption:Budget", "budget-budget")
    # GPU VMs are billed in AKS's node resource group: the budget watches it too (COST-06).
    subscription = group.outputs["id"].split("/resourceGroups/")[0]
    assert budget.props["scope"] == subscription
    assert budget.props["filter"]["dimensions"] == {
        "name": "ResourceGroupName",
        "operator": "In",
        "values": [group.props["resourceGroupName"], cluster.props["nodeResourceGroup"]],
    }
    assert budget.props["amount"] == amount
    assert (budget.props["category"], budget.props["timeGrain"]) == ("Cost", "Monthly")
    # The current month at run time (Azure refuses a past month at creation); never replaced later.
    assert re.fullmatch(r"20\d\d-\d\d-01T00:00:00Z", budget.props["timePeriod"]["startDate"])
    assert budget.ignore_changes == ["timePeriod.startDate"]


def test_budget_notifies_actual_80_and_forecast_100_to_contacts_and_action_group(plans):
    plan = plans("dev")
    group_id = one(plan, "azure-native:monitor:ActionGroup", "monitoring-ag").outputs["id"]
    notifications = one(plan, "azure-native:consumption:Budget", "budget-budget").props["notifications"]
    assert set(notifications) == {"actual_80", "forecast_100"}
    assert (notifications["actual_80"]["thresholdType"], notifications["actual_80"]["threshold"]) == ("Actual", 80)
    assert (notifications["forecast_100"]["thresholdType"], notifications["forecast_100"]["threshold"]) == (
        "Forecasted",
        100,
    )
    for notification in notifications.values():
        assert notification["enabled"] is True
        assert notification["operator"] == "GreaterThanOrEqualTo"
        assert notification["contactEmails"] == ["finops@contoso.com", "platform-team@contoso.com"]
        assert notification["contactGroups"] == [group_id]


def test_budget_plans_are_deterministic(plans):
    from llmops_infra.offline.planning import plan_environment

    again = plan_environment("dev", Path(__file__).resolve().parent.parent)
    first = one(plans("dev"), "azure-native:consumption:Budget", "budget-budget")
    second = one(again, "azure-native:consumption:Budget", "budget-budget")
    assert first.props == second.props


def test_budget_args_reject_bad_input():
    from llmops_infra.components.budget import BudgetArgs

    base = {
        "budget_name": "b",
        "scope": "/subscriptions/x/resourceGroups/rg",
        "monthly_amount": 100,
        "contact_emails": ["a@example.com"],
        "start_date": "2026-01-01",
    }
    assert BudgetArgs(**base).start_date == "2026-01-01"
    with pytest.raises(ValueError, match="first day of a month"):
        BudgetArgs(**{**base, "start_date": "2026-01-15"})
    with pytest.raises(ValueError, match="must be positive"):
        BudgetArgs(**{**base, "monthly_amount": 0})
    with pytest.raises(ValueError, match="contact_emails is empty"):
        BudgetArgs(**{**base, "contact_emails": []})


def _budget_plan(today: date, start_date: str | None = None) -> Plan:
    """Foundation, monitoring and budget stages of dev under a frozen clock."""
    from functools import partial

    from llmops_infra.config.loader import load_environment
    from llmops_infra.offline.mocks import AzureMocks
    from llmops_infra.offline.synth import synthesize
    from llmops_infra.stacks.estate import PLATFORM_STAGES, new_estate
    from llmops_infra.stacks.stage_security import budget_stage

    config = load_environment("dev", Path(__file__).resolve().parent.parent)
    if start_date is not None:
        config = config.model_copy(
            update={"budget": config.budget.model_copy(update={"start_date": date.fromisoformat(start_date)})}
        )
    stages = {name: stage for name, _section, stage in PLATFORM_STAGES}

    def program():
        estate = new_estate(config)
        for stage in (stages["foundation"], stages["monitoring"], partial(budget_stage, today=lambda: today)):
            stage(estate)

    return synthesize(
        program,
        environment="dev",
        project="llmops",
        mocks=AzureMocks(config.azure.subscription_id, config.azure.tenant_id, config.azure.location),
    )


@pytest.mark.parametrize(
    "today,expected",
    [
        (date(2026, 11, 22), "2026-11-01T00:00:00Z"),
        (date(2026, 12, 31), "2026-12-01T00:00:00Z"),
        (date(2027, 1, 1), "2027-01-01T00:00:00Z"),
    ],
)
def test_default_start_is_the_first_of_the_current_month(today, expected):
    budget = one(_budget_plan(today), "azure-native:consumption:Budget", "budget-budget")
    assert budget.props["timePeriod"] == {"startDate": expected}
    assert budget.ignore_changes == ["timePeriod.startDate"]


def test_explicit_start_date_overrides_the_clock():
    budget = one(
        _budget_plan(date(2026, 11, 22), start_date="2027-02-01"), "azure-native:consumption:Budget", "budget-budget"
    )
    assert budget.props["timePeriod"] == {"startDate": "2027-02-01T00:00:00Z"}


def test_budget_start_helper_and_utc_clock():
    from datetime import UTC, datetime

    from llmops_infra.stacks.stage_security import budget_start, utc_today

    assert budget_start(None, date(2026, 11, 22)) == "2026-11-01"
    assert budget_start(date(2026, 3, 1), date(2026, 11, 22)) == "2026-03-01"
    before, now, after = datetime.now(UTC).date(), utc_today(), datetime.now(UTC).date()
    assert now in (before, after)


def test_config_start_date_must_be_a_first_of_month():
    from pydantic import ValidationError

    from llmops_infra.config.models import BudgetConfig

    config = BudgetConfig(monthly_usd=10, contact_emails=["a@example.com"], start_date="2027-03-01")
    assert config.start_date == date(2027, 3, 1)
    assert BudgetConfig(monthly_usd=10, contact_emails=["a@example.com"]).start_date is None
    with pytest.raises(ValidationError, match="use 2027-03-01"):
        BudgetConfig(monthly_usd=10, contact_emails=["a@example.com"], start_date="2027-03-09")
