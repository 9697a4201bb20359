"""Property helpers shared by the rules and the cost model, without pulumi_policy.

They take plain dicts or pulumi_policy's unknown-checking proxies (Mapping / Sequence, not
dict / list). Kept apart from framework.py so that pricing a plan (`plan`, `cost`) does not
import the policy SDK and with it the Pulumi runtime (about 0.4 s of a cold command).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def get(obj: Any, path: str, default: Any = None) -> Any:
    """`get(props, "properties.networkAcls.defaultAction")`: None where any step is absent."""
    current = obj
    for key in path.split("."):
        if isinstance(current, Mapping) and key in current:
            current = current[key]
        else:
            return default
    return default if current is None else current


def items(value: Any) -> list[Any]:
    """A list property as a list (absent or not a list: empty)."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [value[i] for i in range(len(value))]
    return []


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def same(value: Any, *expected: str) -> bool:
    """Case-insensitive enum comparison (`Disabled` == `disabled`)."""
    return isinstance(value, str) and value.lower() in {e.lower() for e in expected}


def is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.lower() == "false")
