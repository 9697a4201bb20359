"""Synthesis: what the engine would receive, captured offline and deterministically."""

from __future__ import annotations

import pulumi
import pytest
from pulumi_azure_native import keyvault, resources

from llmops_infra.offline.mocks import AzureMocks
from llmops_infra.offline.synth import synthesize
from llmops_infra.plan import SECRET_MARKER

SUB = "11111111-1111-4111-8111-111111111111"
TENANT = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"


class Box(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("test:index:Box", name, None, opts)
        rg = resources.ResourceGroup(
            f"{name}-rg", resource_group_name="rg-test", opts=pulumi.ResourceOptions(parent=self, protect=True)
        )
        self.vault = keyvault.Vault(
            f"{name}-kv",
            resource_group_name=rg.name,
            vault_name="kv-test",
            properties=keyvault.VaultPropertiesArgs(
                tenant_id=TENANT,
                sku=keyvault.SkuArgs(family="A", name="standard"),
                enable_purge_protection=True,
                enable_rbac_authorization=True,
            ),
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["tags"]),
        )
        keyvault.Secret(
            f"{name}-secret",
            resource_group_name=rg.name,
            vault_name=self.vault.name,
            secret_name="s",
            properties=keyvault.SecretPropertiesArgs(value=pulumi.Output.secret("hunter2")),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})


def program() -> None:
    box = Box("box")
    pulumi.export("vault_uri", box.vault.properties.vault_uri)
    pulumi.export("hidden", pulumi.Output.secret("s3cr3t"))


def run(env: str = "dev"):
    return synthesize(program, environment=env, project="test", mocks=AzureMocks(SUB, TENANT, "eastus"))


def test_props_use_wire_names_and_outputs_resolve() -> None:
    plan = run()
    vault = plan.of_type("azure-native:keyvault:Vault")[0]
    assert vault.props["properties"]["enablePurgeProtection"] is True
    assert vault.props["resourceGroupName"] == "rg-test"
    assert (
        vault.outputs["id"]
        == f"/subscriptions/{SUB}/resourceGroups/rg-test/providers/Microsoft.KeyVault/vaults/kv-test"
    )
    assert plan.outputs["vault_uri"] == "https://kv-test.vault.azure.net/"


def test_parent_dependencies_and_options_are_captured() -> None:
    plan = run()
    by_name = {r.name: r for r in plan.resources}
    box, rg, vault = by_name["box"], by_name["box-rg"], by_name["box-kv"]
    assert box.is_component and box.type == "test:index:Box"
    assert rg.parent == box.urn and rg.protect is True
    assert vault.ignore_changes == ["tags"]
    assert rg.urn in vault.dependencies
    assert vault.urn == "urn:pulumi:dev::test::test:index:Box$azure-native:keyvault:Vault::box-kv"
    assert box.urn == "urn:pulumi:dev::test::test:index:Box::box"
    assert plan.component_of(vault) == box


def test_secrets_never_reach_the_plan() -> None:
    plan = run()
    text = plan.to_json()
    assert "hunter2" not in text and "s3cr3t" not in text
    secret = plan.of_type("azure-native:keyvault:Secret")[0]
    assert secret.props["properties"] == SECRET_MARKER or secret.props["properties"]["value"] == SECRET_MARKER
    assert plan.outputs["hidden"] == SECRET_MARKER


def test_same_program_same_bytes() -> None:
    assert run().to_json() == run().to_json()
    assert run().digest() == run().digest()


def test_environments_do_not_leak_into_each_other() -> None:
    first = run("dev")
    second = run("prod")
    assert len(first.resources) == len(second.resources)
    assert all(r.urn.startswith("urn:pulumi:prod::") for r in second.resources)


def test_provider_aliases_are_dropped_only_when_asked() -> None:
    made: list[Box] = []

    def keep() -> None:
        made.append(Box("box"))

    mocks = AzureMocks(SUB, TENANT, "eastus")
    synthesize(keep, environment="dev", project="test", mocks=mocks)
    synthesize(keep, environment="dev", project="test", mocks=mocks, drop_aliases=False)
    dropped, kept = made
    assert dropped.vault._aliases == []
    assert len(kept.vault._aliases) > 10  # azure-native passes one alias per older API version


def test_program_errors_propagate() -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        synthesize(broken, environment="dev", project="test", mocks=AzureMocks(SUB, TENANT, "eastus"))
    # and the runtime is usable afterwards
    assert len(run().resources) == 4


def test_the_cyclic_collector_is_paused_during_synthesis_and_restored_after() -> None:
    """Automatic collections walked the growing heap and made per-resource cost superlinear
    (docs/performance.md); the collector is off while the program runs, restored even on failure."""
    import gc

    seen: list[bool] = []

    def watched() -> None:
        seen.append(gc.isenabled())
        program()

    assert gc.isenabled()
    synthesize(watched, environment="dev", project="test", mocks=AzureMocks(SUB, TENANT, "eastus"))
    assert seen == [False] and gc.isenabled()

    def broken() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        synthesize(broken, environment="dev", project="test", mocks=AzureMocks(SUB, TENANT, "eastus"))
    assert gc.isenabled()
    gc.disable()
    try:  # a caller that had turned it off keeps it off
        synthesize(watched, environment="dev", project="test", mocks=AzureMocks(SUB, TENANT, "eastus"))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_what_a_program_leaves_is_frozen_until_the_next_program() -> None:
    """Turned back on over the heap synthesis made, the collector would first walk all of it; frozen,
    it does not, and the next program unfreezes it so that a long-running process still frees it."""
    import gc

    frozen_during: list[int] = []

    def watched() -> None:
        frozen_during.append(gc.get_freeze_count())
        program()

    mocks = AzureMocks(SUB, TENANT, "eastus")
    synthesize(watched, environment="dev", project="test", mocks=mocks)
    after_first = gc.get_freeze_count()
    synthesize(watched, environment="dev", project="test", mocks=AzureMocks(SUB, TENANT, "eastus"))
    assert after_first > 0 and gc.get_freeze_count() > 0
    assert frozen_during == [0, 0]  # each program starts with nothing frozen
    gc.unfreeze()


def test_the_inputs_keeping_mocks_pass_every_mocks_method_on() -> None:
    """`_InputsSeen` stands in for the mocks in the SDK's monitor: a method the SDK adds to `Mocks`
    and it does not pass on would silently run the SDK's default instead of the estate's mocks."""
    import inspect

    import pulumi

    from llmops_infra.offline.synth import _InputsSeen

    methods = {
        name for name, _ in inspect.getmembers(pulumi.runtime.Mocks, inspect.isfunction) if not name.startswith("_")
    }
    assert methods and all(name in vars(_InputsSeen) for name in methods), methods - set(vars(_InputsSeen))
