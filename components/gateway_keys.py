"""An app's subscription to its team's gateway product, and its key in Key Vault for the app to read.

Behind the gateway, an app calls its models like any client of its team: an Entra token of its own identity
(the model APIs' JWT check) and a subscription key of its team's product (token limits, token metrics with
the team's name, chargeback). The subscription is created active (an administrator's subscription skips the
product's approval) with tracing off. Its key never passes through config, output or logs: ARM's
`listSecrets` on the subscription (POST `.../service/{name}/subscriptions/{sid}/listSecrets`, which returns
primaryKey and secondaryKey) feeds a Key Vault secret created through ARM's
control plane (`Microsoft.KeyVault/vaults/secrets`, which a private vault accepts), marked secret in the
stack's state (encrypted by the stack's secrets provider). The app reads it through a Container Apps Key
Vault reference with its identity ("Key Vault Secrets User" on that secret only).
Sources (read 2026-12-02): learn.microsoft.com/rest/api/apimanagement/subscription/list-secrets,
learn.microsoft.com/azure/container-apps/manage-secrets (Key Vault references),
learn.microsoft.com/azure/key-vault/general/rbac-guide (secret-scope role assignments).
"""

from __future__ import annotations

import pulumi
from pulumi_azure_native import apimanagement as apim
from pulumi_azure_native import keyvault


def app_subscription_key(
    name: str,
    *,
    subscription: apim.Subscription,
    service_name: pulumi.Input[str],
    resource_group_name: pulumi.Input[str],
    vault_name: pulumi.Input[str],
    secret_name: str,
    parent: pulumi.Resource,
) -> keyvault.Secret:
    """The Key Vault secret `secret_name` holding `subscription`'s primary key (read after it exists)."""
    keys = apim.list_subscription_secrets_output(
        resource_group_name=resource_group_name, service_name=service_name, sid=subscription.name
    )
    return keyvault.Secret(
        f"{name}-key",
        secret_name=secret_name,
        vault_name=vault_name,
        resource_group_name=resource_group_name,
        properties=keyvault.SecretPropertiesArgs(
            value=pulumi.Output.secret(keys.apply(lambda k: k.primary_key or "")),
            content_type="API Management subscription key",
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[subscription]),
    )
