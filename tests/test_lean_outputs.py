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


def _every_output(program: Any, sink: dict[tuple[int, str], Any]) -> Any:
    """`program`, then what every output property of every resource it registered resolves to."""

    def observed() -> None:
        made: list[pulumi.Resource] = []

        def keep(args: pulumi.ResourceTransformationArgs) -> None:
            made.append(args.resource)

        pulumi.runtime.register_stack_transformation(keep)
        program()

        async def record(key: tuple[int, str], output: pulumi.Output[Any]) -> None:
            data = await output._data  # value, known, secret and resources, without apply's unwrapping
            urns = sorted([await r.urn.future() for r in data.resources])
            sink[key] = (data.value, data.is_known, data.is_secret, urns)

        for index, res in enumerate(made):
            for attribute, output in vars(res).items():
                if isinstance(output, pulumi.Output) and attribute not in ("urn", "id"):
                    pulumi.Output.from_input(record((index, f"{type(res).__name__}.{attribute}"), output))

    return observed


def test_every_output_of_a_whole_environment_resolves_as_with_the_sdks_bookkeeping(monkeypatch, project_dir: Path):
    """Values are translated when first read: reading every one gives what the SDK resolves eagerly."""
    from llmops_infra.config.loader import load_environment
    from llmops_infra.stacks.estate import program_for

    config = load_environment("dev", project_dir)
    azure = config.azure

    def plan(sink: dict[tuple[int, str], Any]) -> Any:
        mocks = AzureMocks(azure.subscription_id, azure.tenant_id, azure.location)
        return synthesize(_every_output(program_for(config), sink), environment="dev", project="llmops", mocks=mocks)

    lean: dict[tuple[int, str], Any] = {}
    lean_plan = plan(lean)
    monkeypatch.setattr(lean_outputs, "installed", contextlib.nullcontext)
    sdk: dict[tuple[int, str], Any] = {}
    sdk_plan = plan(sdk)
    assert len(lean) > 2000 and lean == sdk
    assert lean_plan.to_json() == sdk_plan.to_json()
    typed = [value for value, *_ in lean.values() if isinstance(value, dict) and type(value) is not dict]
    assert typed  # output classes (the SDK's `*Response` types) were built and compared


def test_a_value_that_does_not_translate_fails_where_it_is_read():
    class Misshapen(AzureMocks):
        def new_resource(self, args: Any) -> Any:
            name, state = super().new_resource(args)
            if args.typ == "azure-native:storage:StorageAccount":
                state = {**state, "primaryEndpoints": ["not", "an", "object"]}
            return name, state

    def program() -> None:
        account = storage.StorageAccount(
            "sa", resource_group_name="rg", kind="StorageV2", sku=storage.SkuArgs(name="Standard_LRS")
        )
        pulumi.export("blob", account.primary_endpoints.apply(lambda endpoints: endpoints.blob))

    lean_error = _failure(program, Misshapen)
    assert isinstance(lean_error, AssertionError) and "EndpointsResponse" in str(lean_error)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lean_outputs, "installed", contextlib.nullcontext)
        sdk_error = _failure(program, Misshapen)
    assert type(sdk_error) is type(lean_error) and str(sdk_error) == str(lean_error)


def _failure(program: Any, mocks: type[AzureMocks]) -> BaseException | None:
    try:
        synthesize(program, environment="test", project="llmops", mocks=mocks(SUB, TENANT, "eastus"))
    except Exception as exc:  # what each bookkeeping raises is compared
        return exc
    return None


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

    before = (rpc.transfer_properties, rpc.contains_unknowns, rpc.resolve_outputs)
    with pytest.raises(Exception, match="the mock refuses sa"):
        synthesize(program, environment="test", project="llmops", mocks=Refusing(SUB, TENANT, "eastus"))
    assert (rpc.transfer_properties, rpc.contains_unknowns, rpc.resolve_outputs) == before


def test_the_installed_sdk_matches_what_the_replacements_assume():
    assert lean_outputs.mismatches() == []
