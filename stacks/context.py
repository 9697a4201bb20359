"""The estate under construction, and the typed keys stages use to hand components on.

A stage stores what it built with `estate.add(KEY, component)` and a later stage reads it with
`estate.get(KEY)`. Each key is a module constant typed with its component class, so a type
checker knows what `estate.get(CLUSTER)` returns and flags a renamed key or attribute before
synthesis runs. `estate.find(KEY)` returns None for optional components (the CI principal).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

import pulumi

from llmops_infra.components.naming import Namer
from llmops_infra.config.models import EnvironmentConfig
from llmops_infra.errors import ConfigError
from llmops_infra.stacks.platform_outputs import PlatformOutputs

if TYPE_CHECKING:
    from pulumi_azure_native.keyvault import Secret
    from pulumi_azure_native.managedidentity import UserAssignedIdentity

    from llmops_infra.components.agent_setup import AgentSetup
    from llmops_infra.components.ai_gateway import AiGateway
    from llmops_infra.components.app_environment import AppEnvironment
    from llmops_infra.components.budget import Budget
    from llmops_infra.components.cluster_access import ClusterAccess
    from llmops_infra.components.content_safety import ContentSafety
    from llmops_infra.components.cosmos_store import CosmosStore
    from llmops_infra.components.devops_pool import DevOpsPool
    from llmops_infra.components.egress_firewall import EgressFirewall
    from llmops_infra.components.foundation import Foundation
    from llmops_infra.components.github_runners import GitHubRunners
    from llmops_infra.components.gpu_cluster import GpuCluster
    from llmops_infra.components.gpu_runtime import GpuRuntime
    from llmops_infra.components.identity import WorkloadIdentities
    from llmops_infra.components.inference_service import InferenceService
    from llmops_infra.components.keda_access import KedaAccess
    from llmops_infra.components.key_vault import KeyVault
    from llmops_infra.components.ml_deployments import MlDeployments
    from llmops_infra.components.ml_endpoints import MlEndpoints
    from llmops_infra.components.model_loader_access import ModelLoaderAccess
    from llmops_infra.components.model_storage import ModelStorage
    from llmops_infra.components.monitoring import Monitoring
    from llmops_infra.components.network import Network
    from llmops_infra.components.openai_endpoints import OpenAIEndpoints
    from llmops_infra.components.pipeline_principal import DeployerIdentity, PipelinePrincipal
    from llmops_infra.components.registry import Registry
    from llmops_infra.components.search_service import SearchService
    from llmops_infra.components.secret_access import SecretAccess
    from llmops_infra.components.team_app import TeamApp

C = TypeVar("C", bound=pulumi.Resource)


@dataclass(frozen=True)
class Key(Generic[C]):
    """The name under which a stage stores one component of type `C`."""

    name: str


FOUNDATION: Key[Foundation] = Key("foundation")
MONITORING: Key[Monitoring] = Key("monitoring")
NETWORK: Key[Network] = Key("network")
KEY_VAULT: Key[KeyVault] = Key("key_vault")
IDENTITY: Key[WorkloadIdentities] = Key("identity")
PIPELINE: Key[PipelinePrincipal | DeployerIdentity] = Key("pipeline")
"""Only when `identity.pipeline` names a CI system (read it with `find`)."""
BUDGET: Key[Budget] = Key("budget")
REGISTRY: Key[Registry] = Key("registry")
MODEL_STORAGE: Key[ModelStorage] = Key("model_storage")
CLUSTER: Key[GpuCluster] = Key("cluster")
CLUSTER_ACCESS: Key[ClusterAccess] = Key("cluster_access")
"""Workload stack: the Kubernetes provider."""
GPU_RUNTIME: Key[GpuRuntime] = Key("gpu_runtime")
KEDA: Key[KedaAccess] = Key("keda")
"""Only when inference models exist."""
MODEL_LOADER: Key[ModelLoaderAccess] = Key("model_loader")
"""Only when inference models exist: the identity that stages weights."""
SECRET_ACCESS: Key[SecretAccess] = Key("secret_access")
"""Workload stack, only when inference models exist: Key Vault Secrets User per secret, per reader."""
CONTENT_SAFETY: Key[ContentSafety] = Key("content_safety")
OPENAI: Key[OpenAIEndpoints] = Key("openai")
ML: Key[MlEndpoints] = Key("ml")
ML_DEPLOYMENTS: Key[MlDeployments] = Key("ml_deployments")
"""Workload stack: what the endpoints serve (only with ml.endpoints)."""
SEARCH: Key[SearchService] = Key("search")
"""Only when an app names the search store or a Foundry project enables agents."""
COSMOS: Key[CosmosStore] = Key("cosmos")
"""Only when an app names the cosmos store or a Foundry project enables agents."""
AGENT_SETUP: Key[AgentSetup] = Key("agent_setup")
"""Only when a Foundry project enables agents."""
APP_ENVIRONMENT: Key[AppEnvironment] = Key("app_environment")
"""Only when apps are configured."""
GITHUB_RUNNERS: Key[GitHubRunners] = Key("github_runners")
"""Only with ci.runners of kind github."""
DEVOPS_POOL: Key[DevOpsPool] = Key("devops_pool")
"""Only with ci.runners of kind azure-devops."""
EGRESS: Key[EgressFirewall] = Key("egress")
"""Only with egress.mode firewall."""
EGRESS_READY: Key[pulumi.Resource] = Key("egress_ready")
"""Unless egress.mode is direct: the node subnet's default route (the cluster waits for it)."""
GATEWAY: Key[AiGateway] = Key("gateway")
"""Only with a gateway configured."""


def team_app(name: str) -> Key[TeamApp]:
    """The key of one team app."""
    return Key(f"app:{name}")


def app_identity(name: str) -> Key[UserAssignedIdentity]:
    """The key of one team app's identity (made before the gateway, which admits it)."""
    return Key(f"app-identity:{name}")


def app_gateway_key(name: str) -> Key[Secret]:
    """The key of the Key Vault secret holding one team app's gateway subscription key (with a gateway only)."""
    return Key(f"app-gateway-key:{name}")


def inference(model: str) -> Key[InferenceService]:
    """The key of one model's inference service."""
    return Key(f"inference:{model}")


@dataclass
class Estate:
    """What the stages have built so far; later stages read what earlier ones stored."""

    config: EnvironmentConfig
    namer: Namer
    tags: dict[str, str]
    platform: PlatformOutputs | None = None
    """Workload stack: what the platform stack exported (None while building the platform)."""
    kubeconfig: pulumi.Input[str] | None = None
    """Workload stack: a kubeconfig to reach the cluster with instead of its user credentials
    from Azure (another API server, e.g. a test cluster); None on AKS."""
    components: dict[str, pulumi.Resource] = field(default_factory=dict)
    exports: dict[str, pulumi.Input[object]] = field(default_factory=dict)

    def add(self, key: Key[C], component: C) -> None:
        if key.name in self.components:
            raise ValueError(f"stage output {key.name!r} is defined twice")
        self.components[key.name] = component

    def get(self, key: Key[C]) -> C:
        """A component an earlier stage built; a clear error if the stage order is wrong."""
        found = self.find(key)
        if found is None:
            raise KeyError(f"{key.name!r} is not built yet: check the order of STAGES in stacks/estate.py")
        return found

    def find(self, key: Key[C]) -> C | None:
        """A component that may be absent by configuration (e.g. the CI principal)."""
        return self.components.get(key.name)  # type: ignore[return-value]  # stored by add() under the same key

    def outputs_of_platform(self) -> PlatformOutputs:
        """The platform's outputs; only the workload stack has them."""
        if self.platform is None:
            raise KeyError(
                "platform outputs are read by workload stages only: check WORKLOAD_STAGES in stacks/estate.py"
            )
        return self.platform

    def export(self, key: str, value: pulumi.Input[object]) -> None:
        self.exports[key] = value


_CURRENT_KEY: ContextVar[str] = ContextVar("llmops_config_key", default="")


def current_config_key() -> str:
    """The config key of the components being built now ("" outside every stage): synthesis
    records it for each resource, so that findings point at the setting that produced it."""
    return _CURRENT_KEY.get()


@contextmanager
def config_key(key: str) -> Iterator[None]:
    """Turn a component's refusal (`ValueError` from its Args) into a `ConfigError` naming `key`,
    and name `key` as the origin of every resource registered meanwhile (`current_config_key`).

    The one place where component errors become config errors: `build_estate` wraps every stage
    in it with the stage's config section, and a stage may narrow the key around one component.
    The loader adds the file and line (`config.loader.locate_error`).
    """
    token = _CURRENT_KEY.set(key)
    try:
        yield
    except ConfigError:
        raise
    except ValueError as exc:
        raise ConfigError(str(exc), key=key) from None
    finally:
        _CURRENT_KEY.reset(token)
