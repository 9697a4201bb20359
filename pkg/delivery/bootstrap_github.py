"""Bootstrap steps on GitHub (PyGithub): the deployment environment, its rules and its variables.

The environment is the one the federated credential trusts (`repo:OWNER/REPO:environment:ENV`)
and the one the deploy job names. Every environment takes deployments from protected branches
only (a workflow run on a feature branch gets no token); those that need approval also get
required reviewers, no self-review and a short wait. Variables are
environment-scoped, so each environment's job signs in as that environment's identity.
"""

from __future__ import annotations

from typing import Any

from llmops_infra.delivery.bootstrap_spec import BootstrapSpec
from llmops_infra.delivery.bootstrap_steps import CREATED, SKIPPED, UNCHANGED, UPDATED, BootstrapContext, Step

WAIT_TIMER_MINUTES = 5
"""Minutes a protected environment waits after approval: a last chance to cancel."""


def _repo(ctx: BootstrapContext) -> Any:
    if "github_repo" not in ctx.outputs:
        ctx.outputs["github_repo"] = ctx.spec.github_repository or ""
    return ctx.clients.github().get_repo(ctx.spec.github_repository)


def _reviewers(ctx: BootstrapContext) -> list[Any]:
    from github.EnvironmentProtectionRuleReviewer import ReviewerParams

    gh = ctx.clients.github()
    owner = (ctx.spec.github_repository or "").split("/", 1)[0]
    params = []
    for reviewer in ctx.spec.reviewers:
        if reviewer.kind == "team":
            params.append(ReviewerParams("Team", gh.get_organization(owner).get_team_by_slug(reviewer.name).id))
        else:
            params.append(ReviewerParams("User", gh.get_user(reviewer.name).id))
    return params


def _environment(ctx: BootstrapContext) -> str:
    from github import GithubException
    from github.EnvironmentDeploymentBranchPolicy import EnvironmentDeploymentBranchPolicyParams

    spec = ctx.spec
    repo = _repo(ctx)
    try:
        current = repo.get_environment(spec.github_environment)
        current_rules = {
            (r.type, tuple(sorted((x.type, x.reviewer.id) for x in (r.reviewers or []))))
            for r in current.protection_rules
        }
    except GithubException as exc:
        if exc.status != 404:
            raise
        current, current_rules = None, set()
    protected = spec.requires_approval
    reviewers = _reviewers(ctx) if protected else []
    wanted_reviewers = tuple(sorted((r.type, r.id) for r in reviewers))
    if current is not None:
        has_reviewers = any(rule[0] == "required_reviewers" and rule[1] == wanted_reviewers for rule in current_rules)
        policy = current.deployment_branch_policy
        branch_ok = policy is not None and policy.protected_branches
        if (not protected or not reviewers or has_reviewers) and branch_ok:
            return UNCHANGED
    repo.create_environment(
        spec.github_environment,
        wait_timer=WAIT_TIMER_MINUTES if protected else 0,
        reviewers=reviewers,
        prevent_self_review=protected,
        # Every environment: only protected branches (main) may deploy, so a feature branch run by
        # workflow_dispatch never gets this environment's OIDC token.
        deployment_branch_policy=EnvironmentDeploymentBranchPolicyParams(
            protected_branches=True, custom_branch_policies=False
        ),
    )
    return CREATED if current is None else UPDATED


def _variables(spec: BootstrapSpec, ctx: BootstrapContext) -> dict[str, str]:
    variables = {
        "AZURE_CLIENT_ID": ctx.outputs["client_id"],
        "AZURE_TENANT_ID": spec.tenant_id,
        "AZURE_SUBSCRIPTION_ID": spec.subscription_id,
        "LLMOPS_STATE_STORAGE_ACCOUNT": spec.storage_account,
    }
    if ctx.outputs.get("signing_key"):
        variables["LLMOPS_SIGNING_KEY"] = ctx.outputs["signing_key"]
    return variables


def variable_names(spec: BootstrapSpec) -> str:
    """The variables bootstrap sets, for the step's description."""
    names = "AZURE_CLIENT_ID (the identity's client id), AZURE_TENANT_ID, AZURE_SUBSCRIPTION_ID, LLMOPS_STATE_STORAGE_ACCOUNT"
    if spec.signing is not None:
        names += f", LLMOPS_SIGNING_KEY (the key {spec.signing.key} of {spec.signing.vault})"
    return names


def _set_variables(ctx: BootstrapContext) -> str:
    from github import GithubException

    environment = _repo(ctx).get_environment(ctx.spec.github_environment)
    outcome = UNCHANGED
    for name, value in _variables(ctx.spec, ctx).items():
        try:
            variable = environment.get_variable(name)
            if variable.value == value:
                continue
            variable.edit(value)
            outcome = UPDATED
        except GithubException as exc:
            if exc.status != 404:
                raise
            environment.create_variable(name, value)
            outcome = CREATED if outcome == UNCHANGED else outcome
    return outcome


def _set_passphrase(ctx: BootstrapContext) -> str:
    value = ctx.secrets.get("PULUMI_CONFIG_PASSPHRASE")
    if not value:
        return SKIPPED
    # Secrets cannot be read back: written on every run (the value never leaves this process unencrypted).
    _repo(ctx).get_environment(ctx.spec.github_environment).create_secret("PULUMI_CONFIG_PASSPHRASE", value)
    return UPDATED


def steps(spec: BootstrapSpec) -> list[Step]:
    env = spec.github_environment
    rules = (
        f"required reviewers ({', '.join(f'{r.kind}:{r.name}' for r in spec.reviewers) or 'none given: see below'}), "
        f"no self-review, a {WAIT_TIMER_MINUTES}-minute wait, protected branches only"
        if spec.requires_approval
        else "deployments from protected branches only"
    )
    out = [
        Step("GitHub", f"environment {env} of {spec.github_repository}: {rules}", _environment),
        Step(
            "GitHub",
            f"variables of environment {env}: {variable_names(spec)}",
            _set_variables,
        ),
    ]
    if spec.passphrase:
        out.append(
            Step(
                "GitHub",
                f"secret PULUMI_CONFIG_PASSPHRASE of environment {env}, from PULUMI_CONFIG_PASSPHRASE here "
                "(skipped when unset)",
                _set_passphrase,
            )
        )
    return out
