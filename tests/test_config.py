"""Config models: cross-field rules and secure defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from llmops_infra.config.loader import load_environment
from llmops_infra.config.models import ClusterConfig, GpuPool, KeyVaultConfig, MlEndpoint, NetworkConfig

REPO = Path(__file__).resolve().parent.parent


def test_secure_defaults() -> None:
    assert KeyVaultConfig().allow_public_network_access is False
    assert KeyVaultConfig().soft_delete_retention_days == 90
    pool = GpuPool(name="gpu", vm_size="Standard_NC4as_T4_v3")
    assert (pool.min_nodes, pool.spot) == (0, False)


def test_gpu_pool_bounds_and_spot_price() -> None:
    with pytest.raises(ValidationError, match=r"min_nodes \(3\) exceeds max_nodes \(1\)"):
        GpuPool(name="gpu", vm_size="Standard_NC4as_T4_v3", min_nodes=3, max_nodes=1)
    with pytest.raises(ValidationError, match="spot_max_price is set but spot is false"):
        GpuPool(name="gpu", vm_size="Standard_NC4as_T4_v3", spot_max_price=0.2)
    with pytest.raises(ValidationError, match="pattern"):
        GpuPool(name="gpu", vm_size="Standard_D4s_v5")


def test_subnets_must_lie_inside_and_not_overlap() -> None:
    subnets = {"aks_nodes": "10.0.0.0/20", "private_endpoints": "10.0.16.0/24", "ml_compute": "10.0.17.0/24"}
    NetworkConfig(address_space="10.0.0.0/16", subnets=subnets)
    with pytest.raises(ValidationError, match="outside address_space"):
        NetworkConfig(address_space="10.1.0.0/16", subnets=subnets)
    with pytest.raises(ValidationError, match="overlaps"):
        NetworkConfig(address_space="10.0.0.0/16", subnets={**subnets, "ml_compute": "10.0.16.0/25"})
    with pytest.raises(ValidationError, match="host bits"):
        NetworkConfig(address_space="10.0.0.1/16", subnets=subnets)


def test_cluster_api_access_must_be_explicit() -> None:
    pools = [{"name": "gpu", "vm_size": "Standard_NC4as_T4_v3"}]
    with pytest.raises(ValidationError, match="needs authorized_ip_ranges"):
        ClusterConfig(kubernetes_version="1.31", private_cluster=False, gpu_pools=pools)
    with pytest.raises(ValidationError, match="no effect on a private cluster"):
        ClusterConfig(kubernetes_version="1.31", authorized_ip_ranges=["203.0.113.0/24"], gpu_pools=pools)
    with pytest.raises(ValidationError, match="appears twice"):
        ClusterConfig(kubernetes_version="1.31", gpu_pools=pools * 2)


def test_traffic_split_must_sum_to_100() -> None:
    with pytest.raises(ValidationError, match="sums to 90"):
        MlEndpoint(
            name="flow",
            deployments=[
                {"name": "blue", "flow_version": "1", "traffic_percent": 60},
                {"name": "green", "flow_version": "2", "traffic_percent": 30},
            ],
        )


def test_inference_model_must_name_an_existing_pool() -> None:
    config = load_environment("dev", REPO)
    data = config.model_dump(mode="json")
    data["inference"]["models"][0]["gpu_pool"] = "nopool"
    with pytest.raises(ValidationError, match="is not a GPU pool: use one of"):
        type(config).model_validate(data)


def test_models_are_frozen() -> None:
    config = load_environment("dev", REPO)
    with pytest.raises(ValidationError):
        config.name = "other"  # type: ignore[misc]


def test_environments_differ_as_documented() -> None:
    dev, staging, prod = (load_environment(e, REPO) for e in ("dev", "staging", "prod"))
    assert [(p.vm_size, p.min_nodes, p.max_nodes, p.spot) for p in dev.cluster.gpu_pools] == [
        ("Standard_NC4as_T4_v3", 0, 2, True)
    ]
    assert [(p.vm_size, p.min_nodes, p.max_nodes) for p in staging.cluster.gpu_pools] == [
        ("Standard_NC24ads_A100_v4", 0, 2)
    ]
    assert prod.cluster.private_cluster and prod.promotion.requires_approval
    assert prod.policy.default_level is not None and prod.policy.default_level.value == "mandatory"


def test_a_private_cluster_names_its_administrators() -> None:
    pools = [{"name": "gpu", "vm_size": "Standard_NC4as_T4_v3"}]
    with pytest.raises(ValidationError, match="admin_group_object_ids is empty but the cluster is private"):
        ClusterConfig(kubernetes_version="1.31", gpu_pools=pools)
    group = "5f4a2e36-0d1c-4b8e-9a67-1c2d3e4f5a6b"
    assert ClusterConfig(kubernetes_version="1.31", gpu_pools=pools, admin_group_object_ids=[group])
    with pytest.raises(ValidationError, match="appears twice"):
        ClusterConfig(kubernetes_version="1.31", gpu_pools=pools, admin_group_object_ids=[group, group])


def test_ci_runners_need_their_subnet_and_a_ci_system(project_dir) -> None:
    from llmops_infra.config.loader import load_environment
    from llmops_infra.config.models import EnvironmentConfig

    prod = load_environment("prod", project_dir).model_dump()
    assert prod["ci"]["runners"]["enabled"] and prod["network"]["subnets"]["ci_runners"]
    without_subnet = {
        **prod,
        "network": {**prod["network"], "subnets": {**prod["network"]["subnets"], "ci_runners": None}},
    }
    with pytest.raises(ValidationError, match=r"needs network\.subnets\.ci_runners"):
        EnvironmentConfig.model_validate(without_subnet)
    runners_off = {**prod, "ci": {**prod["ci"], "runners": {**prod["ci"]["runners"], "enabled": False}}}
    with pytest.raises(ValidationError, match=r"ci\.runners\.enabled is false"):
        EnvironmentConfig.model_validate(runners_off)
    ado_runners = {**prod, "ci": {**prod["ci"], "runners": {**prod["ci"]["runners"], "kind": "azure-devops"}}}
    with pytest.raises(ValidationError, match=r"needs identity\.pipeline\.azure_devops"):
        EnvironmentConfig.model_validate(ado_runners)
    no_image = {**prod, "ci": {**prod["ci"], "runners": {**prod["ci"]["runners"], "github": None}}}
    with pytest.raises(ValidationError, match=r"need github\.image"):
        EnvironmentConfig.model_validate(no_image)


def test_pulumi_cloud_backend_and_service_secrets() -> None:
    from llmops_infra.config.models import StateBackend

    assert StateBackend(url="https://api.pulumi.com", secrets_provider="service").secrets_provider == "service"
    with pytest.raises(ValidationError, match="secrets_provider service is Pulumi Cloud's"):
        StateBackend(url="azblob://pulumi-state?storage_account=st1", secrets_provider="service")
