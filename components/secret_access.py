"""Read access to individual Key Vault secrets: Key Vault Secrets User scoped to `<vault id>/secrets/<name>`.

The estate's vault is shared (the ML workspace keeps its own secrets there), so a workload gets
the one secret it reads, not the vault. Microsoft recommends vault-scope roles with a vault per
application and names this sharing as the exception where secret-scope roles fit ("Best
Practices for individual keys, secrets, and certificates role assignments",
https://learn.microsoft.com/azure/key-vault/general/rbac-guide, read 2026-12-01).

The workload stack creates these assignments, after the bootstrap has created the secrets: the
secret a scope names then exists, whatever Azure checks when an assignment is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi

from llmops_infra.components.roles import RoleGrant, assign_role

READER_ROLE = "Key Vault Secrets User"
_SECRET_NAME = re.compile(r"^[A-Za-z0-9-]{1,127}$")


@dataclass(frozen=True, kw_only=True)
class SecretGrant:
    """`principal_id` may read the secret `secret_name`."""

    key: str
    """Stable logical name of the grant (part of the role assignment's Pulumi name)."""
    principal_id: pulumi.Input[str]
    secret_name: str
    description: str

    def __post_init__(self) -> None:
        if not _SECRET_NAME.fullmatch(self.secret_name):
            raise ValueError(
                f"secret grant {self.key}: {self.secret_name!r} is not a Key Vault secret name "
                "(1-127 letters, digits and dashes)"
            )


def secret_scope(vault_id: pulumi.Input[str], secret_name: str) -> pulumi.Output[str]:
    """The role-assignment scope of one secret of a vault."""
    return pulumi.Output.concat(vault_id, "/secrets/", secret_name)


@dataclass(frozen=True, kw_only=True)
class SecretAccessArgs:
    vault_id: pulumi.Input[str]
    subscription_id: str
    grants: list[SecretGrant]


class SecretAccess(pulumi.ComponentResource):
    """One Key Vault Secrets User assignment per grant, each scoped to its single secret.

    Children: the role assignments (`assignments`, in the order of the grants).
    """

    assignments: list[pulumi.Resource]

    def __init__(self, name: str, args: SecretAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llmops:security:SecretAccess", name, None, opts)
        keys = [g.key for g in args.grants]
        if len(keys) != len(set(keys)):
            raise ValueError(f"secret access {name}: grant keys repeat in {keys}: give each grant its own key")
        self.assignments = [
            assign_role(
                f"{name}-{grant.key}",
                RoleGrant(
                    principal_id=grant.principal_id,
                    role=READER_ROLE,
                    scope=secret_scope(args.vault_id, grant.secret_name),
                    description=grant.description,
                ),
                subscription_id=args.subscription_id,
                parent=self,
            )
            for grant in args.grants
        ]
        self.register_outputs({})
