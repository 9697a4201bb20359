"""The rendering layer (`llmops_infra.render`): output drawn from the domain objects' `to_dict`."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

from rich.table import Table

from llmops_infra.render import as_text, cost, diff, project, release
from llmops_infra.render.lifecycle import outputs_json
from llmops_infra.review.diff import MISSING, Change, diff_plans

ESTIMATE = {
    "currency": "USD",
    "total_monthly_usd": 130.0,
    "total_monthly_usd_min": 30.0,
    "lines": [
        {"resource": "small", "sku": "S1", "quantity": "1", "monthly_usd": 30.0, "monthly_usd_min": 30.0, "note": ""},
        {"resource": "gpu", "sku": "NC4", "quantity": "0-2", "monthly_usd": 100.0, "monthly_usd_min": 0, "note": ""},
    ],
    "unpriced": ["odd (X9)"],
}


def test_as_text_draws_at_a_fixed_width_without_colours():
    table = Table(title="t")
    table.add_column("[bold]a[/]")
    table.add_row("x" * 30)
    text = as_text(table, 20)
    assert "\x1b[" not in text and max(len(line) for line in text.splitlines()) <= 20


def test_cost_is_drawn_from_the_estimate_dict_most_expensive_first():
    markdown = cost.render("markdown", "dev", ESTIMATE)
    assert markdown.index("`gpu`") < markdown.index("`small`")
    assert "**$130.00** per month at maximum scale ($30.00 at minimum)." in markdown
    assert "Not in the price catalog (counted as 0): odd (X9)" in markdown
    table = cost.render("table", "dev", ESTIMATE)
    assert table.index("gpu") < table.index("small") and "Total" in table
    assert json.loads(cost.render("json", "dev", ESTIMATE)) == {"schema_version": 1, "environment": "dev", **ESTIMATE}


def test_diff_json_says_null_for_an_absent_leaf_and_text_says_absent():
    changes = [Change("budget.monthly_usd", 1500, MISSING), Change("tags.team", MISSING, "ml")]
    before = {"environment": "a", "resources": []}
    after = {
        "environment": "b",
        "resources": [{"urn": "urn:pulumi:b::p::t::r", "type": "t", "name": "r", "custom": True, "props": {}}],
    }
    plan_diff = diff_plans(before, after)
    document = json.loads(diff.render("json", changes, plan_diff))
    assert document["config"] == [
        {"path": "budget.monthly_usd", "before": 1500, "after": None},
        {"path": "tags.team", "before": None, "after": "ml"},
    ]
    assert document["plan"] == {"added": ["p::t::r"], "removed": [], "changed": {}, "unchanged": 0}
    text = diff.render("table", changes, plan_diff)
    assert "budget.monthly_usd: 1500 -> (absent)" in text and "+ t r" in text
    assert diff.show(2.0) == "2" and diff.show("x" * 200).endswith("…") and len(diff.show("x" * 200)) == 160


def test_project_lists():
    assert project.environments_json(["dev", "prod"]) == '{"schema_version": 1, "environments": ["dev", "prod"]}'
    assert project.valid_lines(["dev"]) == ["[green]ok[/] dev"]


def test_release_lines():
    manifest = SimpleNamespace(
        id="sha256:" + "ab" * 32,
        short_id="ab" * 6,
        status="passed",
        passed=True,
        environment="staging",
        created_at="2026-12-01T10:00:00Z",
        created_by="ci",
        source={"promoted_from": "sha256:" + "cd" * 32},
    )
    assert release.history_lines([manifest]) == [f"{'ab' * 6}  2026-12-01T10:00:00Z  passed  by ci from {'cd' * 6}"]
    result = SimpleNamespace(action="promote", environment="prod", manifest=manifest, source=manifest)
    assert release.result_line(result) == (
        f"promote prod from staging manifest {'ab' * 6}: manifest {'ab' * 6} [green]passed[/]"
    )


def test_outputs_json_is_one_line():
    assert (
        outputs_json("dev", {"a": "[secret]"}) == '{"schema_version": 1, "stack": "dev", "outputs": {"a": "[secret]"}}'
    )


def test_the_render_package_imports_nothing_heavy():
    """Commands import renderers at will: drawing must not pull in Pulumi or pydantic."""
    code = (
        "import sys, pkgutil, importlib, llmops_infra.render as r\n"
        "for m in pkgutil.iter_modules(r.__path__):\n"
        "    importlib.import_module('llmops_infra.render.' + m.name)\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pydantic', 'pulumi_policy'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
