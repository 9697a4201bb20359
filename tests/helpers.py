"""Helpers the component tests share (importable as `helpers`: conftest puts tests/ on sys.path).

`synth(program)` synthesizes a small Pulumi program offline under the Azure mocks, as stack
"test" of project "llmops"; `one(plan, type_, name)` is the one resource of that type and name.
`edit` and `line_of` change and search a copy of the shipped environment files (the `project` fixture).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from llmops_infra.plan import Plan, PlannedResource

SUB = "11111111-1111-4111-8111-111111111111"
"""The mocks' subscription id."""
TENANT = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
"""The mocks' tenant id."""


def synth(program: Callable[[], object], location: str = "eastus") -> Plan:
    """The plan of `program` under the Azure mocks (subscription SUB, tenant TENANT)."""
    from llmops_infra.offline.mocks import AzureMocks
    from llmops_infra.offline.synth import synthesize

    return synthesize(program, environment="test", project="llmops", mocks=AzureMocks(SUB, TENANT, location))


def one(plan: Plan, type_: str, name: str) -> PlannedResource:
    """The one resource of `type_` named `name` in `plan` (fails naming how many there are)."""
    found = [r for r in plan.of_type(type_) if r.name == name]
    assert len(found) == 1, f"{type_} {name}: {len(found)} found"
    return found[0]


def edit(project: Path, old: str, new: str, name: str = "base.yaml") -> None:
    """Replace the first `old` in environments/NAME of `project` (which must contain it) by `new`."""
    path = project / "environments" / name
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def line_of(project: Path, needle: str, name: str = "base.yaml") -> int:
    """The first line of environments/NAME of `project` that contains `needle` (1-based)."""
    lines = (project / "environments" / name).read_text().splitlines()
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


def replace_with_link(path: Path) -> None:
    """Put a symbolic link at `path` to a copy of its content beside it (a planted link, for tests of
    caches that must not read through one)."""
    target = path.with_name(f"{path.name}.elsewhere")
    target.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(target)
