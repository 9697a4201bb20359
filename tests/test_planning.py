"""Planning shipped environments: deterministic, isolated, offline."""

from __future__ import annotations

from pathlib import Path

from llmops_infra.config.loader import load_environment
from llmops_infra.offline.planning import plan_config, plan_environment

REPO = Path(__file__).resolve().parent.parent


def test_plan_is_byte_identical_across_runs_and_interleavings() -> None:
    first = plan_environment("dev", REPO).to_json()
    plan_environment("prod", REPO)
    plan_environment("staging", REPO)
    assert plan_environment("dev", REPO).to_json() == first


def test_plans_of_environments_do_not_share_resources() -> None:
    dev = plan_environment("dev", REPO)
    prod = plan_environment("prod", REPO)
    assert all(
        r.urn.startswith(("urn:pulumi:dev::llmops-platform::", "urn:pulumi:dev::llmops-workload::"))
        for r in dev.resources
    )
    assert all(
        r.urn.startswith(("urn:pulumi:prod::llmops-platform::", "urn:pulumi:prod::llmops-workload::"))
        for r in prod.resources
    )
    dev_group = dev.of_type("azure-native:resources:ResourceGroup")[0]
    prod_group = prod.of_type("azure-native:resources:ResourceGroup")[0]
    assert dev_group.props["resourceGroupName"] == "rg-llmops-dev-eus"
    assert prod_group.props["resourceGroupName"] == "rg-llmops-prod-eus2"
    assert "/subscriptions/33333333-3333-4333-8333-333333333333/" in prod_group.outputs["id"]


def test_every_resource_has_a_parent_component() -> None:
    for env in ("dev", "prod"):
        plan = plan_config(load_environment(env, REPO))
        for resource in plan.custom_resources():
            assert plan.component_of(resource) is not None, f"{resource.urn} has no component"


def test_a_component_refusing_its_args_is_a_config_error_with_file_and_line(tmp_path: Path) -> None:
    """Components validate their Args (a user's program uses them too); the estate turns the refusal
    into a ConfigError naming the config section, and planning adds the file and line."""
    import shutil

    import pytest

    from llmops_infra.errors import ConfigError

    shutil.copytree(REPO / "environments", tmp_path / "environments")
    dev = tmp_path / "environments" / "dev.yaml"
    # Valid for the config models, refused by OpenAIEndpointsArgs: 2 x 30 exceeds a cap of 50.
    dev.write_text(dev.read_text().replace("max_openai_capacity: 60", "max_openai_capacity: 50"))
    with pytest.raises(ConfigError) as caught:
        plan_environment("dev", tmp_path)
    assert caught.value.key == "openai.deployments"
    assert caught.value.file == "environments/base.yaml" and caught.value.line
    assert str(caught.value).startswith(f"environments/base.yaml:{caught.value.line}: openai.deployments: ")
    assert "capacity" in str(caught.value)


ML_SERVING = {
    "azure-native:machinelearningservices:ModelVersion",
    "azure-native:machinelearningservices:EnvironmentVersion",
    "azure-native:machinelearningservices:OnlineDeployment",
    "azure-native:resources:Deployment",  # the endpoints' traffic split
}


def test_the_estate_is_two_stacks_and_the_workload_holds_kubernetes_objects_ml_deployments_and_secret_roles() -> None:
    plan = plan_environment("dev", REPO)
    stacks = plan.stacks()
    assert list(stacks) == ["platform", "workload"]
    platform_types = {r.type for r in stacks["platform"] if r.custom}
    workload_types = {r.type for r in stacks["workload"] if r.custom}
    assert not any(t.startswith("kubernetes:") for t in platform_types)
    assert not platform_types & ML_SERVING  # nothing the platform creates references an unregistered version
    # Besides Kubernetes objects: the ML deployments with the versions they serve, and the role assignments on
    # single Key Vault secrets (the secrets exist once the bootstrap between the stacks has seeded them).
    azure = [r for r in stacks["workload"] if r.custom and not r.type.startswith(("kubernetes:", "pulumi:"))]
    assert {r.type for r in azure} == ML_SERVING | {"azure-native:authorization:RoleAssignment"}, workload_types
    assert all("/secrets/" in r.props["scope"] for r in azure if r.type.endswith("RoleAssignment"))
    assert "kubernetes:apps/v1:Deployment" in workload_types
    document = plan.to_dict()
    assert [s["name"] for s in document["stacks"]] == ["platform", "workload"]
    assert sum(len(s["resources"]) for s in document["stacks"]) == len(document["resources"])


def test_platform_exports_every_output_the_workload_reads() -> None:
    from llmops_infra.stacks.platform_outputs import PlatformOutputs

    plan = plan_environment("dev", REPO)
    assert set(PlatformOutputs.names()) <= set(plan.outputs)
    assert plan.outputs["inference_client_id"] and plan.outputs["keda_client_id"]


def test_workload_reads_the_platform_through_a_stack_reference() -> None:
    plan = plan_environment("dev", REPO)
    # The StackReference is read, not registered: what shows is the provider it feeds.
    [provider] = plan.of_type("pulumi:providers:kubernetes")
    assert provider.urn.split("::")[1] == "llmops-workload"
    assert provider.props["kubeconfig"] == "[secret]"


def test_every_resource_records_the_config_section_it_was_built_from(plans) -> None:
    plan = plans("prod")
    assert {r.urn for r in plan.resources} == set(plan.origins)
    keys = {plan.origins[r.urn].key for r in plan.resources}
    assert {"key_vault", "cluster", "inference", "network"} <= keys and "" not in keys
    # origins are where findings point, not the plan's content: digests and JSON leave them out
    assert "origins" not in plan.to_dict()
