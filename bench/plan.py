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


def _wall(fn, repeat: int = 3) -> float:
    """Median wall time of `fn` (a new process each time)."""
    return _time(fn, repeat)[0]


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

    print(
        "\ncold `llmops-infra plan ENV --format json` (new process: imports + synthesis + cost), against the floor"
        "\n(bench/floor.py: the same custom resources as bare pulumi.CustomResource under minimal mocks, new process):"
    )
    print(f"{'environment':<12}{'no cache':>10}{'cache hit':>11}{'floor':>9}{'no cache/floor':>16}{'hit/floor':>11}")
    import os
    import subprocess
    import sys
    import tempfile

    bench_dir = Path(__file__).resolve().parent
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "LLMOPS_PLAN_CACHE_DIR": str(Path(scratch) / "plans")}
        env.pop("LLMOPS_NO_PLAN_CACHE", None)
        for name in configs:
            command = [sys.executable, "-m", "llmops_infra", "plan", name, "--format", "json"]
            command += ["--project-dir", str(args.project_dir)]
            uncached = _wall(
                lambda command=command: subprocess.run(
                    [*command, "--no-cache"], env=env, check=True, capture_output=True
                )
            )
            subprocess.run(command, env=env, check=True, capture_output=True)  # fill the cache
            hit = _wall(lambda command=command: subprocess.run(command, env=env, check=True, capture_output=True))
            plan_file = Path(scratch) / f"{name}.json"
            plan_file.write_bytes(subprocess.run(command, env=env, check=True, capture_output=True).stdout)
            floor_cmd = [sys.executable, str(bench_dir / "floor.py"), str(plan_file)]
            floor = _wall(lambda floor_cmd=floor_cmd: subprocess.run(floor_cmd, check=True, capture_output=True))
            print(
                f"{name:<12}{uncached:>8.2f} s{hit:>9.2f} s{floor:>7.2f} s{uncached / floor:>15.1f}x{hit / floor:>10.1f}x"
            )

    prod = configs.get("prod") or next(iter(configs.values()))
    print(f"\ncopies of {prod.name} in one program:")
    print(f"{'copies':<8}{'resources':>10}{'plan':>14}{'per resource':>16}")
    for copies in (int(c) for c in args.copies.split(",")):
        seconds, plan = _time(lambda copies=copies: plan_copies(prod, copies), repeat=1)
        n = len(plan.custom_resources())
        print(f"{copies:<8}{n:>10}{seconds:>12.2f} s{seconds / max(n, 1) * 1000:>13.2f} ms")


if __name__ == "__main__":
    main()
