"""The wheel carries every subpackage and data file, so it works outside the repository."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("llmops_infra-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_has_the_package_layout(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for module in (
        "__init__.py",
        "plan.py",
        "cli/app.py",
        "components/naming.py",
        "stacks/estate.py",
        "offline/synth.py",
        "config/models.py",
        "engine/lifecycle.py",
        "release/artifacts/__init__.py",
        "review/diff.py",
        "delivery/pipelines.py",
        "policies/__init__.py",
    ):
        assert f"llmops_infra/{module}" in names, module
    assert not any(n.startswith(("cli/", "components/", "stacks/", "tests/")) for n in names)


def test_wheel_has_every_module_and_data_file(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    missing = []
    for top in ("pkg", "cli", "components", "stacks", "policies"):
        for path in (REPO / top).rglob("*"):
            if path.is_dir() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            if path.suffix in {".py", ".json", ".yaml", ".yml", ".md", ".txt", ".j2", ".sh"}:
                relative = path.relative_to(REPO / "pkg" if top == "pkg" else REPO).as_posix()
                if f"llmops_infra/{relative}" not in names:
                    missing.append(relative)
    assert missing == [], "not in the wheel (add to pyproject packages / package-data): " + ", ".join(missing)


def test_wheel_declares_the_console_script(wheel: zipfile.ZipFile) -> None:
    entry_points = next(n for n in wheel.namelist() if n.endswith("entry_points.txt"))
    assert "llmops-infra = llmops_infra.cli.app:main" in wheel.read(entry_points).decode()


def test_installed_wheel_plans_outside_the_repository(wheel: zipfile.ZipFile, tmp_path: Path) -> None:
    # Install into a target dir and run with the repo off sys.path; deps come from this interpreter.
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), wheel.filename],
        check=True,
        capture_output=True,
    )
    project = tmp_path / "project"
    (project / "environments").mkdir(parents=True)
    for name in ("base.yaml", "dev.yaml"):
        (project / "environments" / name).write_text((REPO / "environments" / name).read_text())
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import llmops_infra; assert llmops_infra.__file__.startswith(sys.argv[1]), llmops_infra.__file__;"
        "from llmops_infra.cli.app import main; sys.argv = ['llmops-infra', 'plan', 'dev', '--format', 'json'];"
        "main()"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", code, str(target)], cwd=project, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert '"environment": "dev"' in result.stdout
