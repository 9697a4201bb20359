"""The lean output bookkeeping gives what the SDK's own gives: values, secrecy, dependencies, errors."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pulumi
import pytest
from helpers import SUB, TENANT
from pulumi.runtime import rpc
from pulumi_azure_native import resources, storage

from llmops_infra.offline import lean_outputs
from llmops_infra.offline.mocks import AzureMocks
from llmops_infra.offline.synth import synthesize

SDK_CONTAINS_UNKNOWNS = rpc.contains_unknowns


@pulumi.output_type
class _Shape(dict):  # an output type: a dict whose `values` is a property, as generated SDKs have
    def __init__(__self__, *, values: list[Any]) -> None:
        pulumi.set(__self__, "values", values)

    @property
    @pulumi.getter
    def values(self) -> list[Any]:
        return pulumi.get(self, "values")


def _cyclic() -> list[Any]:
    loop: list[Any] = [1]
    loop.append(loop)
    return loop


@pytest.mark.parametrize(
    "value",
    [
        None,
        "text",
        3,
        pulumi.UNKNOWN,
        {"a": [1, {"b": pulumi.UNKNOWN}]},
        {"a": [1, {"b": "c"}]},
        [[], {}, [[pulumi.UNKNOWN]]],
        _Shape(values=[1, 2]),
        _Shape(values=[pulumi.UNKNOWN]),
        _cyclic(),
    ],
)
def test_contains_unknowns_agrees_with_the_sdk(value):
    assert lean_outputs.contains_unknowns(value) is SDK_CONTAINS_UNKNOWNS(value)


def _observe(sink: dict[str, Any]) -> None:
    """A program whose outputs carry secrets, provider-computed values, unset (None) outputs and
    dependencies; records what each output property resolves to."""
    rg = resources.ResourceGroup("rg", resource_group_name="rg-test")
    account = storage.StorageAccount(
        "sa",
        account_name="satest",
        resource_group_name=rg.name,
        kind="StorageV2",
        sku=storage.SkuArgs(name="Standard_LRS"),
        tags={"token": pulumi.Output.secret("hunter2")},
        opts=pulumi.ResourceOptions(depends_on=[rg]),
    )

    async def record(name: str, output: pulumi.Output[Any]) -> None:
        sink[name] = (
            await output.future(),
            await output.is_known(),
            await output.is_secret(),
            sorted([await r.urn.future() for r in await output.resources()]),
        )

    for label, res in (("rg", rg), ("sa", account)):
        for attribute in ("name", "location", "tags", "primary_endpoints", "managed_by", "provisioning_state"):
            if hasattr(res, attribute):
                output = getattr(res, attribute)
                pulumi.Output.from_input(record(f"{label}.{attribute}", output))


def _synth(program: Any) -> Any:
    return synthesize(program, environment="test", project="llmops", mocks=AzureMocks(SUB, TENANT, "eastus"))


def test_outputs_resolve_as_with_the_sdks_bookkeeping(monkeypatch):
    lean: dict[str, Any] = {}
    lean_plan = _synth(lambda: _observe(lean))
    monkeypatch.setattr(lean_outputs, "installed", contextlib.nullcontext)
    sdk: dict[str, Any] = {}
    sdk_plan = _synth(lambda: _observe(sdk))
    assert len(lean) == 9 and lean == sdk
    assert lean_plan.to_dict() == sdk_plan.to_dict()
    value, known, secret, _ = lean["sa.tags"]
    assert value == {"token": "hunter2"} and known and secret
    sa = "urn:pulumi:test::llmops::azure-native:storage:StorageAccount::sa"
    assert lean["sa.primary_endpoints"][0]["blob"] == "https://satest.blob.core.windows.net/"
    assert lean["sa.provisioning_state"] == (None, True, False, [sa])  # an output nobody set


def test_a_whole_environment_plans_the_same_with_the_sdks_bookkeeping(monkeypatch, project_dir: Path):
    from llmops_infra.config.loader import load_environment
    from llmops_infra.offline.planning import plan_config

    config = load_environment("dev", project_dir)
    lean = plan_config(config)
    monkeypatch.setattr(lean_outputs, "installed", contextlib.nullcontext)
    assert plan_config(config).to_json() == lean.to_json()


def test_a_failed_registration_fails_the_program_and_restores_the_sdk():
    class Refusing(AzureMocks):
        def new_resource(self, args: Any) -> Any:
            if args.name == "sa":
                raise RuntimeError("the mock refuses sa")
            return super().new_resource(args)

    def program() -> None:
        account = storage.StorageAccount(
            "sa", resource_group_name="rg", kind="StorageV2", sku=storage.SkuArgs(name="Standard_LRS")
        )
        storage.BlobContainer("c", account_name=account.name, resource_group_name="rg")

    before = (rpc.transfer_properties, rpc.contains_unknowns)
    with pytest.raises(Exception, match="the mock refuses sa"):
        synthesize(program, environment="test", project="llmops", mocks=Refusing(SUB, TENANT, "eastus"))
    assert (rpc.transfer_properties, rpc.contains_unknowns) == before


def test_the_installed_sdk_matches_what_the_replacements_assume():
    assert lean_outputs.mismatches() == []
