"""What a pydantic validation error means for someone editing an environment file: the message
the loader shows, with a "did you mean" and the allowed keys for an unknown one."""

from __future__ import annotations

import difflib
from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from llmops_infra.config.models import EnvironmentConfig

KeyPath = tuple[str | int, ...]


def describe(error: ErrorDetails, loc: KeyPath) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        fields = fields_at(EnvironmentConfig, loc[:-1])
        hint = difflib.get_close_matches(str(loc[-1]), fields, n=1, cutoff=0.6)
        suggestion = f"did you mean {hint[0]!r}? " if hint else ""
        return f"unknown key. {suggestion}Allowed keys here: {', '.join(fields)}"
    if kind == "missing":
        return "required key is missing: add it (see environments/schema.json)"
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return message


def fields_at(model: type[BaseModel], path: KeyPath) -> list[str]:
    """The field names of the model found at `path` below `model` (for suggestions)."""
    current: Any = model
    for part in path:
        current = unwrap(current)
        if isinstance(part, int):
            continue
        if isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            current = current.model_fields[part].annotation
    current = unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def unwrap(annotation: Any) -> Any:
    """list[X] -> X, X | None -> X, dict[str, X] -> X."""
    for _ in range(4):
        origin = get_origin(annotation)
        if origin is None:
            return annotation
        args = [a for a in get_args(annotation) if a is not type(None)]
        if not args:
            return annotation
        annotation = args[-1]
    return annotation
