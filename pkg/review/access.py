"""Who can do what on which resource: the role assignments of a plan, in words.

Read from the synthesized `Plan`, not from the stages, so that every assignment any stage
adds (now or later) appears. Principals are resolved to the identity that holds them
(user-assigned identities, system-assigned identities of resources, AKS kubelet
identities), roles to their catalog names, scopes to the resource they name.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from llmops_infra.components.roles import ROLES
from llmops_infra.plan import Plan, PlannedResource

ROLE_NAMES = {guid.lower(): name for name, guid in ROLES.items()}
ASSIGNMENT_TYPE = "azure-native:authorization:RoleAssignment"
COSMOS_ASSIGNMENT_TYPE = "azure-native:cosmosdb:SqlResourceSqlRoleAssignment"
"""Cosmos DB's own data-plane grants (not ARM role assignments): listed beside them."""
COSMOS_ROLE_NAMES = {
    "00000000-0000-0000-0000-000000000001": "Cosmos DB Built-in Data Reader",
    "00000000-0000-0000-0000-000000000002": "Cosmos DB Built-in Data Contributor",
}


@dataclass(frozen=True)
class Grant:
    """One role assignment, resolved."""

    principal: str
    """Name of the identity (or its id, when the plan does not hold it)."""
    principal_kind: str
    role: str
    scope: str
    """Name of the resource the role applies to (or the raw scope); a child of a resource is named with its
    parent's name, e.g. `kv-llmops-dev/vllm-api-key` for one secret of a vault."""
    scope_type: str
    """Azure type of the scope, e.g. Microsoft.KeyVault/vaults."""
    assignment: str
    """Logical name of the role assignment in the plan."""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def _value(resource: PlannedResource, key: str) -> Any:
    return resource.outputs.get(key, resource.props.get(key))


def _azure_name(resource: PlannedResource) -> str:
    name = _value(resource, "name")
    return name if isinstance(name, str) and name else resource.name


def _principals(plan: Plan) -> dict[str, tuple[str, str]]:
    """principal (object) id -> (identity name, kind)."""
    found: dict[str, tuple[str, str]] = {}
    # The pipeline's identity may live outside the stack (bootstrap's deployer): the estate exports it.
    principal, name = plan.outputs.get("pipeline_principal_id"), plan.outputs.get("pipeline_identity_name")
    if isinstance(principal, str) and isinstance(name, str):
        found[principal] = (name, "user-assigned identity")
    for r in plan.custom_resources():
        principal = _value(r, "principalId")
        if r.type == "azure-native:managedidentity:UserAssignedIdentity" and isinstance(principal, str):
            found[principal] = (_azure_name(r), "user-assigned identity")
            continue
        identity = _value(r, "identity")
        if isinstance(identity, dict) and isinstance(identity.get("principalId"), str):
            found[identity["principalId"]] = (_azure_name(r), f"system identity of {_arm_type(r)}")
        profile = _value(r, "identityProfile")
        kubelet = profile.get("kubeletidentity") if isinstance(profile, dict) else None
        if isinstance(kubelet, dict) and isinstance(kubelet.get("objectId"), str):
            found[kubelet["objectId"]] = (f"{_azure_name(r)} kubelet", "AKS kubelet identity")
    return found


def _arm_type(resource: PlannedResource) -> str:
    rid = _value(resource, "id")
    if isinstance(rid, str) and "/providers/" in rid:
        return _type_of_id(rid)
    return resource.type


def _scope_label(rid: str) -> str:
    """`vault/secret`, `account/container`, `vnet/subnet` for a child scope; the name for a resource."""
    tail = rid.rstrip("/").rsplit("/providers/", 1)[1].split("/")
    names = tail[2::2]
    if len(names) < 2:
        return names[-1]
    # blobServices/default is a singleton between an account and its containers: not worth naming.
    return f"{names[0]}/{names[-1]}"


def _type_of_id(rid: str) -> str:
    """Microsoft.KeyVault/vaults from an ARM id (the last provider segment and its types)."""
    tail = rid.rsplit("/providers/", 1)[1].split("/")
    namespace, types = tail[0], tail[1::2]
    return "/".join([namespace, *types])


def _scopes(plan: Plan) -> dict[str, PlannedResource]:
    index = {}
    for r in plan.custom_resources():
        rid = _value(r, "id")
        if isinstance(rid, str) and rid.startswith("/"):
            index[rid.lower()] = r
    return index


def _role(definition_id: Any) -> str:
    if not isinstance(definition_id, str):
        return "(unknown)"
    guid = definition_id.rstrip("/").rsplit("/", 1)[-1].lower()
    return ROLE_NAMES.get(guid) or COSMOS_ROLE_NAMES.get(guid, definition_id)


def access_report(plan: Plan) -> list[Grant]:
    """Every role assignment of `plan`, resolved, sorted by principal, role and scope."""
    principals, scopes = _principals(plan), _scopes(plan)
    grants = []
    for r in [*plan.of_type(ASSIGNMENT_TYPE), *plan.of_type(COSMOS_ASSIGNMENT_TYPE)]:
        principal_id = r.props.get("principalId")
        unresolved = (str(principal_id), r.props.get("principalType") or "principal")
        principal, kind = principals.get(principal_id, unresolved) if isinstance(principal_id, str) else unresolved
        scope = r.props.get("scope")
        target = scopes.get(scope.lower()) if isinstance(scope, str) else None
        if target is not None and isinstance(scope, str) and "/providers/" in scope:
            scope_name, scope_type = _scope_label(scope), _arm_type(target)
        elif target is not None:
            scope_name, scope_type = _azure_name(target), _arm_type(target)
        elif isinstance(scope, str) and "/providers/" in scope:
            scope_name, scope_type = _scope_label(scope), _type_of_id(scope)
        else:
            scope_name, scope_type = str(scope), "subscription or resource group"
        grants.append(
            Grant(
                principal=principal,
                principal_kind=kind,
                role=_role(r.props.get("roleDefinitionId")),
                scope=scope_name,
                scope_type=scope_type,
                assignment=r.name,
            )
        )
    return sorted(grants, key=lambda g: (g.principal, g.role, g.scope))


@dataclass(frozen=True)
class TeamAccess:
    """One team's product on the AI gateway: the models it may call and its token limits."""

    team: str
    models: tuple[str, ...]
    tokens_per_minute: str
    monthly_token_quota: str
    product: str
    """Logical name of the product in the plan."""
    subscribers: tuple[str, ...] = ()
    """Subscriptions the estate makes to the product (`app-<name>`: a team app calling its models)."""

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "models": list(self.models), "subscribers": list(self.subscribers)}


PRODUCT = "azure-native:apimanagement:Product"


def _limit(plan: Plan, product_id: str) -> tuple[str, str]:
    """(tokens per minute, monthly quota) from the product's llm-token-limit; "-" where absent."""
    import xml.etree.ElementTree as ET

    for policy in plan.of_type("azure-native:apimanagement:ProductPolicy"):
        if str(policy.props.get("productId", "")).rsplit("/", 1)[-1] != product_id:
            continue
        try:
            doc = ET.fromstring(str(policy.props.get("value") or ""))
        except ET.ParseError:
            continue
        for element in doc.iter():
            if isinstance(element.tag, str) and element.tag.endswith("token-limit"):
                period = element.get("token-quota-period", "")
                quota = element.get("token-quota", "-") + (f"/{period.lower()}" if period else "")
                return element.get("tokens-per-minute", "-"), quota
    return "-", "-"


def team_access(plan: Plan) -> list[TeamAccess]:
    """Each gateway product (one per team), the APIs (models, apps) linked to it, its token limits and the
    estate's own subscriptions to it (team apps that call models through the gateway)."""
    links: dict[str, list[str]] = {}
    for link in plan.of_type("azure-native:apimanagement:ProductApiLink"):
        linked = str(link.props.get("productId", "")).rsplit("/", 1)[-1]
        api = str(link.props.get("apiId", "")).rstrip("/").rsplit("/", 1)[-1]
        links.setdefault(linked, []).append(api)
    subscribers: dict[str, list[str]] = {}
    for sub in plan.of_type("azure-native:apimanagement:Subscription"):
        scope = str(sub.props.get("scope", ""))
        if "/products/" in scope:
            subscribers.setdefault(scope.rstrip("/").rsplit("/", 1)[-1], []).append(str(sub.props.get("sid", sub.name)))
    teams = []
    for resource in plan.of_type(PRODUCT):
        team = str(resource.props.get("productId") or resource.name)
        rate, quota = _limit(plan, team)
        apis, subs = tuple(sorted(links.get(team, []))), tuple(sorted(subscribers.get(team, [])))
        teams.append(TeamAccess(team, apis, rate, quota, resource.name, subs))
    return sorted(teams, key=lambda t: t.team)
