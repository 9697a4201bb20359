"""Independent offline work in forked processes (offline/parallel.py): same results, same order, same errors."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

from llmops_infra.errors import ConfigError
from llmops_infra.offline import parallel


def _pid_and_square(n: int) -> tuple[int, int]:
    return os.getpid(), n * n


def _fail_on_two(n: int) -> int:
    if n == 2:
        raise ConfigError("two is refused", key="n", file="x.yaml", line=3)
    return n


def _within(seconds: int, fn):
    """`fn()`, failing the test instead of hanging it when it takes longer than `seconds`."""
    import signal

    def expired(*_):
        import multiprocessing

        for child in multiprocessing.active_children():  # so that the pool's shutdown does not wait on them
            child.kill()
        raise TimeoutError(f"still running after {seconds} s: forked workers hang")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        return fn()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_jobs_follow_the_setting_the_cores_and_the_task_count(monkeypatch):
    monkeypatch.setenv(parallel.JOBS_ENV, "8")
    assert parallel.jobs(3) == 3
    assert parallel.jobs(0) == 1
    monkeypatch.setenv(parallel.JOBS_ENV, "1")
    assert parallel.jobs(5) == 1
    monkeypatch.delenv(parallel.JOBS_ENV)
    assert 1 <= parallel.jobs(64) <= (os.cpu_count() or 1)


@pytest.mark.parametrize("raw", ["0", "-1", "two", "1.5"])
def test_a_bad_jobs_setting_is_bad_input_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv(parallel.JOBS_ENV, raw)
    with pytest.raises(ConfigError, match="LLMOPS_JOBS must be a whole number") as info:
        parallel.jobs(2)
    assert info.value.key == parallel.JOBS_ENV


@pytest.mark.skipif(not parallel._can_fork(), reason="workers are forked only on Linux")
def test_tasks_run_in_other_processes_and_come_back_in_order(monkeypatch):
    monkeypatch.setenv(parallel.JOBS_ENV, "2")
    entered: list[int] = []

    @contextmanager
    def waiting():
        entered.append(len(entered))
        yield

    results = parallel.run_all(_pid_and_square, [5, 1, 4, 2, 3], waiting=waiting)
    assert [square for _, square in results] == [25, 1, 16, 4, 9]
    assert os.getpid() not in {pid for pid, _ in results}
    assert entered == [0]  # the spinner is entered once, after the workers exist


def test_one_job_runs_here(monkeypatch):
    monkeypatch.setenv(parallel.JOBS_ENV, "1")
    results = parallel.run_all(_pid_and_square, [2, 3])
    assert results == [(os.getpid(), 4), (os.getpid(), 9)]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_task_error_reaches_the_caller_with_its_location(monkeypatch, jobs):
    monkeypatch.setenv(parallel.JOBS_ENV, jobs)
    with pytest.raises(ConfigError, match="two is refused") as info:
        parallel.run_all(_fail_on_two, [1, 2, 3])
    assert (info.value.file, info.value.line, info.value.key) == ("x.yaml", 3, "n")


@pytest.mark.skipif(not parallel._can_fork(), reason="workers are forked only on Linux")
def test_policy_check_of_several_environments_is_the_same_in_parallel(project: Path, monkeypatch):
    """One environment broken, two planned: the parallel report equals the serial one, in order.

    The serial run goes first on purpose: it leaves the Pulumi runtime's thread pool running in this
    process, which forked workers must not inherit (they hung on it before `_fresh_event_loop`)."""
    from llmops_infra.offline.policy_check import check_environments

    staging = project / "environments" / "staging.yaml"
    staging.write_text(staging.read_text() + "\nnot_a_setting: 1\n")
    names = ["prod", "staging", "dev"]
    monkeypatch.setenv(parallel.JOBS_ENV, "1")
    serial = check_environments(names, project)
    monkeypatch.setenv(parallel.JOBS_ENV, "3")
    forked = _within(90, lambda: check_environments(names, project))
    assert forked == serial
    assert [r.environment for r in forked] == names
    assert forked[1].config_errors and not forked[0].config_errors and forked[0].resources > 100


@pytest.mark.skipif(not parallel._can_fork(), reason="workers are forked only on Linux")
def test_cheap_tasks_run_here_and_one_costly_task_sends_them_to_workers(monkeypatch):
    monkeypatch.setenv(parallel.JOBS_ENV, "2")
    here = parallel.run_all(_pid_and_square, [2, 3], cheap=lambda n: True)
    assert here == [(os.getpid(), 4), (os.getpid(), 9)]
    forked = _within(60, lambda: parallel.run_all(_pid_and_square, [2, 3], cheap=lambda n: n == 2))
    assert [square for _, square in forked] == [4, 9]
    assert os.getpid() not in {pid for pid, _ in forked}
