"""Conventions every command keeps: --help, --project-dir after the command name, `--format json`
that is JSON alone on stdout, and known errors as one line on stderr with exit code 2."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from llmops_infra.cli.app import app

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()


def _walk(group, prefix=()):
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name), command
        if hasattr(command, "commands"):
            yield from _walk(command, (*prefix, name))


COMMANDS = dict(_walk(typer.main.get_command(app)))
LEAVES = {path: c for path, c in COMMANDS.items() if not hasattr(c, "commands")}

# Commands that read no project directory: what they act on is an argument or option of their own.
NO_PROJECT = {
    ("init",): "DIRECTORY argument",
    ("pipeline", "generate"): "--output",
    ("pr-comment",): "REPORT argument",
    ("engine", "install"): "the engine cache (~/.cache/llmops-infra/pulumi)",
}
# Commands whose output is not data: they write files, post a comment, or their output is Markdown.
NOT_DATA = {
    ("init",),
    ("pipeline", "generate"),
    ("pr-comment",),
    ("pr-report",),
    ("prices", "refresh"),
    ("lifecycle", "refresh"),
    ("approve",),
    ("cancel",),
    ("bootstrap",),
    ("engine", "install"),
}

# The data commands that run offline, with their arguments.
OFFLINE_JSON = {
    ("environments",): [],
    ("validate",): [],
    ("plan",): ["dev"],
    ("access",): ["dev"],
    ("cost",): ["dev"],
    ("policy", "check"): ["dev"],
    ("policy", "list"): [],
    ("policy", "pack-config"): ["dev"],
    ("diff",): ["dev", "prod"],
    ("graph",): ["dev"],
    ("release",): ["dev"],
    ("releases",): ["dev"],
    ("lifecycle", "show"): ["dev"],
}


def _options(command) -> dict:
    return {opt: p for p in command.params for opt in (getattr(p, "opts", None) or [])}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the shipped environments: `release` writes its manifest under the project."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(REPO / "environments", root / "environments")
    return root


def test_the_walk_finds_the_commands():
    assert {("plan",), ("policy", "check"), ("policy", "list"), ("pipeline", "generate"), ("graph",)} <= set(LEAVES)
    assert set(OFFLINE_JSON) <= set(LEAVES) and set(NO_PROJECT) <= set(LEAVES) and set(LEAVES) >= NOT_DATA


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_help(path):
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output and " ".join(path) in result.output


@pytest.mark.parametrize("path", sorted(LEAVES), ids=" ".join)
def test_project_dir_after_the_command_name(path):
    options = _options(LEAVES[path])
    assert ("--project-dir" in options) is (path not in NO_PROJECT), NO_PROJECT.get(path, "missing --project-dir")
    if path not in NO_PROJECT:
        assert "-C" in options


@pytest.mark.parametrize("path", sorted(set(LEAVES) - NOT_DATA), ids=" ".join)
def test_data_commands_offer_json(path):
    option = _options(LEAVES[path]).get("--format")
    assert option is not None, "a command that prints data takes --format"
    assert "json" in [m.value for m in option.type_descriptor.annotation]


@pytest.mark.parametrize("path", sorted(OFFLINE_JSON), ids=" ".join)
def test_format_json_is_json_alone_on_stdout(path, project):
    result = runner.invoke(app, [*path, *OFFLINE_JSON[path], "--format", "json", "--project-dir", str(project)])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)  # nothing but the document on stdout
    assert isinstance(document, dict) and document
    # every JSON document says which version of its shape it is (the engine's pack config is Pulumi's format)
    assert document.get("schema_version") == 1 or path == ("policy", "pack-config"), document


@pytest.mark.parametrize("path", sorted(p for p, args in OFFLINE_JSON.items() if args), ids=" ".join)
def test_unknown_environment_is_bad_input(path, project):
    args = ["no-such-env"] * len(OFFLINE_JSON[path])
    result = runner.invoke(app, [*path, *args, "--format", "json", "--project-dir", str(project)])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.count("error:") == 1 and "unknown environment 'no-such-env'" in result.stderr
    assert ("Traceback" not in result.output and result.exception is None) or isinstance(result.exception, SystemExit)


def test_engine_commands_stream_json_lines_and_exit_3_without_azure(project):
    """up/preview/refresh/destroy print one JSON object per line (docs/lifecycle.md); with no Azure
    credential the credentials gate stops the run: exit 3, one message, no traceback."""
    import os

    if shutil.which("az") or any(k.startswith(("AZURE_", "ARM_")) for k in os.environ):
        pytest.skip("an Azure sign-in may exist here: this test needs none")
    result = runner.invoke(app, ["preview", "dev", "--format", "json", "--project-dir", str(project)])
    assert result.exit_code == 3, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["gate"] for e in events] == ["config", "policy", "cost", "credentials"]
    assert all(e["event"] == "gate" for e in events)
    assert [e["status"] for e in events] == ["passed", "passed", "passed", "failed"]
    assert events[-1]["exit_code"] == 3 and "az login" in events[-1]["message"]
    assert result.stderr.count("error:") == 1 and "gate credentials failed" in result.stderr
    assert "Traceback" not in result.stderr


def test_error_messages_print_brackets_literally(project):
    # rich markup would eat "[a-z0-9]" out of a pydantic pattern message: the error is data, not markup
    dev = project / "environments" / "dev.yaml"
    dev.write_text(dev.read_text().replace("  location: eastus\n", "  location: East_US\n", 1))
    result = runner.invoke(app, ["validate", "dev", "--project-dir", str(project)])
    assert result.exit_code == 2, result.output
    assert "azure.location" in result.stderr
    assert "[a-z0-9]+" in result.stderr.replace("\n", "")


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_help_paragraphs_have_no_hard_line_breaks(path):
    # rich markup mode keeps a single newline: a docstring wrapped at 100 columns prints broken mid-sentence
    for paragraph in (COMMANDS[path].help or "").strip().split("\n\n"):
        assert "\n" not in paragraph.strip(), paragraph


# --------------------------------------------------------------------------- registration and flags

CLI = REPO / "cli"


def _registered(typer_app, prefix=()):
    """(path, CommandInfo) of every command, groups walked."""
    for info in typer_app.registered_commands:
        yield (*prefix, info.name), info
    for group in typer_app.registered_groups:
        yield from _registered(group.typer_instance, (*prefix, group.name))


def test_every_command_is_registered_the_one_way():
    """`common.add_commands`: known errors become one message and their exit code, flags draw as flags."""
    from llmops_infra.cli import common

    wrapper_code = common.handle_errors(lambda: None).__code__
    registered = dict(_registered(app))
    assert set(registered) == set(LEAVES)
    for path, info in registered.items():
        assert info.callback.__code__ is wrapper_code, f"{' '.join(path)} is not wrapped by handle_errors"
        assert info.cls is common.Command, f"{' '.join(path)} is not a common.Command"
    sources = {p.name: p.read_text(encoding="utf-8") for p in CLI.glob("*.py")}
    assert [n for n, text in sources.items() if "typer.Typer(" in text] == ["common.py"]
    assert [n for n, text in sources.items() if ".command(" in text] == ["common.py"]
    assert [n for n, text in sources.items() if "@handle_errors" in text] == []


def test_a_command_without_its_own_error_handling_still_reports_known_errors(monkeypatch):
    from llmops_infra.errors import ConfigError
    from llmops_infra.policies import catalog

    def broken():
        raise ConfigError("the catalog is [broken]", key="policy")

    monkeypatch.setattr(catalog, "rules", broken)
    result = runner.invoke(app, ["policy", "list"])
    assert result.exit_code == 2 and result.stderr == "error: policy: the catalog is [broken]\n"


def test_the_environment_argument_is_declared_once():
    text = "Environment name: a file environments/ENV.yaml."
    assert {p.name: p.read_text().count(text) for p in CLI.glob("*.py") if text in p.read_text()} == {"common.py": 1}
    with_env = [
        path for path, c in LEAVES.items() if any(p.name == "env" and p.param_type_name == "argument" for p in c.params)
    ]
    assert len(with_env) >= 10
    for path in with_env:
        assert text in runner.invoke(app, [*path, "--help"], terminal_width=200).output, path


@pytest.mark.parametrize("path", [(), *sorted(COMMANDS)], ids=lambda p: " ".join(p) or "llmops-infra")
def test_help_draws_flags_as_flags(path):
    """Typer draws a `<bool>` value after flags; a flag takes none (`--force true` is refused)."""
    result = runner.invoke(app, [*path, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    assert "--help" in result.output


def test_flags_take_no_value(tmp_path):
    result = runner.invoke(app, ["init", str(tmp_path / "estate"), "--force", "true"])
    assert result.exit_code == 2 and "unexpected extra argument" in result.output.lower()
    result = runner.invoke(app, ["init", str(tmp_path / "estate"), "--force"])
    assert result.exit_code == 0, result.output
    help_text = runner.invoke(app, ["refresh", "--help"], terminal_width=200).output
    assert re.search(r"--preview-only\s+Show drift", help_text), help_text


def test_the_command_line_formats_nothing_itself():
    """Tables, JSON and Markdown are drawn in `llmops_infra.render` (docs/architecture.md)."""
    for path in CLI.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for construct in ("json.dumps", "Table(", "import json", "StringIO"):
            assert construct not in text, f"{path.name} builds output itself ({construct}): move it to pkg/render/"
