"""Helpers for the bootstrap's tests: a dev config with a pinned flow image, the paths ARM and the
data planes are asked for, and a `Bootstrap` wired to a local replay server (tests/arm_replay.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from arm_replay import ArmReplay, FakeToken

from llmops_infra.config.loader import load_environment
from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.engine.progress import Progress
from llmops_infra.engine.seed import Bootstrap
from llmops_infra.engine.seed_clients import SeedClients
from llmops_infra.stacks.estate import new_estate

REPO = Path(__file__).resolve().parent.parent
VLLM = "vllm/vllm-openai"
VLLM_DIGEST = "sha256:61fc8a896b0a4fbbbdc063bc4b0dbc25ce98e02b5050c24aeb7830ac02039b14"
LOADER = "azure-cli"
LOADER_DIGEST = "sha256:e3768dde8142efa45d8f356a317aaac77abd7da15ba3719b0a150e9453f251db"
FLOW = "azureml/promptflow/promptflow-runtime"
FLOW_DIGEST = "sha256:" + "ab" * 32
SECRET_VALUE = "hf_TestOnlyValueThatMustNeverBePrinted0123456789"


def dev_config(project_dir: Path = REPO, *, flow_digest: str = FLOW_DIGEST) -> EnvironmentConfig:
    """dev as shipped, with the flow image pinned (the shipped digest is a placeholder)."""
    config = load_environment("dev", project_dir)
    assert config.ml.flow_image is not None
    ml = config.ml.model_copy(update={"flow_image": config.ml.flow_image.model_copy(update={"digest": flow_digest})})
    return config.model_copy(update={"ml": ml})


class Paths:
    """What the bootstrap asks for, named as the platform stack names it."""

    def __init__(self, config: EnvironmentConfig) -> None:
        namer = new_estate(config).namer
        group = f"/subscriptions/{config.azure.subscription_id}/resourceGroups/{namer.name('resource_group')}"
        self.registry = f"{group}/providers/Microsoft.ContainerRegistry/registries/{namer.name('container_registry')}"
        self.vault = f"{group}/providers/Microsoft.KeyVault/vaults/{namer.name('key_vault')}"
        self.import_image = f"{self.registry}/importImage"
        self.operation = (
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myResourceGroup/providers/"
            "Microsoft.ContainerRegistry/locations/location/operationResults/operationStatuses/"
            "registries-00000000-0000-0000-0000-000000000000"
        )
        self.secrets = "/secrets"

    @staticmethod
    def manifest(repository: str, digest: str) -> str:
        return f"/v2/{repository}/manifests/{digest}"

    @staticmethod
    def secret(name: str) -> str:
        return f"/secrets/{name}"


def route_platform(replay: ArmReplay, paths: Paths) -> None:
    """The registry and the vault exist; the registry hands out tokens."""
    replay.route(paths.registry, "acr-registry").route(paths.vault, "kv-vault")
    replay.route("/oauth2/exchange", "acr-exchange", method="POST")
    replay.route("/oauth2/token", "acr-access-token", method="POST")


def route_images(replay: ArmReplay, *fixtures: str) -> None:
    """Every pinned image answers the same presence fixtures in order."""
    for repository, digest in ((VLLM, VLLM_DIGEST), (LOADER, LOADER_DIGEST), (FLOW, FLOW_DIGEST)):
        replay.route(Paths.manifest(repository, digest), *fixtures, method="HEAD")


def route_import(replay: ArmReplay, paths: Paths, *operation: str) -> None:
    replay.route(paths.import_image, "acr-import-image#202", method="POST")
    replay.route(paths.operation, *operation)


def set_secret_answer(value: str, name: str = "hf-hub-token") -> tuple[int, dict[str, str], Any]:
    """Key Vault's answer to a set: it echoes the value (examples/7.6/SetSecret-example.json)."""
    return (
        200,
        {},
        {
            "value": value,
            "id": f"https://myvault.vault.azure.net/secrets/{name}/03bcccc7c8cf4546a0e3e21e52560441",
            "attributes": {"enabled": True, "created": 1493938459, "updated": 1493938459},
        },
    )


def bootstrap(
    replay: ArmReplay,
    config: EnvironmentConfig,
    environ: dict[str, str] | None = None,
    waits: list[float] | None = None,
) -> Bootstrap:
    clients = SeedClients.for_replay(
        replay.url, FakeToken, config.azure.tenant_id, (waits if waits is not None else []).append
    )
    return Bootstrap(config, clients=clients, environ=environ if environ is not None else {})


def run(boot: Bootstrap, operation: str) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    records: list[dict[str, Any]] = []
    results = boot.run(operation, Progress(operation, listeners=[records.append]))
    return results, records


def lines(records: list[dict[str, Any]]) -> list[str]:
    return [f"{r['step']} {r['status']}: {r['message']}" for r in records if r["event"] == "step"]
