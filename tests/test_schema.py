"""environments/schema.json is generated from the models and kept in sync."""

from __future__ import annotations

import json
from pathlib import Path

from llmops_infra.config.schema import environment_schema, schema_text

REPO = Path(__file__).resolve().parent.parent


def test_shipped_schema_is_up_to_date() -> None:
    shipped = (REPO / "environments" / "schema.json").read_text()
    assert shipped == schema_text(), (
        "environments/schema.json is stale: run `python -m llmops_infra.config.schema > environments/schema.json`"
    )


def test_every_field_has_a_description() -> None:
    schema = environment_schema()
    missing = []
    for name, definition in [("EnvironmentConfig", schema), *schema.get("$defs", {}).items()]:
        for field, spec in definition.get("properties", {}).items():
            if "description" not in spec:
                missing.append(f"{name}.{field}")
    assert missing == []


def test_schema_forbids_unknown_keys() -> None:
    schema = json.loads(schema_text())
    assert schema["additionalProperties"] is False
    assert schema["$defs"]["GpuPool"]["additionalProperties"] is False
