"""Generated pipelines: what they run, where, as whom; both linters pass; the tool they install exists."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from llmops_infra.delivery.pipeline_options import (
    KUBELOGIN_VERSION,
    PULUMI_CLI_VERSION,
    DeployTarget,
    PipelineOptions,
    ToolInstall,
)
from llmops_infra.delivery.pipelines import Generated, render, write
from llmops_infra.delivery.yaml_doc import load
from llmops_infra.errors import ConfigError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_linters import assert_actionlint_clean, assert_schema_valid

TARGETS = (
    DeployTarget(name="dev", timeout_minutes=90, bootstrap_env=("HF_TOKEN",)),
    DeployTarget(
        name="staging",
        source="dev",
        runs_on=("self-hosted", "llmops-staging"),
        pool="llmops-staging",
        private_cluster=True,
        timeout_minutes=240,
    ),
    DeployTarget(
        name="prod",
        source="staging",
        requires_approval=True,
        runs_on=("self-hosted", "llmops-prod"),
        pool="llmops-prod",
        private_cluster=True,
        timeout_minutes=480,
        bootstrap_env=("HF_TOKEN", "DOCKERHUB_TOKEN"),
    ),
)


def options(provider: str, **kwargs) -> PipelineOptions:
    return PipelineOptions(provider=provider, targets=kwargs.pop("targets", TARGETS), **kwargs)


@pytest.fixture(scope="module")
def github() -> dict:
    return {path: load(text) for path, text in render(options("github")).files.items()}


@pytest.fixture(scope="module")
def ado() -> dict:
    return load(render(options("azure-devops", approvers="[llmops]\\Release Approvers")).files["azure-pipelines.yml"])


def steps_using(job, action):
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(action)]


def scripts(node) -> list[str]:
    """Every script text in a loaded pipeline (run, script, inlineScript)."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("run", "script", "inlineScript") and isinstance(value, str):
                found.append(value)
            else:
                found += scripts(value)
    elif isinstance(node, list):
        for item in node:
            found += scripts(item)
    return found


def test_github_pr_checks_run_on_hosted_runners_without_credentials(github):
    pr = github[".github/workflows/llmops-pr.yml"]
    jobs = pr["jobs"]
    assert {name: job["runs-on"] for name, job in jobs.items()} == dict.fromkeys(jobs, "ubuntu-latest")
    assert {name: job["permissions"] for name, job in jobs.items()} == {
        "check": {"contents": "read"},
        "code-scanning": {"actions": "read", "contents": "read", "security-events": "write"},
        "comment": {"pull-requests": "write"},
    }
    check_runs = [s.get("run", "") for s in jobs["check"]["steps"]]
    assert "llmops-infra policy check --all --format sarif --output policy.sarif" in check_runs
    report = next(s for s in jobs["check"]["steps"] if s.get("run", "").startswith("llmops-infra pr-report"))
    assert report["env"] == {"BASE_REF": "${{ github.base_ref }}"} and "${{" not in report["run"]
    text = render(options("github")).files[".github/workflows/llmops-pr.yml"]
    for absent in ("secrets.", "id-token", "AZURE_CLIENT_ID", "PULUMI_CONFIG_PASSPHRASE", "self-hosted"):
        assert absent not in text, absent
    # The comment job has a write token: it installs the base branch's wheel, checked out before the download.
    comment_steps = jobs["comment"]["steps"]
    base = steps_using(jobs["comment"], "actions/checkout")[0]
    assert (
        base["with"]["ref"] == "${{ github.event.pull_request.base.sha }}" and base["with"]["sparse-checkout"] == "ci"
    )
    assert comment_steps.index(base) < comment_steps.index(steps_using(jobs["comment"], "actions/download-artifact")[0])


def test_github_deploy_jobs_chain_pin_the_cli_and_sign_in_per_environment(github):
    deploy = github[".github/workflows/llmops-deploy.yml"]
    jobs = deploy["jobs"]
    assert list(jobs) == ["dev", "staging", "prod"]
    assert jobs["staging"]["needs"] == "dev" and jobs["prod"]["needs"] == "staging" and "needs" not in jobs["dev"]
    assert deploy["permissions"] == {"contents": "read"} and "env" not in deploy  # nothing workflow-wide
    for name, job in jobs.items():
        assert job["environment"] == name
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        assert job["concurrency"] == {"group": f"llmops-deploy-{name}", "cancel-in-progress": False}
        env = job["env"]
        # environment-scoped variables: each environment signs in as its own identity
        assert env["AZURE_CLIENT_ID"] == "${{ vars.AZURE_CLIENT_ID }}" and env["LLMOPS_ENV"] == name
        assert env["AAD_LOGIN_METHOD"] == "workloadidentity" and env["LLMOPS_FEDERATED_TOKEN_SOURCE"] == "github"
        assert steps_using(job, "pulumi/actions")[0]["with"] == {"pulumi-version": PULUMI_CLI_VERSION}
        assert steps_using(job, "azure/use-kubelogin")[0]["with"] == {"kubelogin-version": f"v{KUBELOGIN_VERSION}"}
        assert not steps_using(job, "azure/login")  # llmops-infra refreshes the OIDC token itself
        for step in job["steps"]:
            holds_secret = "secrets.PULUMI_CONFIG_PASSPHRASE" in str(step.get("env", {}))
            engine = re.match(r"llmops-infra (up|release|promote) ", step.get("run", "")) is not None
            assert holds_secret is engine, step  # not the install, not the approval record
    assert jobs["dev"]["runs-on"] == "ubuntu-latest" and jobs["dev"]["timeout-minutes"] == 90
    # private clusters: runners inside the VNet, which may run longer than hosted runners' 360 minutes
    assert jobs["staging"]["runs-on"] == ["self-hosted", "llmops-staging"]
    assert jobs["prod"]["runs-on"] == ["self-hosted", "llmops-prod"] and jobs["prod"]["timeout-minutes"] == 480
    assert [s.get("run") for s in jobs["dev"]["steps"]][-2:] == [
        'llmops-infra up "$LLMOPS_ENV" --yes',
        'llmops-infra release "$LLMOPS_ENV"',
    ]
    approve = next(s for s in jobs["prod"]["steps"] if "approve" in s.get("run", ""))
    assert approve["env"]["APPROVER"] == "${{ github.actor }}" and "${{" not in approve["run"]
    assert jobs["prod"]["steps"][-1]["run"] == 'llmops-infra promote "$SOURCE_ENV" "$LLMOPS_ENV"'
    assert github[".github/actionlint.yaml"] == {"self-hosted-runner": {"labels": ["llmops-prod", "llmops-staging"]}}
    text = render(options("github")).files[".github/workflows/llmops-deploy.yml"]
    assert "client-secret" not in text and "AZURE_CLIENT_SECRET" not in text and "ARM_USE_OIDC" not in text


def test_the_bootstrap_variables_reach_the_deploy_and_promote_steps_only(github, ado):
    jobs = github[".github/workflows/llmops-deploy.yml"]["jobs"]
    by_run = {s.get("run", "").split('"')[0].strip(): s for s in jobs["dev"]["steps"] if s.get("run")}
    assert by_run["llmops-infra up"]["env"]["HF_TOKEN"] == "${{ secrets.HF_TOKEN }}"
    assert "HF_TOKEN" not in by_run["llmops-infra release"]["env"]
    promote = jobs["prod"]["steps"][-1]
    assert {k: v for k, v in promote["env"].items() if k in ("HF_TOKEN", "DOCKERHUB_TOKEN")} == {
        "HF_TOKEN": "${{ secrets.HF_TOKEN }}",
        "DOCKERHUB_TOKEN": "${{ secrets.DOCKERHUB_TOKEN }}",
    }
    assert "HF_TOKEN" not in str(jobs["staging"])
    stages = {s["stage"]: s for s in ado["stages"]}
    prod = next(j for j in stages["Prod"]["jobs"] if "deployment" in j)["strategy"]["runOnce"]["deploy"]["steps"]
    azure_cli = next(s for s in prod if s.get("task") == "AzureCLI@2")
    assert azure_cli["env"]["HF_TOKEN"] == "$(HF_TOKEN)" and azure_cli["env"]["DOCKERHUB_TOKEN"] == "$(DOCKERHUB_TOKEN)"


def test_azure_devops_stages_pools_approvals_and_no_macro_in_scripts(ado):
    stages = {s["stage"]: s for s in ado["stages"]}
    assert list(stages) == ["Check", "Dev", "Staging", "Prod"] and ado["lockBehavior"] == "sequential"
    assert stages["Check"]["pool"] == {"vmImage": "ubuntu-latest"}  # pull requests: hosted, no credentials
    assert "AzureCLI@2" not in str(stages["Check"]) and "PULUMI_CONFIG_PASSPHRASE" not in str(stages["Check"])
    assert stages["Dev"]["dependsOn"] == [] and stages["Staging"]["dependsOn"] == "Dev"
    for name, stage in list(stages.items())[1:]:
        env = name.lower()
        assert stage["variables"] == [{"group": f"llmops-{env}"}]
        deployment = next(j for j in stage["jobs"] if "deployment" in j)
        assert deployment["environment"] == f"llmops-{env}"
        steps = deployment["strategy"]["runOnce"]["deploy"]["steps"]
        azure_cli = next(s for s in steps if s.get("task") == "AzureCLI@2")
        assert azure_cli["inputs"]["azureSubscription"] == f"llmops-{env}"
        assert azure_cli["inputs"]["addSpnToEnvironment"] is True
        assert azure_cli["env"]["SYSTEM_ACCESSTOKEN"] == "$(System.AccessToken)"
        assert azure_cli["env"]["LLMOPS_FEDERATED_TOKEN_SOURCE"] == "azure-pipelines"
        assert next(s for s in steps if s.get("task") == "KubeloginInstaller@0")["inputs"] == {
            "kubeloginVersion": KUBELOGIN_VERSION
        }
        pulumi = next(s for s in steps if "get.pulumi.com" in str(s.get("script", "")))
        assert pulumi["env"] == {"PULUMI_VERSION": PULUMI_CLI_VERSION} and '"$PULUMI_VERSION"' in pulumi["script"]
    assert next(j for j in stages["Prod"]["jobs"] if "deployment" in j)["pool"] == {"name": "llmops-prod"}
    approve = next(j for j in stages["Prod"]["jobs"] if j.get("job") == "approve")
    validation = approve["steps"][0]
    assert validation["task"] == "ManualValidation@1"
    assert validation["inputs"]["notifyUsers"] == "[llmops]\\Release Approvers"
    assert validation["inputs"]["onTimeout"] == "reject"
    # No script holds a macro or expression: $(Build.RequestedFor) is set by the requester.
    for text in scripts(ado):
        assert "$(" not in text and "${{" not in text and "$[" not in text, text
    prod_cli = next(
        s
        for s in next(j for j in stages["Prod"]["jobs"] if "deployment" in j)["strategy"]["runOnce"]["deploy"]["steps"]
        if s.get("task") == "AzureCLI@2"
    )
    assert prod_cli["env"]["REQUESTED_FOR"] == "$(Build.RequestedFor)"


def test_azure_devops_header_says_pr_trigger_needs_a_branch_policy_on_azure_repos():
    text = render(options("azure-devops")).files["azure-pipelines.yml"]
    assert "Build Validation branch policy" in text and "Azure Repos" in text


@pytest.mark.parametrize("provider", ["github", "azure-devops"])
@pytest.mark.parametrize(
    "install",
    [
        None,
        "git+https://github.com/contoso/llmops-infra@v0.1.0",
        "index:https://pkgs.example.com/simple/",
        "wheel:https://example.com/x.whl",
    ],
)
def test_generated_files_pass_check_jsonschema_and_actionlint(tmp_path, provider, install):
    opts = options(provider, install=ToolInstall.parse(install, provider), approvers="ops@contoso.com")
    files = render(opts).files
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    pipelines = [tmp_path / rel for rel in files if rel != ".github/actionlint.yaml"]
    assert_schema_valid(pipelines, provider)
    if provider == "github":
        assert_actionlint_clean(tmp_path)


def test_install_specs_become_pip_requirements_and_bad_ones_are_refused():
    assert ToolInstall.parse(None, "github").requirement == "./ci/llmops_infra-0.1.0-py3-none-any.whl[azure]"
    git = ToolInstall.parse("git+https://github.com/contoso/llmops-infra@v0.1.0", "github")
    assert git.requirement == "llmops-infra[azure] @ git+https://github.com/contoso/llmops-infra@v0.1.0"
    index = ToolInstall.parse("index:https://pkgs.example.com/simple/", "github")
    assert index.requirement == "llmops-infra[azure]==0.1.0" and index.index_url == "https://pkgs.example.com/simple/"
    assert ToolInstall.parse("wheel:dist/a.whl", "github").requirement == "./dist/a.whl[azure]"
    refused = {
        "llmops-infra==0.1.0": "not on PyPI",
        "git+https://github.com/contoso/llmops-infra": "names no tag",
        "git+http://github.com/contoso/llmops-infra@v1": "git\\+https",
        "index:https://user:pw@pkgs.example.com/simple/": "credentials",
        "index:http://pkgs.example.com/simple/": "https",
        "wheel:../outside.whl": "inside the repository",
        "wheel:/abs/x.whl": "inside the repository",
    }
    for spec, message in refused.items():
        with pytest.raises(ConfigError, match=message) as err:
            ToolInstall.parse(spec, "github")
        assert err.value.key == "--install" and err.value.exit_code == 2
        assert "pw" not in str(err.value) or "credentials" not in message


def test_limits_hosted_timeouts_and_private_clusters_on_hosted_runners_are_refused():
    with pytest.raises(ConfigError, match=r"hosted runner allows \(360 minutes\)") as err:
        options("github", targets=(DeployTarget(name="dev", timeout_minutes=1440),))
    assert err.value.key == "ci.timeout_minutes" and err.value.file == "environments/dev.yaml"
    with pytest.raises(ConfigError, match="cannot reach its API server"):
        options("github", targets=(DeployTarget(name="prod", private_cluster=True),))
    with pytest.raises(ConfigError, match="cannot reach its API server"):
        options("azure-devops", targets=(DeployTarget(name="prod", private_cluster=True, runs_on=("self-hosted",)),))
    # self-hosted GitHub runners: up to 5 days; Azure DevOps self-hosted agents: no limit
    options("github", targets=(DeployTarget(name="prod", runs_on=("self-hosted",), timeout_minutes=7200),))
    options("azure-devops", targets=(DeployTarget(name="prod", pool="p", timeout_minutes=20000),))
    with pytest.raises(ConfigError, match="7200 minutes"):
        options("github", targets=(DeployTarget(name="prod", runs_on=("self-hosted",), timeout_minutes=7201),))
    with pytest.raises(ConfigError, match="30 days"):
        options("azure-devops", approval_timeout_minutes=50000)
    with pytest.raises(ConfigError, match="exact version"):
        options("github", pulumi_version="^3")


def test_default_install_names_a_wheel_that_pip_can_install(tmp_path):
    opts = options("github")
    generated = render(opts)
    written = write(generated, tmp_path)
    wheel = tmp_path / "ci" / "llmops_infra-0.1.0-py3-none-any.whl"
    assert wheel in written and wheel.stat().st_size > 100_000
    deploy = load(generated.files[".github/workflows/llmops-deploy.yml"])
    requirements = {
        s["env"]["LLMOPS_INSTALL"]
        for job in deploy["jobs"].values()
        for s in job["steps"]
        if "LLMOPS_INSTALL" in s.get("env", {})
    }
    assert requirements == {"./ci/llmops_infra-0.1.0-py3-none-any.whl[azure]"}
    (requirement,) = requirements
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--no-index",
            "--no-deps",
            "--ignore-installed",
            requirement,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"Would install llmops[-_]infra-0\.1\.0", result.stdout), result.stdout
    # a rewrite keeps the same wheel; existing pipeline files need --force
    with pytest.raises(ConfigError, match="already exist"):
        write(generated, tmp_path)
    assert wheel in write(generated, tmp_path, force=True)


def test_writing_into_an_unwritable_place_is_bad_input(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(ConfigError) as err:
        write(Generated(files={"x.yml": "a: 1\n"}, wheel=None, notes=()), blocker / "repo")
    assert err.value.exit_code == 2 and err.value.key == "--output" and "cannot write" in str(err.value)


@pytest.mark.parametrize("provider", ["github", "azure-devops"])
def test_the_scaffold_generates_pipelines_that_pass_both_linters_and_reach_private_clusters(tmp_path, provider):
    """`init` end to end: environments adapted to the provider, pipelines from them, the wheel they install."""
    from llmops_infra.delivery.scaffold import scaffold

    written = scaffold(tmp_path, provider=provider)
    assert tmp_path / "ci" / "llmops_infra-0.1.0-py3-none-any.whl" in written
    if provider == "github":
        deploy = load((tmp_path / ".github/workflows/llmops-deploy.yml").read_text())
        for env in ("staging", "prod"):  # private clusters: runners inside the VNet
            assert deploy["jobs"][env]["runs-on"] == ["self-hosted", f"llmops-{env}"]
        workflows = sorted((tmp_path / ".github/workflows").glob("*.yml"))
        assert_schema_valid(workflows, provider)
        assert_actionlint_clean(tmp_path)
    else:
        pipeline = load((tmp_path / "azure-pipelines.yml").read_text())
        pools = {s["stage"]: s["jobs"][-1]["pool"] for s in pipeline["stages"][1:]}
        assert pools == {
            "Dev": {"name": "mdp-llmops-dev-eus"},
            "Staging": {"name": "mdp-llmops-staging-eus2"},
            "Prod": {"name": "mdp-llmops-prod-eus2"},
        }
        assert_schema_valid([tmp_path / "azure-pipelines.yml"], provider)


def test_deploy_targets_name_the_variables_the_bootstrap_reads(project_dir):
    from llmops_infra.config.loader import load_environment
    from llmops_infra.delivery.targets import target_for

    target = target_for(load_environment("dev", project_dir), "github")
    assert target.bootstrap_env == ("LLMOPS_VLLM_API_KEY", "HF_TOKEN", "LLMOPS_GITHUB_RUNNER_TOKEN")
