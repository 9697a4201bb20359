"""Independent offline work (one environment, one side of a comparison) in parallel processes.

Planning is CPU-bound Python under the Pulumi runtime's event loop, so threads do not help; each
task runs in its own process. The parent imports what planning needs once before the pool
starts (`warm`), so forked children share those modules instead of importing the provider SDKs
each. Results come back in the order of the tasks, whatever order they finish in, so output is
the same as a serial run's.

`LLMOPS_JOBS` sets the number of processes (1 runs everything in this process, as does a single
task, a one-core machine or a platform where workers cannot be forked). Tasks that are all cheap here
(the caller's `cheap` says so: their plans are in the plan cache) run in this process too: each
worker would import the provider SDKs again for the policy rules, and the parent the estate's modules
before forking, which costs more than the tasks (`policy check --all` of three cached environments:
about 1.7 s in one process, 2.0-2.7 s wall with two workers, 2026-12-02). A task's exception is raised again in the parent, the first one by
task order; tasks handle their expected errors themselves and return them as results.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

from llmops_infra.errors import ConfigError

T = TypeVar("T")
R = TypeVar("R")

JOBS_ENV = "LLMOPS_JOBS"


def jobs(tasks: int) -> int:
    """How many processes run `tasks` tasks: `LLMOPS_JOBS` if set, else the usable cores, at most one
    per task and at least one."""
    raw = os.environ.get(JOBS_ENV, "").strip()
    if raw:
        if not raw.isdigit() or int(raw) < 1:
            raise ConfigError(
                f"{JOBS_ENV} must be a whole number of processes, 1 or more (1 runs everything in one process)",
                key=JOBS_ENV,
            )
        wanted = int(raw)
    else:
        wanted = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(wanted, tasks))


def warm() -> None:
    """Import what synthesis needs (the provider SDK modules the estate uses) in this process, so that
    forked workers start with them loaded."""
    from llmops_infra.offline import lean_imports

    lean_imports.install()
    import llmops_infra.offline.mocks
    import llmops_infra.offline.synth
    import llmops_infra.stacks.estate  # noqa: F401


def run_all(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    waiting: Callable[[], AbstractContextManager[Any]] = nullcontext,
    cheap: Callable[[T], bool] | None = None,
) -> list[R]:
    """`[fn(item) for item in items]`, in parallel processes when there is more than one task and core.

    `fn` must be a module-level function and items and results picklable. Only forked workers are
    used (`_can_fork`); elsewhere the tasks run one after another here.
    `waiting` (e.g. a spinner) is entered only after the workers are forked: no thread of it is
    running when a process is copied. When `cheap` holds for every item, they run here.
    """
    workers = jobs(len(items))
    if workers == 1 or not _can_fork() or (cheap is not None and all(cheap(item) for item in items)):
        with waiting():
            return [fn(item) for item in items]
    warm()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_fresh_event_loop) as pool:
        futures = [pool.submit(fn, item) for item in items]  # with fork, every worker starts here
        with waiting():
            return [future.result() for future in futures]


def _fresh_event_loop() -> None:
    """A new event loop for the forked worker. The Pulumi runtime runs each program on the thread's
    event loop and sends every registration to that loop's default thread pool; a loop copied from a
    parent that had already synthesized something holds a pool whose threads were not copied, so
    work sent to it would wait forever."""
    import asyncio

    asyncio.set_event_loop(asyncio.new_event_loop())


def _can_fork() -> bool:
    """Whether workers can be forked: they then inherit this process's settings (a `--prices`
    override, the plan cache switch) as well as its modules. Where they would be spawned (Windows;
    macOS, where Python does not fork by default) the tasks run in this process instead."""
    import sys

    return "fork" in multiprocessing.get_all_start_methods() and sys.platform.startswith("linux")
