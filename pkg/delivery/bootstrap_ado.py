"""Bootstrap steps on Azure DevOps (REST through httpx with retries, see bootstrap_clients).

- the workload-identity service connection (type azurerm, scheme WorkloadIdentityFederation,
  the deployer identity's client id, creation mode Manual): Azure DevOps answers with the
  issuer and subject its tokens carry, which the federated credential then trusts;
- the environment llmops-<env>, with an Approval check where the environment needs one;
- the variable group llmops-<env> (AZURE_* ids, the state account, the signing key's URL, the
  passphrase as a secret).

API paths and versions, checked 2026-12-01 on learn.microsoft.com/rest/api/azure/devops:
projects/get (7.1), serviceendpoint/endpoints get-service-endpoints-by-names and create (7.1),
environments/environments list and add (7.1), approvalsandchecks/check-configurations list
and add (7.1-preview.1; the Approval check type id 8c6f20a7-a545-4486-9777-f762fafe0d4d),
distributedtask/variablegroups get-variable-groups, add and update (7.1), and
ims/identities read-identities (7.1, vssps host).
"""

from __future__ import annotations

from typing import Any

from llmops_infra.delivery.bootstrap_spec import BootstrapSpec
from llmops_infra.delivery.bootstrap_steps import CREATED, SKIPPED, UNCHANGED, UPDATED, BootstrapContext, Step
from llmops_infra.errors import EngineError

API = "7.1"
CHECKS_API = "7.1-preview.1"
APPROVAL_CHECK_TYPE = "8c6f20a7-a545-4486-9777-f762fafe0d4d"
APPROVAL_TIMEOUT_MINUTES = 43200  # 30 days, the longest an approval may wait


def _org(ctx: BootstrapContext, path: str) -> str:
    url: str = ctx.clients.ado().org_url(ctx.spec.ado_organization or "", path)
    return url


def _project_id(ctx: BootstrapContext) -> str:
    if "ado_project_id" not in ctx.outputs:
        project = ctx.clients.ado().request(
            "GET", _org(ctx, f"_apis/projects/{ctx.spec.ado_project}"), params={"api-version": API}
        )
        ctx.outputs["ado_project_id"] = project["id"]
    return ctx.outputs["ado_project_id"]


def _endpoint_body(ctx: BootstrapContext, project_id: str) -> dict[str, Any]:
    spec = ctx.spec
    return {
        "name": spec.ado_service_connection,
        "type": "azurerm",
        "url": "https://management.azure.com/",
        "description": f"llmops-infra deployer of {spec.environment} (workload identity federation, no secret)",
        "authorization": {
            "scheme": "WorkloadIdentityFederation",
            "parameters": {"serviceprincipalid": ctx.outputs["client_id"], "tenantid": spec.tenant_id},
        },
        "data": {
            "environment": "AzureCloud",
            "scopeLevel": "Subscription",
            "subscriptionId": spec.subscription_id,
            "subscriptionName": spec.subscription_id,
            "creationMode": "Manual",
            "identityType": "ManagedIdentity",
        },
        "isShared": False,
        "serviceEndpointProjectReferences": [
            {"projectReference": {"id": project_id, "name": spec.ado_project}, "name": spec.ado_service_connection}
        ],
    }


def _service_connection(ctx: BootstrapContext) -> str:
    spec, ado = ctx.spec, ctx.clients.ado()
    project_id = _project_id(ctx)
    found = ado.request(
        "GET",
        _org(ctx, f"{spec.ado_project}/_apis/serviceendpoint/endpoints"),
        params={"endpointNames": spec.ado_service_connection or "", "api-version": API},
    )
    existing = (found or {}).get("value") or []
    body = _endpoint_body(ctx, project_id)
    outcome = CREATED
    if existing:
        endpoint = existing[0]
        params = (endpoint.get("authorization") or {}).get("parameters") or {}
        if params.get("serviceprincipalid") == ctx.outputs["client_id"] and params.get("tenantid") == spec.tenant_id:
            outcome = UNCHANGED
        else:
            endpoint = ado.request(
                "PUT",
                _org(ctx, f"_apis/serviceendpoint/endpoints/{endpoint['id']}"),
                json={**body, "id": endpoint["id"]},
                params={"api-version": API},
            )
            outcome = UPDATED
    else:
        endpoint = ado.request(
            "POST", _org(ctx, "_apis/serviceendpoint/endpoints"), json=body, params={"api-version": API}
        )
    params = (endpoint.get("authorization") or {}).get("parameters") or {}
    issuer, subject = params.get("workloadIdentityFederationIssuer"), params.get("workloadIdentityFederationSubject")
    if not issuer or not subject:
        raise EngineError(
            f"Azure DevOps did not report the issuer and subject of the service connection {spec.ado_service_connection}: "
            "check that it uses workload identity federation"
        )
    ctx.outputs.update(ado_endpoint_id=endpoint["id"], ado_issuer=issuer, ado_subject=subject)
    return outcome


def connection_steps(spec: BootstrapSpec) -> list[Step]:
    return [
        Step(
            "Azure DevOps",
            f"workload-identity service connection {spec.ado_service_connection} in {spec.ado_organization}/"
            f"{spec.ado_project} for the deployer identity (subscription scope {spec.subscription_id}, no secret)",
            _service_connection,
        )
    ]


def _environment(ctx: BootstrapContext) -> str:
    spec, ado = ctx.spec, ctx.clients.ado()
    url = _org(ctx, f"{spec.ado_project}/_apis/pipelines/environments")
    found = ado.request("GET", url, params={"name": spec.ado_environment, "api-version": API})
    existing = [e for e in (found or {}).get("value") or [] if e.get("name") == spec.ado_environment]
    if existing:
        ctx.outputs["ado_environment_id"] = str(existing[0]["id"])
        return UNCHANGED
    created = ado.request(
        "POST",
        url,
        json={"name": spec.ado_environment, "description": f"llmops-infra {spec.environment}"},
        params={"api-version": API},
    )
    ctx.outputs["ado_environment_id"] = str(created["id"])
    return CREATED


def _approver_ids(ctx: BootstrapContext) -> list[dict[str, str]]:
    ado, approvers = ctx.clients.ado(), []
    for reviewer in ctx.spec.reviewers:
        found = ado.request(
            "GET",
            ado.vssps_url(ctx.spec.ado_organization or "", "_apis/identities"),
            params={"searchFilter": "General", "filterValue": reviewer.name, "api-version": API},
        )
        matches = (found or {}).get("value") or []
        if len(matches) != 1:
            raise EngineError(
                f"--reviewer {reviewer.name!r} matches {len(matches)} identities in {ctx.spec.ado_organization}: "
                "give an exact user email or group name ([Project]\\Group)"
            )
        approvers.append({"id": matches[0]["id"]})
    return approvers


def _approval_check(ctx: BootstrapContext) -> str:
    spec, ado = ctx.spec, ctx.clients.ado()
    if not spec.reviewers:
        return SKIPPED
    environment_id = ctx.outputs["ado_environment_id"]
    url = _org(ctx, f"{spec.ado_project}/_apis/pipelines/checks/configurations")
    found = ado.request(
        "GET", url, params={"resourceType": "environment", "resourceId": environment_id, "api-version": CHECKS_API}
    )
    if any(
        (c.get("type") or {}).get("id", "").lower() == APPROVAL_CHECK_TYPE for c in (found or {}).get("value") or []
    ):
        return UNCHANGED
    body = {
        "type": {"id": APPROVAL_CHECK_TYPE, "name": "Approval"},
        "settings": {
            "approvers": _approver_ids(ctx),
            "executionOrder": "anyOrder",
            "minRequiredApprovers": 1,
            "instructions": "Review the release of the source environment, then approve the promotion.",
            "blockedApprovers": [],
            "requesterCannotBeApprover": True,
        },
        "resource": {"type": "environment", "id": environment_id, "name": spec.ado_environment},
        "timeout": APPROVAL_TIMEOUT_MINUTES,
    }
    ado.request("POST", url, json=body, params={"api-version": CHECKS_API})
    return CREATED


def _variable_group(ctx: BootstrapContext) -> str:
    spec, ado = ctx.spec, ctx.clients.ado()
    project_id = _project_id(ctx)
    wanted: dict[str, dict[str, Any]] = {
        "AZURE_CLIENT_ID": {"value": ctx.outputs["client_id"]},
        "AZURE_TENANT_ID": {"value": spec.tenant_id},
        "AZURE_SUBSCRIPTION_ID": {"value": spec.subscription_id},
        "LLMOPS_STATE_STORAGE_ACCOUNT": {"value": spec.storage_account},
    }
    if ctx.outputs.get("signing_key"):
        wanted["LLMOPS_SIGNING_KEY"] = {"value": ctx.outputs["signing_key"]}
    passphrase = ctx.secrets.get("PULUMI_CONFIG_PASSPHRASE")
    found = ado.request(
        "GET",
        _org(ctx, f"{spec.ado_project}/_apis/distributedtask/variablegroups"),
        params={"groupName": spec.ado_variable_group, "api-version": API},
    )
    existing = [g for g in (found or {}).get("value") or [] if g.get("name") == spec.ado_variable_group]
    if passphrase and spec.passphrase:
        wanted["PULUMI_CONFIG_PASSPHRASE"] = {"value": passphrase, "isSecret": True}
    body = {
        "name": spec.ado_variable_group,
        "type": "Vsts",
        "description": f"llmops-infra {spec.environment}: identity, state storage (written by bootstrap)",
        "variables": wanted,
        "variableGroupProjectReferences": [
            {"projectReference": {"id": project_id, "name": spec.ado_project}, "name": spec.ado_variable_group}
        ],
    }
    if not existing:
        ado.request("POST", _org(ctx, "_apis/distributedtask/variablegroups"), json=body, params={"api-version": API})
        return CREATED
    group = existing[0]
    current = group.get("variables") or {}
    plain_same = all(
        (current.get(k) or {}).get("value") == v["value"] for k, v in wanted.items() if not v.get("isSecret")
    )
    if plain_same and "PULUMI_CONFIG_PASSPHRASE" not in wanted:
        return UNCHANGED
    # Secret values are never returned: keep the ones we do not set (a null value keeps a secret).
    for key, value in current.items():
        if key not in wanted and value.get("isSecret"):
            wanted[key] = {"value": None, "isSecret": True}
    ado.request(
        "PUT", _org(ctx, f"_apis/distributedtask/variablegroups/{group['id']}"), json=body, params={"api-version": API}
    )
    return UPDATED


def environment_steps(spec: BootstrapSpec) -> list[Step]:
    steps = [Step("Azure DevOps", f"environment {spec.ado_environment} in {spec.ado_project}", _environment)]
    if spec.requires_approval:
        names = ", ".join(r.name for r in spec.reviewers) or "none given: see below"
        steps.append(
            Step(
                "Azure DevOps",
                f"Approval check on {spec.ado_environment}: approvers {names}, requester cannot approve, 30-day timeout",
                _approval_check,
            )
        )
    steps.append(
        Step(
            "Azure DevOps",
            f"variable group {spec.ado_variable_group}: AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_SUBSCRIPTION_ID, "
            "LLMOPS_STATE_STORAGE_ACCOUNT"
            + (f", LLMOPS_SIGNING_KEY (the key {spec.signing.key} of {spec.signing.vault})" if spec.signing else "")
            + (", secret PULUMI_CONFIG_PASSPHRASE when set here" if spec.passphrase else ""),
            _variable_group,
        )
    )
    return steps
