"""Identity rules (IAM-01 … IAM-06): least-privilege role assignments and federation."""

from __future__ import annotations

import re

from pulumi_policy import ResourceValidationArgs, Severity

from llmops_infra.policies.framework import Params, Report, get, items, resource_rule, same

ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
ROLE_DEFINITION = "azure-native:authorization:RoleDefinition"
FEDERATED_CREDENTIALS = (
    "azure-native:managedidentity:FederatedIdentityCredential",
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
)

# Built-in role ids (POLICY_CATALOG.md).
PRIVILEGED_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
}
DATA_PLANE_ROLES = {
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer",
    "00482a5a-887f-4fb3-b363-3b7fe8e74483": "Key Vault Administrator",
    "7f951dda-4ed3-4680-a7ca-43fe172d538d": "AcrPull",
    "577a9874-89fd-4f24-9dbd-b5034d0ad23a": "Container Registry Data Importer and Data Reader",
    "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd": "Cognitive Services OpenAI User",
    "a001fd3d-188f-4b5d-821b-7da978bf7442": "Cognitive Services OpenAI Contributor",
    "a97b65f3-24c7-4388-baec-2e87135dc908": "Cognitive Services User",
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": "Storage Blob Data Reader",
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "f6c7c914-8db3-469d-8ca1-694a8f32e121": "AzureML Data Scientist",
}
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"

_BROAD_SCOPE = re.compile(
    r"^(/|/subscriptions/[^/]+|/subscriptions/[^/]+/resourcegroups/[^/]+"
    r"|/providers/microsoft\.management/managementgroups/[^/]+)/?$",
    re.IGNORECASE,
)


def _role(args: ResourceValidationArgs) -> str:
    definition = get(args.props, "roleDefinitionId", "")
    return str(definition).rstrip("/").rsplit("/", 1)[-1].lower()


def _broad_assignment(args: ResourceValidationArgs, roles: dict[str, str]) -> tuple[str, str] | None:
    """(role name, scope) when the assignment grants one of `roles` at a broad scope."""
    role, scope = roles.get(_role(args)), get(args.props, "scope")
    return (role, scope) if role and broad_scope(scope) else None


def broad_scope(scope: object) -> bool:
    """A subscription, resource group, management group or root scope (not one resource)."""
    return isinstance(scope, str) and bool(_BROAD_SCOPE.match(scope))


@resource_rule(
    "IAM-01",
    "no-privileged-broad-roles",
    scope="A",
    severity=Severity.CRITICAL,
    types=[ROLE_ASSIGNMENT],
    description="No Owner, Contributor, User Access Administrator or RBAC Administrator at "
    "subscription or resource-group scope.",
    remediation="Assign the narrowest built-in role (e.g. Key Vault Secrets User, AcrPull) "
    "scoped to the one resource that needs it.",
)
def iam_privileged(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    found = _broad_assignment(args, PRIVILEGED_ROLES)
    if found:
        report(f"{found[0]} is assigned at {found[1]}: it grants control of everything in that scope.")


@resource_rule(
    "IAM-02",
    "data-roles-on-one-resource",
    scope="P",
    severity=Severity.MEDIUM,
    types=[ROLE_ASSIGNMENT],
    description="Data-plane roles are scoped to the single resource they are for.",
    remediation="Set the assignment's scope to the resource id (vault, registry, account, "
    "storage account), not its group or subscription.",
)
def iam_data_roles(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    found = _broad_assignment(args, DATA_PLANE_ROLES)
    if found:
        report(f"{found[0]} is assigned at {found[1]}: every resource there becomes readable, not just one.")


@resource_rule(
    "IAM-03",
    "no-wildcard-custom-roles",
    scope="A",
    severity=Severity.HIGH,
    types=[ROLE_DEFINITION],
    description="Custom roles never grant `*` actions.",
    remediation="List the specific actions the role needs.",
)
def iam_custom_role(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    for permission in items(get(args.props, "permissions")):
        for key in ("actions", "dataActions"):
            if "*" in [str(a) for a in items(get(permission, key))]:
                report(f"The custom role grants `*` in {key}: it is as broad as Owner.")


@resource_rule(
    "IAM-04",
    "federation-exact",
    scope="A",
    severity=Severity.HIGH,
    types=FEDERATED_CREDENTIALS,
    description="Federated credentials trust one exact subject over https with the token-exchange audience.",
    remediation=f"Set audiences: [{TOKEN_EXCHANGE_AUDIENCE}], an https issuer and an exact subject "
    "(system:serviceaccount:<ns>:<sa> or repo:<owner>/<repo>:environment:<env>).",
)
def iam_federation(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    audiences = [str(a) for a in items(get(args.props, "audiences"))]
    if audiences != [TOKEN_EXCHANGE_AUDIENCE]:
        report(f"Audiences are {audiences}: only {TOKEN_EXCHANGE_AUDIENCE} should be trusted.")
    issuer = get(args.props, "issuer")
    if not (isinstance(issuer, str) and issuer.startswith("https://")):
        report(f"Issuer {issuer!r} is not an https URL.")
    subject = get(args.props, "subject")
    if not isinstance(subject, str) or not subject or "*" in subject:
        report(f"Subject {subject!r} is not one exact identity: any workload matching it gets the identity.")


@resource_rule(
    "IAM-05",
    "principal-type",
    scope="advisory",
    severity=Severity.LOW,
    types=[ROLE_ASSIGNMENT],
    description="Role assignments set principalType.",
    remediation="Set principalType (ServicePrincipal for managed identities) so that "
    "assignments to new identities do not fail with PrincipalNotFound.",
)
def iam_principal_type(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    if not get(args.props, "principalType"):
        report("principalType is not set: assigning to a just-created identity can fail with PrincipalNotFound.")


SECRET_READ_ROLES = {"4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User"}
BLOB_DATA_ROLES = {
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": "Storage Blob Data Reader",
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
}
CONTAINER_CONDITION = "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name]"
"""An assignment whose ABAC condition tests this attribute reaches only the containers it names."""
_RESOURCE = r"^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/"
_VAULT_SCOPE = re.compile(_RESOURCE + r"microsoft\.keyvault/vaults/[^/]+/?$", re.IGNORECASE)
_ACCOUNT_SCOPE = re.compile(
    _RESOURCE + r"microsoft\.storage/storageaccounts/[^/]+(/blobservices/default)?/?$", re.IGNORECASE
)


def whole_store(role: str, scope: object) -> str | None:
    """What a data role at `scope` opens beyond one secret or container: 'vault', 'account' or None."""
    if not isinstance(scope, str):
        return None
    if role in SECRET_READ_ROLES and (_VAULT_SCOPE.match(scope) or broad_scope(scope)):
        return "vault"
    if role in BLOB_DATA_ROLES and (_ACCOUNT_SCOPE.match(scope) or broad_scope(scope)):
        return "account"
    return None


@resource_rule(
    "IAM-06",
    "workload-data-roles-narrowest",
    scope="P",
    severity=Severity.MEDIUM,
    types=[ROLE_ASSIGNMENT],
    description="A workload identity reads Key Vault secrets and blobs at secret or container scope, never "
    "vault- or account-wide (an account-wide blob role whose ABAC condition names containers counts as container "
    "scope).",
    remediation="Scope Key Vault Secrets User to <vault id>/secrets/<name> and Storage Blob Data roles to "
    "<account id>/blobServices/default/containers/<name>: the secret or container the workload reads.",
)
def iam_narrowest_data(args: ResourceValidationArgs, report: Report, params: Params) -> None:
    # Workload identities (managed identities, federated apps) are service principals; people and
    # groups are judged by IAM-01/02.
    if not same(get(args.props, "principalType"), "ServicePrincipal"):
        return
    role = _role(args)
    store = whole_store(role, get(args.props, "scope"))
    if store == "account" and CONTAINER_CONDITION in str(get(args.props, "condition") or ""):
        return  # an ABAC condition narrows the role to named containers (the Agent Service names its own)
    if store == "vault":
        report(
            f"{SECRET_READ_ROLES[role]} covers the whole vault: the workload reads every secret in it, "
            "including other workloads' and the ML workspace's."
        )
    elif store == "account":
        report(
            f"{BLOB_DATA_ROLES[role]} covers the whole storage account: the workload reaches every container, "
            "including the ML workspace's default storage."
        )
