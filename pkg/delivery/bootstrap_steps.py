"""What a bootstrap step is, what it works on, and what a run returns (shared by every step module)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from llmops_infra.delivery.bootstrap_spec import BootstrapSpec

CREATED, UPDATED, UNCHANGED, SKIPPED = "created", "updated", "unchanged", "skipped"


@dataclass(frozen=True)
class Step:
    system: str
    """Azure, GitHub or Azure DevOps."""
    describe: str
    run: Callable[[BootstrapContext], str]
    """Does the step; returns CREATED, UPDATED, UNCHANGED or SKIPPED."""


@dataclass
class BootstrapContext:
    spec: BootstrapSpec
    clients: Any
    """The API clients (bootstrap_clients.Clients)."""
    outputs: dict[str, str] = field(default_factory=dict)
    """What earlier steps learned (identity client id, service connection id...)."""
    admin: list[str] = field(default_factory=list)
    """What an administrator must still do."""
    secrets: dict[str, str] = field(default_factory=dict)
    """Secret values to store (never printed)."""


@dataclass(frozen=True)
class Outcome:
    results: list[tuple[Step, str]]
    admin: list[str]
    outputs: dict[str, str]
