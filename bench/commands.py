"""Benchmark: the review commands as a user runs them, each in a new process, cold and cached.

    python bench/commands.py [--project-dir DIR] [--base REF] [--repeat N] [--fresh]

`policy check --all`, `pr-report --base REF` and `cost --compare REF`, wall and CPU seconds
(the command and every worker process it forks), median of N runs: cold (an empty plan cache;
with `--fresh` the caches derived from the installed packages are empty too, as on a new CI runner)
and cached (the plans of a run before, as on a developer's machine or a CI runner that keeps
~/.cache). Against the targets of issue 19: policy check 2 s, pr-report 3 s.
Benchmarks print figures; the tests never assert times.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from compiled import compile_package  # bench/compiled.py: this script's directory is on sys.path

TARGETS = {"policy check --all": 2.0, "pr-report": 3.0}


def run(command: list[str], project_dir: Path, cache: Path, *, fresh: bool = False) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, with the command's children) of one run. The plan cache is
    `cache`; with `fresh`, so are the caches derived from the installed packages (the SDK modules' lean
    layouts, SCHEMA-01's memo, the secrets scan's clean digests), as on a new CI runner."""
    env = {**os.environ, "LLMOPS_PLAN_CACHE_DIR": str(cache / "plans")}
    if fresh:
        env["LLMOPS_SDK_CACHE_DIR"] = str(cache / "sdk")
        env["LLMOPS_INFRA_CACHE_DIR"] = str(cache / "user")
    for name in ("LLMOPS_NO_PLAN_CACHE", "LLMOPS_NO_SDK_CACHE"):
        env.pop(name, None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=project_dir, env=env, check=False, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project-dir", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--base", default="HEAD", help="git ref for pr-report and cost --compare")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--fresh", action="store_true", help="cold also empties the SDK-derived caches, as on a new CI runner"
    )
    args = parser.parse_args()
    cli = str(Path(sys.executable).with_name("llmops-infra"))
    commands = {
        "policy check --all": [cli, "policy", "check", "--all"],
        "pr-report": [cli, "pr-report", "--base", args.base, "--format", "json"],
        "cost prod --compare": [cli, "cost", "prod", "--compare", args.base, "--format", "json"],
    }
    print(compile_package())
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average {load}, {os.cpu_count()} cores, base {args.base}; median of {args.repeat} (wall / CPU)")
    print(f"{'command':22} {'cold':>16} {'cached':>16}  target (wall)")
    for name, command in commands.items():
        cold, cached = [], []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="llmops-bench-cache-") as tmp:
                cold.append(run(command, args.project_dir, Path(tmp), fresh=args.fresh))
                cached.append(run(command, args.project_dir, Path(tmp), fresh=args.fresh))
        figures = [
            f"{statistics.median(w for w, _ in runs):6.2f} / {statistics.median(c for _, c in runs):5.2f} s"
            for runs in (cold, cached)
        ]
        target = f"{TARGETS[name]:.1f} s" if name in TARGETS else "-"
        print(f"{name:22} {figures[0]:>16} {figures[1]:>16}  {target}")


if __name__ == "__main__":
    main()
