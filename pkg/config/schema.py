"""JSON Schema of the environment files, generated from the models.

Regenerate with `python -m llmops_infra.config.schema > environments/schema.json`;
a test fails when the shipped file is out of date. Every key is optional in the schema of an
overlay file in practice, but the schema describes the merged document, which editors use
for completion and descriptions.
"""

from __future__ import annotations

import json
from typing import Any

from llmops_infra.config.models import EnvironmentConfig


def environment_schema() -> dict[str, Any]:
    schema = EnvironmentConfig.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "llmops-infra environment"
    # base.yaml and <env>.yaml are partial documents: only the merged one is complete.
    schema.pop("required", None)
    return schema


def schema_text() -> str:
    return json.dumps(environment_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(schema_text(), end="")
