"""Issue 17, items 1 and 13: `policy check --program` runs the program in a child process."""

from __future__ import annotations

import json
import textwrap

from typer.testing import CliRunner

from llmops_infra.cli.app import app

runner = CliRunner()

VIOLATING = """
import pulumi_azure_native as azure_native

azure_native.keyvault.Vault(
    "kv",
    resource_group_name="rg",
    properties={"tenant_id": "00000000-0000-4000-8000-000000000001", "sku": {"family": "A", "name": "standard"},
                "enable_purge_protection": False, "public_network_access": "Enabled"},
)
"""


def _program(tmp_path, body: str):
    file = tmp_path / "prog.py"
    file.write_text(textwrap.dedent(body))
    return file


def test_sys_exit_main_is_a_failure_to_plan_not_a_pass(tmp_path):
    """Item 1: `sys.exit(main())` made `policy check --program` exit 0 with no report."""
    file = _program(
        tmp_path,
        "import sys\n"
        + VIOLATING
        + "\ndef main():\n    return 0\n\nif __name__ == '__main__':\n    sys.exit(main())\n",
    )
    result = runner.invoke(app, ["policy", "check", "--program", str(file)])
    assert result.exit_code == 2, result.output
    assert "sys.exit(0)" in result.output


def test_a_program_that_hangs_is_stopped(tmp_path):
    """Item 13: no timeout."""
    file = _program(tmp_path, "import time\ntime.sleep(60)\n")
    result = runner.invoke(app, ["policy", "check", "--program", str(file), "--program-timeout", "2"])
    assert result.exit_code == 2, result.output
    assert "within 2 s" in result.output


def test_program_prints_stay_out_of_the_report(tmp_path):
    """Item 13: the program's prints went to stdout and broke `--format json`."""
    file = _program(tmp_path, "print('noise from the program')\n" + VIOLATING)
    result = runner.invoke(app, ["policy", "check", "--program", str(file), "--format", "json"])
    assert result.exit_code == 1, result.output  # the violating vault is judged
    assert "noise" not in result.stdout
    report = json.loads(result.stdout)
    assert report  # a JSON document, not prints


def test_a_crash_in_the_program_reports_its_stderr_tail(tmp_path):
    file = _program(tmp_path, "import os, sys\nsys.stderr.write('boom-marker\\n')\nsys.stderr.flush()\nos._exit(0)\n")
    result = runner.invoke(app, ["policy", "check", "--program", str(file)])
    assert result.exit_code == 2, result.output
    assert "boom-marker" in result.output
