"""The floor of an offline plan: the same resources as bare `pulumi.CustomResource`s, no framework.

Reads a plan JSON (`llmops-infra plan ENV --format json`), then, in this fresh process, registers
each custom resource (type, name, wire props) under minimal mocks and waits for the program to
finish. That is what any tool built on the Pulumi Python runtime pays for those resources; the
difference to `llmops-infra plan` is ours. bench/plan.py runs it in a new process and prints the
ratio.

    python bench/floor.py PLAN.json [--figures]

With `--figures` it prints, as JSON, the resource count and the CPU time of the registrations
alone (process_time, all threads; the imports left out), for comparing with a warm synthesis.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pulumi


class _Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


def main() -> None:
    plan = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    resources = [r for r in plan["resources"] if r.get("custom")]
    start = time.process_time()
    pulumi.runtime.set_mocks(_Mocks(), project="floor", stack="floor", preview=False)
    registered = [
        pulumi.CustomResource(r["type"], f"{index}-{r['name']}", dict(r.get("props") or {}))
        for index, r in enumerate(resources)
    ]
    # Wait for every registration, as synthesis does before it returns a plan.
    from pulumi.runtime.sync_await import _sync_await

    urns = _sync_await(pulumi.Output.all(*(r.urn for r in registered)).future())
    if "--figures" in sys.argv[2:]:
        print(json.dumps({"resources": len(urns or []), "cpu": time.process_time() - start}), flush=True)
    else:
        print(len(urns or []), flush=True)
    os._exit(0)  # the mocks' event loop is not closed cleanly at interpreter exit: skip its noise


if __name__ == "__main__":
    main()
