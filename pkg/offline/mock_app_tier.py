"""What Azure answers for the app tier's resources under the offline mocks (kept apart from `mocks.py`).

`app_tier_outputs(system_identity, user_assigned)` returns the output functions by type; `mocks.py`
passes its own identity helpers in, so this module imports nothing from it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

OutputFn = Callable[[Any, str, str, dict[str, Any]], dict[str, Any]]


def app_tier_outputs(
    system_identity: Callable[[Any, str, dict[str, Any]], dict[str, Any]], user_assigned: OutputFn
) -> dict[str, OutputFn]:
    def environment(m: Any, name: str, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """An internal environment: its default domain and a stand-in for its private (ILB) inbound address."""
        return {"defaultDomain": f"{name}.{m.location}.azurecontainerapps.io", "staticIp": "10.20.24.250"}

    def with_identity(m: Any, name: str, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
        return system_identity(m, rid, inputs)

    def cosmos(m: Any, name: str, rid: str, inputs: dict[str, Any]) -> dict[str, Any]:
        return {"documentEndpoint": f"https://{name}.documents.azure.com:443/"}

    return {
        "azure-native:app:ContainerApp": user_assigned,
        "azure-native:app:ManagedEnvironment": environment,
        "azure-native:cognitiveservices:Project": with_identity,
        "azure-native:search:Service": with_identity,
        "azure-native:cosmosdb:DatabaseAccount": cosmos,
    }
