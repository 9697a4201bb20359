"""The environment schemas are generated from the models, kept in sync, and accept the files editors
open: base.yaml against base.schema.json, each environment's file against overlay.schema.json,
as their modelines say; shipped and scaffolded alike."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from llmops_infra.cli.app import app
from llmops_infra.config.schema import BASE, MERGED, OVERLAY, environment_schema, schema_for, schema_text, schemas

REPO = Path(__file__).resolve().parent.parent
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$", re.MULTILINE)


def as_json(path: Path) -> Any:
    """The YAML as an editor's language server sees it (dates are strings)."""
    return json.loads(json.dumps(YAML(typ="safe").load(path.read_text(encoding="utf-8")), default=str))


def problems(schema: dict[str, Any], document: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def check_directory(environments: Path) -> None:
    """Every YAML file names its schema in its modeline, and validates against it."""
    files = sorted(environments.glob("*.yaml"))
    assert files and (environments / "base.yaml") in files
    for path in files:
        found = MODELINE.findall(path.read_text(encoding="utf-8"))
        assert found == [f"./{schema_for(path.name)}"], (path.name, found)
        schema = json.loads((environments / found[0]).read_text(encoding="utf-8"))
        assert problems(schema, as_json(path)) == [], path.name


@pytest.mark.parametrize("name", [MERGED, BASE, OVERLAY])
def test_shipped_schemas_are_up_to_date(name: str) -> None:
    shipped = (REPO / "environments" / name).read_text()
    assert shipped == schema_text(name), (
        f"environments/{name} is stale: run `python -m llmops_infra.config.schema environments/` "
        "and copy environments/*.json to pkg/delivery/templates/environments/"
    )


def test_every_shipped_file_validates_against_the_schema_its_modeline_names() -> None:
    check_directory(REPO / "environments")


def test_every_scaffolded_file_validates_against_the_schema_its_modeline_names(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["init", str(tmp_path / "estate")])
    assert result.exit_code == 0, result.output
    check_directory(tmp_path / "estate" / "environments")


def test_the_merged_document_validates_against_the_complete_schema() -> None:
    from llmops_infra.config.loader import load_environment_with_source

    for env in ("dev", "staging", "prod"):
        _, merged = load_environment_with_source(env, REPO)
        assert problems(environment_schema(), json.loads(json.dumps(merged, default=str))) == [], env
    # the complete schema is what overlays alone used to fail against
    assert problems(environment_schema(), as_json(REPO / "environments" / "dev.yaml"))


def test_partial_schemas_relax_mappings_but_not_list_items() -> None:
    overlay, base = schemas()[OVERLAY], schemas()[BASE]
    # a mapping may be completed by the other file
    assert problems(overlay, {"cluster": {"sku_tier": "Free"}, "budget": {"monthly_usd": 10}}) == []
    # a list item is replaced whole: it must be complete where it is written
    pool = {"name": "gpu", "min_nodes": 0, "max_nodes": 2}
    assert any("vm_size" in p for p in problems(overlay, {"cluster": {"gpu_pools": [pool]}}))
    # unknown keys are refused, at every depth
    assert problems(overlay, {"clustr": {}}) and problems(overlay, {"cluster": {"sku_teir": "Free"}})
    # base.yaml must not name an environment; an environment's file may (it must match the file)
    assert problems(base, {"name": "dev"}) and problems(overlay, {"name": "dev"}) == []


def test_every_field_has_a_description() -> None:
    schema = environment_schema()
    missing = []
    for name, definition in [("EnvironmentConfig", schema), *schema.get("$defs", {}).items()]:
        for field, spec in definition.get("properties", {}).items():
            if "description" not in spec:
                missing.append(f"{name}.{field}")
    assert missing == []


def test_schema_forbids_unknown_keys() -> None:
    for name in (MERGED, BASE, OVERLAY):
        schema = json.loads(schema_text(name))
        assert schema["additionalProperties"] is False
        assert all(
            d.get("additionalProperties") is False for d in schema["$defs"].values() if d.get("type") == "object"
        ), name
