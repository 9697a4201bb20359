"""Issue 17, items 14 and 16: limits on environment files, and values Azure would refuse later."""

from __future__ import annotations

import os
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from llmops_infra.cli.app import app
from llmops_infra.config import azure_limits
from llmops_infra.config.loader import MAX_DEPTH, MAX_FILE_BYTES, load_environment
from llmops_infra.errors import ConfigError

runner = CliRunner()


def overlay(project: Path, env: str = "dev") -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load((project / "environments" / f"{env}.yaml").read_text())
    return data


def write(project: Path, data: Any, env: str = "dev") -> None:
    # YAML, so that `.inf` and `.nan` are what a person would write
    yaml = YAML(typ="safe")
    with (project / "environments" / f"{env}.yaml").open("w") as handle:
        yaml.dump(data, handle)


def refused(project: Path, env: str = "dev") -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_environment(env, project)
    return caught.value


# --------------------------------------------------------------------------- item 16: values


@pytest.mark.parametrize(("section", "key"), [("budget", "monthly_usd"), ("cost", "max_monthly_usd")])
@pytest.mark.parametrize("value", [float("inf"), float("nan")])
def test_non_finite_numbers_are_refused(project, section, key, value):
    data = overlay(project)
    data[section][key] = value
    write(project, data)
    error = refused(project)
    assert f"{section}.{key}" in str(error) and "finite" in str(error)


def test_non_finite_is_refused_through_the_cli_with_exit_2(project):
    data = overlay(project)
    data["budget"]["monthly_usd"] = float("inf")
    write(project, data)
    result = runner.invoke(app, ["validate", "dev", "-C", str(project)])
    assert result.exit_code == 2, result.output
    assert "budget.monthly_usd" in result.output and "Traceback" not in result.output


def test_an_unknown_rule_in_levels_names_the_known_ones(project):
    data = overlay(project)
    data["policy"]["levels"] = {"KV-1": "advisory"}
    write(project, data)
    message = str(refused(project))
    assert "policy" in message and "levels.KV-1" in message
    assert "did you mean KV-01?" in message and "AKS-01" in message


def test_an_unknown_rule_in_an_exemption_is_refused(project):
    data = overlay(project)
    data["policy"]["exemptions"] = [
        {
            "policy": "NOPE-99",
            "resources": ["*"],
            "reason": "a good enough reason",
            "owner": "me",
            "expires": "2027-01-01",
        }
    ]
    write(project, data)
    assert "exemptions[0].policy" in str(refused(project))


def test_known_rules_by_id_or_name_pass(project):
    data = overlay(project)
    data["policy"]["levels"] = {"kv-01": "mandatory"}
    write(project, data)
    assert load_environment("dev", project).policy.levels


@pytest.mark.parametrize(
    ("env", "source", "expected"), [("prod", "stagin", "did you mean 'staging'"), ("staging", "staging", "from itself")]
)
def test_promotion_source_must_be_another_environment(project, env, source, expected):
    data = overlay(project, env)
    data["promotion"]["source"] = source
    write(project, data, env)
    error = refused(project, env)
    assert error.key == "promotion.source" and error.line is not None
    assert expected in str(error)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"k" * 129: "v"}, "at most 128"),
        ({"team": "v" * 300_000}, "at most 256"),
        ({"team": "a\x00b"}, "control or bidirectional"),
        ({"team": "admin\u202egnp.exe"}, "control or bidirectional"),
        ({"a/b": "v"}, "can't contain"),
        ({"cost center": "v"}, "can't contain"),
        ({f"t{i}": "v" for i in range(46)}, "50 tags per resource"),
        ({"Team": "a", "team": "b"}, "case"),
    ],
)
def test_tags_beyond_azure_limits_are_refused(project, extra, expected):
    data = overlay(project)
    data["tags"] = {"extra": extra}
    write(project, data)
    error = refused(project)
    assert expected in str(error)
    assert "v" * 257 not in str(error)  # the value is never echoed


def test_a_required_tag_value_with_a_bidi_control_is_refused(project):
    data = overlay(project)
    data["tags"] = {"owner": "team\u2066x"}
    write(project, data)
    assert "control or bidirectional" in str(refused(project))


def test_tags_within_limits_pass(project):
    data = overlay(project)
    data["tags"] = {"extra": {"k" * 128: "v" * 256, **{f"t{i}": "v" for i in range(44)}}}
    write(project, data)
    assert len(load_environment("dev", project).tags.extra) == 45


def test_a_budget_start_in_the_past_is_refused(project):
    data = overlay(project)
    data["budget"]["start_date"] = date(2020, 1, 1)
    write(project, data)
    error = refused(project)
    assert "budget.start_date" in str(error) and "current month" in str(error)
    assert azure_limits.budget_start_problem(date(2026, 12, 1), today=date(2026, 12, 31)) is None
    assert azure_limits.budget_start_problem(date(2026, 11, 1), today=date(2026, 12, 1))


@pytest.mark.parametrize(("where", "value"), [("location", "eastuss"), ("allowed_regions", ["eastus", "mars1"])])
def test_an_unknown_region_is_refused(project, where, value):
    data = overlay(project)
    if where == "location":
        data["azure"]["location"] = value
    else:
        data["cost"]["allowed_regions"] = value
    write(project, data)
    message = str(refused(project))
    assert "is not an Azure region" in message and "regions-list" in message
    if where == "location":
        assert "did you mean 'eastus'" in message


def test_the_region_list_covers_every_region_the_product_knows():
    from llmops_infra.components.naming import REGION_CODES

    assert set(REGION_CODES) <= azure_limits.REGIONS
    assert {"eastus", "eastus2", "swedencentral", "westeurope"} <= azure_limits.REGIONS


# --------------------------------------------------------------------------- item 14: file limits


def test_a_huge_environment_file_is_refused_before_it_is_parsed(project):
    path = project / "environments" / "dev.yaml"
    with path.open("a") as handle:
        handle.write(("# padding\n" * 1000) * (MAX_FILE_BYTES // 10_000 + 1))
    error = refused(project)
    assert error.file == "environments/dev.yaml" and "bytes" in str(error)


def test_an_environment_file_linked_to_dev_zero_is_refused(project):
    path = project / "environments" / "dev.yaml"
    path.unlink()
    path.symlink_to("/dev/zero")
    error = refused(project)
    assert error.file == "environments/dev.yaml" and "not a regular file" in str(error)


def test_a_fifo_environment_file_does_not_block(project):
    path = project / "environments" / "dev.yaml"
    path.unlink()
    os.mkfifo(path)
    outcome: list[BaseException | None] = []

    def load() -> None:
        try:
            load_environment("dev", project)
        except BaseException as exc:
            outcome.append(exc)
        else:
            outcome.append(None)

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():  # unblock the reader before failing
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("reading a FIFO blocked")
    assert isinstance(outcome[0], ConfigError) and "not a regular file" in str(outcome[0])


@pytest.mark.parametrize("style", ["block", "flow"])
def test_deep_nesting_is_refused_not_a_recursion_error(project, style):
    levels = 300
    if style == "flow":
        text = "tags:\n  extra: " + "[" * levels + "]" * levels + "\n"
    else:
        text = "tags:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(levels)) + "  " * (levels + 1) + "x: 1\n"
    (project / "environments" / "dev.yaml").write_text(text)
    result = runner.invoke(app, ["validate", "dev", "-C", str(project)])
    assert result.exit_code == 2, result.output
    assert f"deeper than {MAX_DEPTH}" in result.output and "environments/dev.yaml" in result.output


def test_the_shipped_environments_are_within_the_limits(project_dir):
    for env in ("dev", "staging", "prod"):
        assert load_environment(env, project_dir).name == env
