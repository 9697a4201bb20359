"""Benchmark the offline plan: per environment, and as the estate grows.

Prints, for each shipped environment, the plan time (warm, in-process) and resource count,
the cold time of the CLI in a new process; then the time to
plan 1, 10 and 50 copies of prod in one process (one program, each copy's components
parented under a per-copy component so URNs stay unique) and the cost per resource.

    python bench/plan.py [--project-dir DIR] [--copies 1,10,50]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import pulumi


def _time(fn, repeat: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


class _Copy(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("bench:index:Copy", name)


def plan_copies(config, copies: int):
    """One program that builds `copies` estates of `config`."""
    from llmops_infra.offline.mocks import AzureMocks
    from llmops_infra.offline.synth import synthesize
    from llmops_infra.stacks.estate import PROJECT, build_estate

    original = pulumi.ComponentResource.__init__
    current: list[_Copy] = []

    def parented(self, t, name, props=None, opts=None, *args, **kwargs):
        if current and t.startswith("llmops:") and (opts is None or opts.parent is None):
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(parent=current[-1]))
        return original(self, t, name, props, opts, *args, **kwargs)

    def program() -> None:
        for index in range(copies):
            current.append(_Copy(f"copy{index}"))
            build_estate(config)

    pulumi.ComponentResource.__init__ = parented
    try:
        mocks = AzureMocks(config.azure.subscription_id, config.azure.tenant_id, config.azure.location)
        return synthesize(program, environment=config.name, project=PROJECT, mocks=mocks)
    finally:
        pulumi.ComponentResource.__init__ = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project-dir", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--copies", default="1,10,50")
    args = parser.parse_args()

    start = time.perf_counter()
    from llmops_infra.config.loader import list_environments, load_environment
    from llmops_infra.offline.planning import plan_config

    import_s = time.perf_counter() - start
    print(f"import: {import_s * 1000:.0f} ms")
    print(f"{'environment':<12}{'resources':>10}{'plan (median of 3)':>22}{'per resource':>16}")
    configs = {}
    for env in list_environments(args.project_dir):
        configs[env] = config = load_environment(env, args.project_dir)
        plan_config(config)  # warm: first-use imports of azure-native modules
        seconds, plan = _time(lambda config=config: plan_config(config))
        n = len(plan.custom_resources())
        print(f"{env:<12}{n:>10}{seconds * 1000:>19.0f} ms{seconds / max(n, 1) * 1000:>13.2f} ms")

    print("\ncold `llmops-infra plan ENV --format json` (new process: imports + synthesis + cost):")
    import subprocess
    import sys

    for env in configs:
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "llmops_infra",
                "plan",
                env,
                "--format",
                "json",
                "--project-dir",
                str(args.project_dir),
            ],
            check=True,
            capture_output=True,
        )
        print(f"{env:<12}{time.perf_counter() - start:>10.2f} s")

    prod = configs.get("prod") or next(iter(configs.values()))
    print(f"\ncopies of {prod.name} in one program:")
    print(f"{'copies':<8}{'resources':>10}{'plan':>14}{'per resource':>16}")
    for copies in (int(c) for c in args.copies.split(",")):
        seconds, plan = _time(lambda copies=copies: plan_copies(prod, copies), repeat=1)
        n = len(plan.custom_resources())
        print(f"{copies:<8}{n:>10}{seconds:>12.2f} s{seconds / max(n, 1) * 1000:>13.2f} ms")


if __name__ == "__main__":
    main()
