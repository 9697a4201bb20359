"""Benchmark the offline plan: per environment, cold against the floor, and as the estate grows.

Prints, for each shipped environment, the warm in-process plan time and resource count; the
cold `llmops-infra plan ENV --format json` in a new process (uncached and from the plan cache)
against the floor (bench/floor.py); then copies of prod in one program (each copy's components
parented under a per-copy component; the URNs still repeat across copies, since a URN names the
type chain and the resource's own name, which the mock monitor accepts, and the plan lists every
registration, same-URN ones in the order they came), each count in a new process, with the floor
at the same size. Every process figure is CPU time (user + system, all threads) and
peak RSS, which another job on the machine inflates far less than wall time; wall time is shown
too. Ratios: ours / floor, and each size's CPU per resource / one copy's.

    python bench/plan.py [--project-dir DIR] [--copies 1,6,26] [--skip-environments]
    python bench/plan.py --counts 1,6

26 copies of prod are 6,578 custom resources (issue 19's scale target is about 6,000). `--counts` prints
instead, per resource and in the main thread, the function calls, event-loop callbacks and tasks
of the copies' synthesis with the SDK's output bookkeeping and with offline/lean_outputs.py:
counts that the machine's load does not change.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pulumi
from compiled import compile_package  # bench/compiled.py: this script's directory is on sys.path

BENCH = Path(__file__).resolve().parent


@dataclass
class Run:
    """One measured process: wall and CPU seconds, peak RSS and what it printed."""

    wall: float
    cpu: float
    peak_mb: float
    stdout: bytes


_LAUNCHER = """
import json, os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as figures:
    json.dump({"cpu": usage.ru_utime + usage.ru_stime, "maxrss_kb": usage.ru_maxrss}, figures)
sys.exit(os.waitstatus_to_exitcode(status))
"""
"""Runs a command and writes its rusage. A child's peak RSS counts the memory of the process that
forked it (Linux carries the high-water mark across fork and exec), so a small launcher forks
the measured command, not this process, which holds plans."""


def measure(command: list[str], env: dict[str, str] | None = None) -> Run:
    """Run `command` to completion in a new process; its own CPU time and peak RSS."""
    with tempfile.TemporaryDirectory() as scratch:
        figures = Path(scratch) / "rusage.json"
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-S", "-c", _LAUNCHER, str(figures), *command], check=False, env=env, capture_output=True
        )
        wall = time.perf_counter() - start
        if done.returncode:
            raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr.decode()[-2000:]}")
        usage = json.loads(figures.read_text(encoding="utf-8"))
        return Run(wall, usage["cpu"], usage["maxrss_kb"] / 1024, done.stdout)


def best(command: list[str], env: dict[str, str] | None = None, repeat: int = 3) -> Run:
    """The run of median CPU time out of `repeat`."""
    runs = sorted((measure(command, env) for _ in range(repeat)), key=lambda r: r.cpu)
    return runs[len(runs) // 2]


class _Copy(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("bench:index:Copy", name)


def plan_copies(config, copies: int):
    """One program that builds `copies` estates of `config` (its platform stack)."""
    from llmops_infra.offline.mocks import AzureMocks
    from llmops_infra.offline.synth import synthesize
    from llmops_infra.stacks.estate import PROJECT, build_estate

    original = pulumi.ComponentResource.__init__
    current: list[_Copy] = []

    def parented(self, t, name, props=None, opts=None, *args, **kwargs):
        if current and t.startswith("llmops:") and (opts is None or opts.parent is None):
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=current[-1]))
        return original(self, t, name, props, opts, *args, **kwargs)

    register = pulumi.runtime.register_stack_transformation

    def program() -> None:
        for index in range(copies):
            current.append(_Copy(f"copy{index}"))
            build_estate(config)
            # Each copy's estate registers its tagging transformation on the stack, which would run
            # every later resource through one transformation per earlier copy (N copies: N tag
            # rewrites per resource, an O(N^2) program no real estate is). The copies share one
            # config, so their transformations are the same: keep the first copy's only.
            pulumi.runtime.register_stack_transformation = _ignore_transformation

    pulumi.ComponentResource.__init__ = parented
    try:
        mocks = AzureMocks(config.azure.subscription_id, config.azure.tenant_id, config.azure.location)
        return synthesize(program, environment=config.name, project=PROJECT, mocks=mocks)
    finally:
        pulumi.ComponentResource.__init__ = original
        pulumi.runtime.register_stack_transformation = register


def _ignore_transformation(transformation) -> None:
    return None


def repeats(copies: int) -> int:
    """How many times a size is planned in its process (the median is shown): a small size takes
    a fraction of a second, and one sample of it moved the per-resource ratio by 0.4 on this host."""
    return 5 if copies <= 2 else 3 if copies <= 8 else 1


def copies_child(project_dir: Path, environment: str, copies: int, plan_file: Path) -> None:
    """In this (new) process: plan `copies` of `environment` warm `repeats(copies)` times, print
    the median run's figures as JSON and write the plan JSON to `plan_file` (for the floor)."""
    from llmops_infra.config.loader import load_environment
    from llmops_infra.offline.planning import plan_config

    config = load_environment(environment, project_dir)
    plan_config(config)  # warm: first-use imports of the provider SDK modules
    warm_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    runs = []
    for _ in range(repeats(copies)):
        cpu, wall = time.process_time(), time.perf_counter()
        plan = plan_copies(config, copies)
        runs.append((time.process_time() - cpu, time.perf_counter() - wall))
    cpu, wall = statistics.median_low(runs)  # the run of median CPU (an odd count: the middle one)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    plan_file.write_text(plan.to_json(), encoding="utf-8")
    figures = {"resources": len(plan.custom_resources()), "cpu": cpu, "wall": wall}
    print(json.dumps({**figures, "peak_mb": peak_mb, "warm_mb": warm_mb}))


def environments(project_dir: Path) -> list[str]:
    from llmops_infra.config.loader import list_environments, load_environment
    from llmops_infra.offline.planning import plan_config

    print(f"{'environment':<12}{'resources':>10}{'warm plan (median of 3, CPU)':>32}{'per resource':>16}")
    names = list_environments(project_dir)
    for env in names:
        config = load_environment(env, project_dir)
        plan_config(config)  # warm: first-use imports of the provider SDK modules
        times = []
        for _ in range(3):
            start = time.process_time()
            plan = plan_config(config)
            times.append(time.process_time() - start)
        seconds, n = statistics.median(times), len(plan.custom_resources())
        print(f"{env:<12}{n:>10}{seconds * 1000:>29.0f} ms{seconds / max(n, 1) * 1000:>13.2f} ms")
    return names


def cold(project_dir: Path, names: list[str]) -> None:
    print(
        "\ncold `llmops-infra plan ENV --format json` (new process: imports + synthesis + cost), against the floor"
        "\n(bench/floor.py: the same custom resources as bare pulumi.CustomResource under minimal mocks, new process);"
        "\nCPU seconds (median of 3), peak RSS:"
    )
    print(f"{'environment':<12}{'no cache':>18}{'cache hit':>18}{'floor':>18}{'no cache/floor':>16}{'hit/floor':>11}")
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "LLMOPS_PLAN_CACHE_DIR": str(Path(scratch) / "plans")}
        env.pop("LLMOPS_NO_PLAN_CACHE", None)
        for name in names:
            command = [sys.executable, "-m", "llmops_infra", "plan", name, "--format", "json"]
            command += ["--project-dir", str(project_dir)]
            uncached = best([*command, "--no-cache"], env)
            measure(command, env)  # fill the cache
            hit = best(command, env)
            plan_file = Path(scratch) / f"{name}.json"
            plan_file.write_bytes(hit.stdout)
            floor = best([sys.executable, str(BENCH / "floor.py"), str(plan_file)])
            print(
                f"{name:<12}{_fig(uncached):>18}{_fig(hit):>18}{_fig(floor):>18}"
                f"{uncached.cpu / floor.cpu:>15.1f}x{hit.cpu / floor.cpu:>10.1f}x"
            )


def _fig(run: Run) -> str:
    return f"{run.cpu:.2f} s {run.peak_mb:.0f} MB"


def scale(project_dir: Path, copies_list: list[int]) -> None:
    print(
        "\ncopies of prod's platform stack in one program, each size in a new process (warm imports);"
        "\nCPU and wall of the synthesis (median of 5 runs up to 2 copies, of 3 up to 8, else one run),"
        "\npeak RSS of the process; floor: bench/floor.py on that plan (the run of median CPU of as many):"
    )
    header = f"{'copies':<8}{'resources':>10}{'CPU':>9}{'wall':>9}{'CPU/resource':>14}{'vs 1 copy':>11}{'peak RSS':>10}"
    print(header + f"{'floor CPU':>11}{'floor RSS':>11}{'CPU/floor':>11}")
    first: float | None = None
    with tempfile.TemporaryDirectory() as scratch:
        for copies in copies_list:
            plan_file = Path(scratch) / f"copies-{copies}.json"
            command = [sys.executable, __file__, "--project-dir", str(project_dir), "--copies-child", str(copies)]
            run = measure([*command, "--plan-file", str(plan_file)])
            figures = json.loads(run.stdout.decode().strip().splitlines()[-1])
            n, cpu = figures["resources"], figures["cpu"]
            per = cpu / max(n, 1) * 1000
            first = per if first is None else first
            floor = best([sys.executable, str(BENCH / "floor.py"), str(plan_file), "--figures"], repeat=repeats(copies))
            floor_cpu = json.loads(floor.stdout.decode().strip().splitlines()[-1])["cpu"]
            print(
                f"{copies:<8}{n:>10}{cpu:>7.2f} s{figures['wall']:>7.2f} s{per:>11.2f} ms{per / first:>10.2f}x"
                f"{figures['peak_mb']:>7.0f} MB{floor_cpu:>9.2f} s{floor.peak_mb:>8.0f} MB{cpu / floor_cpu:>10.1f}x"
            )


def counts(project_dir: Path, copies_list: list[int]) -> None:
    import contextlib
    import cProfile
    import pstats

    from llmops_infra.config.loader import load_environment
    from llmops_infra.offline import lean_outputs
    from llmops_infra.offline.planning import plan_config

    config = load_environment("prod", project_dir)
    plan_config(config)  # warm: first-use imports of the provider SDK modules
    lean = lean_outputs.installed
    print(f"{'bookkeeping':<13}{'copies':>7}{'resources':>11}{'calls':>9}{'callbacks':>11}{'tasks':>7}  (per resource)")
    for name, installed in (("SDK", contextlib.nullcontext), ("lean", lean)):
        lean_outputs.installed = installed
        try:
            for copies in copies_list:
                profile = cProfile.Profile()
                profile.enable()
                plan = plan_copies(config, copies)
                profile.disable()
                n = len(plan.custom_resources())
                stats = pstats.Stats(profile).stats
                calls = sum(v[1] for v in stats.values())
                soon = sum(v[1] for k, v in stats.items() if k[2] == "_call_soon")
                tasks = sum(v[1] for k, v in stats.items() if k[2] == "create_task")
                print(f"{name:<13}{copies:>7}{n:>11}{calls / n:>9.0f}{soon / n:>11.1f}{tasks / n:>7.1f}")
        finally:
            lean_outputs.installed = lean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project-dir", type=Path, default=BENCH.parent)
    parser.add_argument("--copies", default="1,6,26")
    parser.add_argument("--skip-environments", action="store_true", help="only the copies")
    parser.add_argument("--counts", help="copies to count calls and callbacks of (e.g. 1,6), instead")
    parser.add_argument("--copies-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--plan-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.copies_child is not None:
        copies_child(args.project_dir, "prod", args.copies_child, args.plan_file)
        return
    if args.counts:
        counts(args.project_dir, [int(c) for c in args.counts.split(",")])
        return
    print(compile_package())
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}, {os.cpu_count()} cores")
    if not args.skip_environments:
        cold(args.project_dir, environments(args.project_dir))
    scale(args.project_dir, [int(c) for c in args.copies.split(",")])


if __name__ == "__main__":
    main()
