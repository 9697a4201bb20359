"""Budget: monthly amount on the resource group, two notifications, a deterministic start."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from llmops_infra.plan import Plan


def _one(plan: Plan, type_: str, name: str):
    found = [r for r in plan.of_type(type_) if r.name == name]
    assert len(found) == 1, f"{type_} {name}: {len(found)} found"
    return found[0]


@pytest.mark.parametrize("env,amount", [("dev", 1500), ("prod", 60000)])
def test_budget_watches_the_resource_group(plans, env, amount):
    plan = plans(env)
    rg_id = _one(plan, "azure-native:resources:ResourceGroup", "foundation-rg").outputs["id"]
    budget = _one(plan, "azure-native:consumption:Budget", "budget-budget")
    assert budget.props["scope"] == rg_id
    assert budget.props["amount"] == amount
    assert (budget.props["category"], budget.props["timeGrain"]) == ("Cost", "Monthly")
    assert budget.props["timePeriod"] == {"startDate": "2026-01-01T00:00:00Z"}
    assert budget.ignore_changes == ["timePeriod"]


def test_budget_notifies_actual_80_and_forecast_100_to_contacts_and_action_group(plans):
    plan = plans("dev")
    group_id = _one(plan, "azure-native:monitor:ActionGroup", "monitoring-ag").outputs["id"]
    notifications = _one(plan, "azure-native:consumption:Budget", "budget-budget").props["notifications"]
    assert set(notifications) == {"actual_80", "forecast_100"}
    assert (notifications["actual_80"]["thresholdType"], notifications["actual_80"]["threshold"]) == ("Actual", 80)
    assert (notifications["forecast_100"]["thresholdType"], notifications["forecast_100"]["threshold"]) == (
        "Forecasted", 100)
    for notification in notifications.values():
        assert notification["enabled"] is True
        assert notification["operator"] == "GreaterThanOrEqualTo"
        assert notification["contactEmails"] == ["finops@contoso.com", "platform-team@contoso.com"]
        assert notification["contactGroups"] == [group_id]


def test_budget_plans_are_deterministic(plans):
    from llmops_infra.stacks.planning import plan_environment

    again = plan_environment("dev", Path(__file__).resolve().parent.parent)
    first = _one(plans("dev"), "azure-native:consumption:Budget", "budget-budget")
    second = _one(again, "azure-native:consumption:Budget", "budget-budget")
    assert first.props == second.props


def test_budget_args_reject_bad_input():
    from llmops_infra.components.budget import BudgetArgs

    base = dict(budget_name="b", scope="/subscriptions/x/resourceGroups/rg", monthly_amount=100,
                contact_emails=["a@example.com"], start_date="2026-01-01")
    assert BudgetArgs(**base).start_date == "2026-01-01"
    with pytest.raises(ValueError, match="first day of a month"):
        BudgetArgs(**{**base, "start_date": "2026-01-15"})
    with pytest.raises(ValueError, match="must be positive"):
        BudgetArgs(**{**base, "monthly_amount": 0})
    with pytest.raises(ValueError, match="contact_emails is empty"):
        BudgetArgs(**{**base, "contact_emails": []})


def test_config_start_date_must_be_a_first_of_month():
    from pydantic import ValidationError

    from llmops_infra.stacks.config import BudgetConfig

    config = BudgetConfig(monthly_usd=10, contact_emails=["a@example.com"], start_date="2027-03-01")
    assert config.start_date == date(2027, 3, 1)
    with pytest.raises(ValidationError, match="use 2027-03-01"):
        BudgetConfig(monthly_usd=10, contact_emails=["a@example.com"], start_date="2027-03-09")
