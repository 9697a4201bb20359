"""`llmops-infra init DIR` scaffolds a repository that validates and plans at once."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from llmops_infra.cli.app import app
from llmops_infra.config.loader import list_environments, load_environment
from llmops_infra.delivery.scaffold import template_files

runner = CliRunner()


def test_shipped_templates_equal_the_repository_environments(project_dir):
    templates = template_files()
    repo = {
        f"environments/{p.name}": p.read_text(encoding="utf-8")
        for p in sorted((project_dir / "environments").iterdir())
        if p.suffix in (".yaml", ".json")
    }
    assert sorted(templates) == sorted(repo)
    stale = [name for name in repo if templates[name] != repo[name]]
    assert not stale, (
        f"pkg/delivery/templates/environments is out of date for {stale}: run "
        "`cp environments/*.yaml environments/*.json pkg/delivery/templates/environments/`"
    )


def test_init_writes_a_repository_that_validates(tmp_path: Path):
    target = tmp_path / "estate"
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    for rel in (
        "environments/base.yaml",
        "environments/dev.yaml",
        "environments/prod.yaml",
        "environments/schema.json",
        "environments/base.schema.json",
        "environments/overlay.schema.json",
        ".gitignore",
        "README.md",
        ".github/workflows/llmops-pr.yml",
        ".github/workflows/llmops-deploy.yml",
    ):
        assert (target / rel).is_file(), rel
    assert ".llmops/" in (target / ".gitignore").read_text().splitlines()
    assert "# yaml-language-server: $schema=./overlay.schema.json" in (target / "environments" / "dev.yaml").read_text()
    assert list_environments(target) == ["dev", "prod", "staging"]
    assert load_environment("prod", target).promotion.requires_approval is True
    result = runner.invoke(app, ["validate", "-C", str(target)])
    assert result.exit_code == 0, result.output


def test_init_refuses_a_non_empty_directory_without_force(tmp_path: Path):
    (tmp_path / "keep.txt").write_text("mine")
    result = runner.invoke(app, ["init", str(tmp_path)])
    assert result.exit_code == 2 and "is not empty" in result.output and "--force" in result.output
    assert not (tmp_path / "environments").exists()
    result = runner.invoke(app, ["init", str(tmp_path), "--force", "--provider", "azure-devops"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "keep.txt").read_text() == "mine"
    assert (tmp_path / "azure-pipelines.yml").is_file() and not (tmp_path / ".github").exists()


def test_pipeline_generate_command(tmp_path: Path):
    result = runner.invoke(app, ["pipeline", "generate", "--provider", "github", "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / ".github" / "workflows" / "llmops-deploy.yml").is_file()
    result = runner.invoke(app, ["pipeline", "generate", "--output", str(tmp_path)])
    assert result.exit_code == 2 and "--force" in result.output


def test_init_into_an_unwritable_place_is_bad_input(tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = runner.invoke(app, ["init", str(blocker / "estate")])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("error:") == 1 and "cannot write" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_init_prints_paths_with_brackets_as_they_are(tmp_path: Path):
    target = tmp_path / "[estate]"
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert f"wrote {target}/environments/base.yaml" in result.stdout.replace("\n", "")
    assert f"next: cd {target} &&" in result.stdout.replace("\n", "")
