"""What the workload stack reads from the platform stack, typed.

The platform stack exports these names (`stage_compute.workload_exports`); the workload
stack reads them through a `pulumi.StackReference` to the platform stack of the same
environment, or, in tests and offline planning, from given values. Every field is an
`Output[str]`, so a renamed export fails here, in one place, not deep in a component.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import pulumi


@dataclass(frozen=True)
class PlatformOutputs:
    resource_group_name: pulumi.Output[str]
    cluster_name: pulumi.Output[str]
    registry_login_server: pulumi.Output[str]
    key_vault_name: pulumi.Output[str]
    inference_client_id: pulumi.Output[str]
    """Client id of the `inference` workload identity ("" when the estate serves no model)."""
    inference_principal_id: pulumi.Output[str]
    """Object id of the `inference` identity: granted its Key Vault secrets by the workload stack."""
    keda_client_id: pulumi.Output[str]
    """Client id of the KEDA operator's identity ("" when the estate serves no model)."""
    model_loader_client_id: pulumi.Output[str]
    """Client id of the weights-loader identity ("" when the estate serves no model)."""
    model_loader_principal_id: pulumi.Output[str]
    """Object id of the weights-loader identity ("" when the estate serves no model)."""
    prometheus_query_endpoint: pulumi.Output[str]
    key_vault_id: pulumi.Output[str]
    """The vault whose single secrets the workload stack grants (`<id>/secrets/<name>`)."""
    model_storage_account_name: pulumi.Output[str]
    models_container: pulumi.Output[str]
    """The blob container that holds the staged weights."""
    ml_workspace_name: pulumi.Output[str]
    """The Azure ML workspace whose endpoints the workload stack deploys to."""

    @staticmethod
    def names() -> list[str]:
        return [f.name for f in fields(PlatformOutputs)]

    @classmethod
    def from_stack_reference(cls, reference: pulumi.StackReference) -> PlatformOutputs:
        return cls(**{name: reference.require_output(name) for name in cls.names()})

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> PlatformOutputs:
        """From plain values (a platform plan's outputs, a test fixture): each name is required."""
        missing = [name for name in cls.names() if name not in values]
        if missing:
            raise KeyError(f"platform outputs lack {missing}: the platform stack must export them")
        return cls(**{name: pulumi.Output.from_input(str(values[name])) for name in cls.names()})


def platform_stack_name(project: str, environment: str) -> str:
    """The name a StackReference uses on the self-managed backends (file://, azblob://)."""
    return f"organization/{project}/{environment}"
