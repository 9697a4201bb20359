"""The private SDK internals synthesis uses are all present in the installed pulumi SDK."""

from __future__ import annotations

import pytest

from llmops_infra.offline import sdk_hooks


def test_installed_sdk_has_every_hook():
    sdk_hooks.check()  # raises SdkHookMissing naming the hook otherwise


def test_a_missing_hook_is_named(monkeypatch):
    from pulumi.runtime import resource

    monkeypatch.delattr(resource, "_get_stack_trace")
    with pytest.raises(sdk_hooks.SdkHookMissing, match=r"pulumi\.runtime\.resource\._get_stack_trace"):
        sdk_hooks.check()


def test_run_program_restores_stack_traces():
    from pulumi.runtime import resource

    before = resource._get_stack_trace

    async def body() -> None:
        assert resource._get_stack_trace is not before

    sdk_hooks.run_program(body, stack_traces=False)
    assert resource._get_stack_trace is before
