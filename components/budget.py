"""A consumption budget: the environment's monthly spend, watched as it accrues."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import consumption


@dataclass(frozen=True, kw_only=True)
class BudgetArgs:
    budget_name: str
    scope: pulumi.Input[str]
    """Resource id of what is watched: a resource group, or a subscription (with
    `resource_group_names` to name the groups)."""
    resource_group_names: list[pulumi.Input[str]] = field(default_factory=list)
    """With a subscription scope: the resource groups whose cost is watched (the estate's own and
    AKS's node resource group, where the GPU VMs are billed). Default: the whole scope."""
    monthly_amount: float
    """USD per month."""
    contact_emails: list[str]
    start_date: str
    """First day of the first budgeted month, YYYY-MM-01. Azure accepts only the current month or
    a later one when it creates the budget (the estate passes the current month unless told
    otherwise); changes after creation are ignored."""
    actual_threshold_percent: int = 80
    """Percent of the amount actually spent at which the contacts are notified. Default: at 80 %."""
    forecast_threshold_percent: int = 100
    """Percent of the amount forecast for the month at which the contacts are notified. Default:
    when the forecast reaches the whole amount."""
    action_group_ids: list[pulumi.Input[str]] = field(default_factory=list)
    """Action groups notified alongside the emails (e.g. the team chat). Default: the emails only."""

    def __post_init__(self) -> None:
        if self.monthly_amount <= 0:
            raise ValueError(f"budget: monthly amount ({self.monthly_amount}) must be positive")
        if not self.contact_emails:
            raise ValueError("budget: contact_emails is empty: list who is told about overspend")
        if not re.fullmatch(r"20\d\d-(0[1-9]|1[0-2])-01", self.start_date):
            raise ValueError(f"budget: start_date {self.start_date!r} must be the first day of a month, YYYY-MM-01")


class Budget(pulumi.ComponentResource):
    """A monthly cost budget with two notifications: actual spend passing one threshold
    (default 80 %) and forecast spend passing another (default 100 %).

    The start date is ignored after creation: Azure replaces a budget whose start changes,
    which would reset its history, and a default of "this month" changes every month.
    Children: the budget.
    """

    budget_id: pulumi.Output[str]

    def __init__(self, name: str, args: BudgetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:cost:Budget", name, None, opts)

        def notification(kind: str, percent: int) -> consumption.NotificationArgs:
            return consumption.NotificationArgs(
                enabled=True,
                operator="GreaterThanOrEqualTo",
                threshold=percent,
                threshold_type=kind,
                contact_emails=list(args.contact_emails),
                contact_groups=list(args.action_group_ids) or None,
                locale="en-us",
            )

        budget = consumption.Budget(
            f"{name}-budget",
            budget_name=args.budget_name,
            scope=args.scope,
            amount=args.monthly_amount,
            category="Cost",
            filter=consumption.BudgetFilterArgs(
                dimensions=consumption.BudgetComparisonExpressionArgs(
                    name="ResourceGroupName", operator="In", values=list(args.resource_group_names)
                )
            )
            if args.resource_group_names
            else None,
            time_grain="Monthly",
            time_period=consumption.BudgetTimePeriodArgs(start_date=f"{args.start_date}T00:00:00Z"),
            notifications={
                f"actual_{args.actual_threshold_percent}": notification("Actual", args.actual_threshold_percent),
                f"forecast_{args.forecast_threshold_percent}": notification(
                    "Forecasted", args.forecast_threshold_percent
                ),
            },
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["timePeriod.startDate"]),
        )
        self.budget_id = budget.id
        self.register_outputs({"budget_id": self.budget_id})
