"""What Azure answers for the app tier's resources under the offline mocks (kept apart from `mocks.py`).

`app_tier_outputs(system_identity, user_assigned)` returns the output functions by type; `mocks.py`
passes its own identity helpers in, so this module imports nothing from it. `APP_TIER_CALLS` answers the
invokes: a generic GET of a Foundry project gives a stable workspace id (`properties.internalId`).
"""

from __future__ import annotations

import hashlib
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


def _generic_resource(m: Any, args: dict[str, Any]) -> dict[str, Any]:
    """resources:getResource: the resource's name and, for a Foundry project, a stable 32-hex internalId."""
    key = "/".join(str(args.get(k, "")) for k in ("resourceGroupName", "parentResourcePath", "resourceName"))
    return {
        "name": args.get("resourceName", ""),
        "properties": {"internalId": hashlib.sha256(key.encode()).hexdigest()[:32]},
    }


APP_TIER_CALLS: dict[str, Callable[[Any, dict[str, Any]], dict[str, Any]]] = {
    "azure-native:resources:getResource": _generic_resource,
}
