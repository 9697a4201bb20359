"""Benchmark: the offline policy check of every shipped environment, and per 1,000 resources.

    python bench/policy.py [--project-dir DIR] [--repeat N]

Synthesis (the Pulumi SDK under mocks) is timed apart from the check itself, which is what
the rules cost. The 1,000-resource figure replicates the prod plan's resources (fresh URNs,
dependencies remapped) until there are at least 1,000 custom resources.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from llmops_infra.plan import Plan


def replicate(plan: Plan, at_least: int) -> Plan:
    copies = -(-at_least // max(1, len(plan.custom_resources())))
    resources = []
    for i in range(copies):
        rename = {r.urn: f"{r.urn}-{i}" for r in plan.resources}
        for r in plan.resources:
            resources.append(
                dataclasses.replace(
                    r,
                    name=f"{r.name}-{i}",
                    urn=rename[r.urn],
                    parent=rename.get(r.parent or "", r.parent),
                    dependencies=[rename.get(d, d) for d in r.dependencies],
                )
            )
    return Plan(environment=plan.environment, project=plan.project, resources=resources)


def schema_walk(plan: Plan) -> int:
    """What SCHEMA-01 does for each azure-native resource of `plan` (through the same proxies)."""
    from pulumi_policy.proxy import unknown_checking_proxy

    from llmops_infra.policies.schema import unknown_keys
    from llmops_infra.policies.sdk_types import resource_shape

    found = 0
    for r in plan.custom_resources():
        shape = resource_shape(r.type) if r.type.startswith("azure-native:") else None
        if shape is not None:
            found += len(unknown_keys(unknown_checking_proxy(r.props), shape, ""))
    return found


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project-dir", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from llmops_infra.config.loader import list_environments, load_environment
    from llmops_infra.offline.planning import plan_config
    from llmops_infra.offline.policy_check import policy_settings
    from llmops_infra.policies.runner import check_plan

    start = time.perf_counter()
    envs = [load_environment(name, args.project_dir) for name in list_environments(args.project_dir)]
    plans = {c.name: plan_config(c) for c in envs}
    synth = time.perf_counter() - start
    settings = {c.name: policy_settings(c) for c in envs}
    total = sum(len(p.custom_resources()) for p in plans.values())
    first_env = next(iter(plans))
    start = time.perf_counter()
    check_plan(plans[first_env], settings[first_env])
    first = time.perf_counter() - start
    print(f"first check ({first_env}; caches cold: the SDK's input types are read on first use): {first * 1000:.1f} ms")

    check_all = best(lambda: [check_plan(plans[n], settings[n]) for n in plans], args.repeat)
    print(f"environments: {', '.join(plans)} ({total} resources)")
    print(f"synthesis (all, once, includes imports): {synth:.2f} s")
    print(f"policy check of all environments:        {check_all * 1000:.1f} ms (best of {args.repeat})")
    for name, plan in plans.items():
        one = best(lambda plan=plan, name=name: check_plan(plan, settings[name]), args.repeat)
        print(f"  {name:8} {len(plan.custom_resources()):5} resources  {one * 1000:7.1f} ms")

    name = next(iter(plans))
    alone = best(lambda: schema_walk(plans[name]), args.repeat)
    print(f"  SCHEMA-01's walk alone over {name}: {alone * 1000:.1f} ms (warm)")

    big = replicate(plans["prod"] if "prod" in plans else next(iter(plans.values())), 1000)
    n = len(big.custom_resources())
    env = big.environment
    elapsed = best(lambda: check_plan(big, settings[env]), args.repeat)
    print(
        f"replicated plan: {n} resources in {elapsed * 1000:.0f} ms -> {elapsed * 1000 / n * 1000:.0f} ms "
        f"per 1,000 resources"
    )


if __name__ == "__main__":
    main()
