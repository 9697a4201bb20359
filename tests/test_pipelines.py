"""Generated pipelines parse, sign in by OIDC, check policies with SARIF, and gate prod."""

from __future__ import annotations

from io import StringIO

import pytest
from ruamel.yaml import YAML

from llmops_infra.delivery.pipelines import render, write
from llmops_infra.errors import ConfigError


def load(text: str):
    return YAML(typ="safe").load(StringIO(text))


@pytest.fixture(scope="module")
def github():
    files = render("github")
    return {path: (load(text) if path.endswith(".yml") else text) for path, text in files.items()}


@pytest.fixture(scope="module")
def ado():
    return load(render("azure-devops")["azure-pipelines.yml"])


def steps_using(job, action):
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(action)]


def test_github_pr_runs_policy_check_with_sarif_and_one_comment(github):
    pr = github[".github/workflows/llmops-pr.yml"]
    assert "pull_request" in pr["on"]
    jobs = pr["jobs"]
    job = jobs["check"]
    runs = [s.get("run", "") for s in job["steps"]]
    assert "llmops-infra policy check --all --format sarif --output policy.sarif" in runs
    report = next(s for s in job["steps"] if s.get("run", "").startswith("llmops-infra pr-report"))
    assert "--output pr-report.md" in report["run"] and report["if"] == "always()"
    assert report["env"] == {"BASE_REF": "${{ github.base_ref }}"} and "${{" not in report["run"]
    assert steps_using(job, "actions/checkout")[0]["with"]["fetch-depth"] == 0
    kept = steps_using(job, "actions/upload-artifact")[0]
    assert kept["if"] == "always()" and kept["with"]["path"].split() == ["policy.sarif", "pr-report.md"]
    upload = steps_using(jobs["code-scanning"], "github/codeql-action/upload-sarif")
    assert upload and upload[0]["with"]["sarif_file"] == "policy.sarif"
    comment = [s for s in jobs["comment"]["steps"] if s.get("run", "").startswith("llmops-infra pr-comment")]
    assert comment[0]["run"] == "llmops-infra pr-comment pr-report.md --provider github"
    assert comment[0]["env"] == {"GITHUB_TOKEN": "${{ github.token }}"}
    for name in ("code-scanning", "comment"):
        assert jobs[name]["needs"] == "check" and jobs[name]["if"] == "always() && needs.check.result != 'cancelled'"


def test_github_pr_jobs_least_privilege_and_no_cloud_credentials(github):
    pr = github[".github/workflows/llmops-pr.yml"]
    assert pr["permissions"] == {"contents": "read"}
    assert {name: job["permissions"] for name, job in pr["jobs"].items()} == {
        "check": {"contents": "read"},
        "code-scanning": {"actions": "read", "contents": "read", "security-events": "write"},
        "comment": {"pull-requests": "write"},
    }
    text = render("github")[".github/workflows/llmops-pr.yml"]
    assert "secrets." not in text and "azure/login" not in text and "id-token" not in text
    assert "ARM_" not in text and "PULUMI_CONFIG_PASSPHRASE" not in text
    assert steps_using(pr["jobs"]["check"], "actions/checkout")[0]["with"]["persist-credentials"] is False


def test_github_deploy_uses_oidc_never_a_client_secret(github):
    deploy = github[".github/workflows/llmops-deploy.yml"]
    assert deploy["permissions"] == {"contents": "read"}
    assert "PULUMI_CONFIG_PASSPHRASE" not in deploy["env"]  # not for every step (the install included)
    for name in ("dev", "staging", "prod"):
        job = deploy["jobs"][name]
        assert job["permissions"] == {"contents": "read", "id-token": "write"}, name
        login = steps_using(job, "azure/login")
        assert login, name
        assert set(login[0]["with"]) == {"client-id", "tenant-id", "subscription-id"}
        for step in job["steps"]:
            secret = "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}" in str(step.get("env", {}))
            assert secret is step.get("run", "").startswith("llmops-infra"), step  # not the install
    text = render("github")[".github/workflows/llmops-deploy.yml"]
    assert "client-secret" not in text and "AZURE_CLIENT_SECRET" not in text and "creds:" not in text
    assert "echo" not in text  # nothing is echoed, secrets least of all


def test_actions_and_the_tool_are_pinned(github):
    import re

    from llmops_infra import __version__

    for path, text in render("github").items():
        for action in re.findall(r"uses: (\S+)", text):
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@(v\d+|[0-9a-f]{40})", action), (path, action)
        if path.endswith(".yml"):
            assert f"pip install 'llmops-infra[azure]=={__version__}'" in text
    assert f"llmops-infra[azure]=={__version__}" in render("azure-devops")["azure-pipelines.yml"]


def test_github_promotion_order_approval_gate_and_concurrency(github):
    jobs = github[".github/workflows/llmops-deploy.yml"]["jobs"]
    assert jobs["staging"]["needs"] == "dev" and jobs["prod"]["needs"] == "staging"
    assert jobs["prod"]["environment"] == "prod"
    assert int(jobs["prod"]["timeout-minutes"]) > 0
    for name, job in jobs.items():
        assert job["concurrency"] == {"group": f"llmops-deploy-{name}", "cancel-in-progress": False}
    prod_runs = [s.get("run", "") for s in jobs["prod"]["steps"]]
    assert any(r.startswith("llmops-infra approve prod --from staging") for r in prod_runs)
    assert prod_runs[-1] == "llmops-infra promote staging prod"
    assert [s.get("run") for s in jobs["dev"]["steps"]][-2:] == [
        "llmops-infra up dev --yes",
        "llmops-infra release dev",
    ]
    script = github[".github/llmops-environments.sh"]
    assert '"reviewers"' in script and "repos/$repo/environments/prod" in script


def test_azure_devops_stages_approvals_workload_identity_and_locks(ado):
    assert ado["lockBehavior"] == "sequential"
    stages = {s["stage"]: s for s in ado["stages"]}
    assert list(stages) == ["Check", "Dev", "Staging", "Prod"]
    # Check runs on pull requests only: Dev must not depend on it, or a skipped Check skips Dev.
    assert stages["Dev"]["dependsOn"] == [] and "succeeded()" not in stages["Dev"]["condition"]
    assert stages["Staging"]["dependsOn"] == "Dev" and stages["Prod"]["dependsOn"] == "Staging"
    check_steps = stages["Check"]["jobs"][0]["steps"]
    assert any("policy check --all --format sarif" in str(s.get("script", "")) for s in check_steps)
    comment = [s for s in check_steps if str(s.get("script", "")).startswith("llmops-infra pr-comment")]
    assert comment and comment[0]["env"] == {"SYSTEM_ACCESSTOKEN": "$(System.AccessToken)"}
    sarif = [s for s in check_steps if s.get("task") == "PublishBuildArtifacts@1"]
    assert sarif and sarif[0]["inputs"]["ArtifactName"] == "CodeAnalysisLogs"
    prod_jobs = {j.get("job") or j.get("deployment"): j for j in stages["Prod"]["jobs"]}
    approve = prod_jobs["approve"]
    assert approve["pool"] == "server"
    validation = approve["steps"][0]
    assert validation["task"] == "ManualValidation@0" and validation["inputs"]["onTimeout"] == "reject"
    assert int(validation["timeoutInMinutes"]) > 0
    assert prod_jobs["prod"]["dependsOn"] == "approve" and prod_jobs["prod"]["environment"] == "llmops-prod"
    for name in ("Dev", "Staging", "Prod"):
        deployment = next(j for j in stages[name]["jobs"] if "deployment" in j)
        azure_cli = [s for s in deployment["strategy"]["runOnce"]["deploy"]["steps"] if s.get("task") == "AzureCLI@2"]
        assert azure_cli[0]["inputs"]["azureSubscription"] == "llmops-workload-identity"
        assert "ARM_USE_OIDC=true" in azure_cli[0]["inputs"]["inlineScript"]
    text = render("azure-devops")["azure-pipelines.yml"]
    assert "servicePrincipalKey" not in text and "AZURE_CLIENT_SECRET" not in text and "ARM_CLIENT_SECRET" not in text


def test_values_are_filled_and_files_written(tmp_path):
    files = render("github", python="3.12", artifacts="s3://bucket/rel")
    assert 'python-version: "3.12"' in files[".github/workflows/llmops-pr.yml"]
    assert 'LLMOPS_ARTIFACTS: "s3://bucket/rel"' in files[".github/workflows/llmops-deploy.yml"]
    written = write("azure-devops", tmp_path, service_connection="my-wif")
    assert written == [tmp_path / "azure-pipelines.yml"]
    assert "azureSubscription: my-wif" in written[0].read_text()
    with pytest.raises(ConfigError, match="already exist"):
        write("azure-devops", tmp_path)
    with pytest.raises(ConfigError, match="unknown pipeline provider"):
        render("jenkins")


def test_writing_into_an_unwritable_place_is_bad_input(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(ConfigError) as err:
        write("github", blocker / "repo")
    assert err.value.exit_code == 2
    assert err.value.key == "--output" and "cannot write" in str(err.value)


def test_generate_prints_paths_with_brackets_as_they_are(tmp_path):
    from typer.testing import CliRunner

    from llmops_infra.cli.app import app

    result = CliRunner().invoke(app, ["pipeline", "generate", "--output", str(tmp_path / "[repo]")])
    assert result.exit_code == 0, result.output
    assert "[repo]/.github/workflows/" in result.stdout.replace("\n", "")
