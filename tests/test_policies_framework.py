"""The property helpers rules share: `expect`, `get`, `same`."""

import pytest
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from llmops_infra.policies.framework import expect, get, present, same

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's marker for a value unknown at preview


def messages(props, *checks):
    found = []
    expect(unknown_checking_proxy(props), found.append, *checks)
    return found


def test_expect_booleans_are_exact_and_absent_fails():
    checks = [("a.on", True, "a off"), ("b", False, "b on")]
    assert messages({"a": {"on": True}, "b": False}, *checks) == []
    assert messages({"a": {"on": "true"}, "b": None}, *checks) == ["a off", "b on"]
    assert messages({}, *checks) == ["a off", "b on"]


def test_expect_enums_ignore_case():
    checks = [("access", ("Disabled",), "public")]
    assert messages({"access": "disabled"}, *checks) == []
    assert messages({"access": "Enabled"}, *checks) == ["public"]
    assert messages({}, *checks) == ["public"]


def test_an_unknown_value_is_neither_pass_nor_fail():
    with pytest.raises(UnknownValueError):
        messages({"access": UNKNOWN}, ("access", ("Disabled",), "public"))
    assert same("DENY", "Deny") and not same(None, "Deny")
    assert get({"a": {"b": None}}, "a.b", 7) == 7


def test_present_counts_an_unknown_output_as_set():
    props = unknown_checking_proxy({"a": {"id": UNKNOWN, "empty": "", "none": None}, "list": [UNKNOWN]})
    assert present(props, "a.id") and present(props, "list")
    assert not present(props, "a.empty") and not present(props, "a.none") and not present(props, "a.missing")
    assert not present(props, "b.id")
