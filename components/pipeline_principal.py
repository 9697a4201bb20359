"""The pipeline principal: the identity CI deploys an environment as, federated, no secrets.

Two owners are possible (`identity.pipeline.deployer`). `bootstrap` (the default):
`llmops-infra bootstrap ENV` creates the deployer identity and its federated credentials before
the first deployment (it must exist before the pipeline can run at all), and the estate only
looks it up (`DeployerIdentity`) to grant it what deploying needs. `estate`: the stack creates
the identity and its federated credentials itself (`PipelinePrincipal`), for estates whose first
deployments run by hand.

Why a user-assigned managed identity and not an Entra ID application: a managed identity
trusts CI's OIDC tokens through federated credentials exactly as an app registration does
(GitHub's `azure/login` and Azure DevOps' workload-identity service connections accept
either), but it is an Azure resource: the estate can create it with rights on the resource
group alone, without Entra ID application-administrator rights in the tenant, and it can
never hold a client secret or certificate, so "no client secrets" holds by construction.
An app registration would add pulumi-azuread and a tenant-level permission for no gain.

What the principal may do is decided by the stages (see `stacks/stage_security.py`): each
stage grants it the narrowest role on the one resource it must write at deploy time.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
from pulumi_azure_native import managedidentity

from llmops_infra.components.identity import federated_credential

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
AZURE_DEVOPS_ISSUER = "https://vstoken.dev.azure.com/{organization_id}"


@dataclass(frozen=True, kw_only=True)
class Federation:
    """One CI system's tokens that the principal trusts: an issuer and one exact subject."""

    name: str
    """Short name of the credential, e.g. github or azure-devops."""
    issuer: str
    subject: str


def github_federation(repository: str, environment: str) -> Federation:
    """Trust GitHub Actions jobs of `repository` that deploy to the GitHub `environment`."""
    return Federation(name="github", issuer=GITHUB_ISSUER, subject=f"repo:{repository}:environment:{environment}")


def azure_devops_federation(
    organization: str, organization_id: str, project: str, service_connection: str
) -> Federation:
    """Trust one Azure DevOps workload-identity service connection."""
    return Federation(
        name="azure-devops",
        issuer=AZURE_DEVOPS_ISSUER.format(organization_id=organization_id),
        subject=f"sc://{organization}/{project}/{service_connection}",
    )


@dataclass(frozen=True, kw_only=True)
class PipelinePrincipalArgs:
    identity_name: str
    resource_group_name: pulumi.Input[str]
    location: pulumi.Input[str]
    federations: list[Federation]
    """CI systems allowed to act as the principal; at least one."""

    def __post_init__(self) -> None:
        if not self.federations:
            raise ValueError(
                "pipeline principal: no CI federation: configure identity.pipeline.github "
                "or identity.pipeline.azure_devops"
            )
        names = [f.name for f in self.federations]
        if len(set(names)) != len(names):
            raise ValueError(f"pipeline principal: federation names {names} repeat: one credential per CI system")
        for fed in self.federations:
            if not fed.issuer.startswith("https://"):
                raise ValueError(f"pipeline principal: issuer {fed.issuer!r} of {fed.name} must be https")


@dataclass(frozen=True, kw_only=True)
class DeployerIdentityArgs:
    resource_group_name: str
    """The resource group bootstrap created it in."""
    identity_name: str


class DeployerIdentity(pulumi.ComponentResource):
    """The deployer identity `bootstrap` created, looked up (the stack neither creates nor deletes it).

    Same attributes as `PipelinePrincipal`, so that stages grant it what they grant a pipeline principal.
    """

    principal_id: pulumi.Output[str]
    client_id: pulumi.Output[str]
    identity_id: pulumi.Output[str]
    identity_name: pulumi.Output[str]

    def __init__(self, name: str, args: DeployerIdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:security:DeployerIdentity", name, None, opts)
        found = managedidentity.get_user_assigned_identity_output(
            resource_group_name=args.resource_group_name,
            resource_name=args.identity_name,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        self.principal_id = found.principal_id
        self.client_id = found.client_id
        self.identity_id = found.id
        self.identity_name = found.name
        self.register_outputs(
            {"principal_id": self.principal_id, "client_id": self.client_id, "identity_name": self.identity_name}
        )


class PipelinePrincipal(pulumi.ComponentResource):
    """A user-assigned identity that CI pipelines sign in as with OIDC tokens.

    Children: the identity and one federated credential per CI system (chained: Azure
    rejects concurrent credential writes on one identity).
    """

    principal_id: pulumi.Output[str]
    client_id: pulumi.Output[str]
    identity_id: pulumi.Output[str]
    identity_name: pulumi.Output[str]

    def __init__(self, name: str, args: PipelinePrincipalArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:security:PipelinePrincipal", name, None, opts)
        identity = managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            resource_name_=args.identity_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            opts=pulumi.ResourceOptions(parent=self),
        )
        previous: list[pulumi.Resource] = []
        for fed in args.federations:
            credential = federated_credential(
                f"{name}-{fed.name}",
                identity_name=identity.name,
                resource_group_name=args.resource_group_name,
                issuer=fed.issuer,
                subject=fed.subject,
                credential_name=fed.name,
                parent=self,
                depends_on=previous or None,
            )
            previous = [credential]
        self.principal_id = identity.principal_id
        self.client_id = identity.client_id
        self.identity_id = identity.id
        self.identity_name = identity.name
        self.register_outputs({"principal_id": self.principal_id, "client_id": self.client_id})
