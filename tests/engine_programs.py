"""Tiny Pulumi programs for the engine tests (tests/test_engine_real.py).

No provider plugin is available offline, so the programs are made of component resources and
of dynamic-provider resources (`pulumi-resource-pulumi-python`, shipped next to the CLI). The
dynamic providers are pickled by reference to this module, so the provider process needs this
directory on PYTHONPATH (the tests set it). Run as a script, a program holds the stack's lock
or crashes mid-create from a separate process:

    python engine_programs.py PROJECT_DIR hold|crash MARKER_FILE
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, ResourceProvider


class Box(pulumi.ComponentResource):
    """A component with a child: what the estate's components look like to the engine."""

    def __init__(
        self,
        name: str,
        props: dict | None = None,
        opts: pulumi.ResourceOptions | None = None,
        type_: str = "llmops:test:Box",
    ) -> None:
        super().__init__(type_, name, props, opts)
        self.register_outputs({})


def boxes(count: int = 2, *, secret_from_config: bool = False):
    def program() -> None:
        root = Box("root")
        for i in range(count - 1):
            Box(f"root-child{i}", opts=pulumi.ResourceOptions(parent=root))
        pulumi.export("count", count)
        if secret_from_config:
            pulumi.export("token", pulumi.Config("app").require_secret("token"))

    return program


class SlowProvider(ResourceProvider):
    """Writes a marker when its create starts, then takes `delay` seconds."""

    def create(self, props):
        Path(props["marker"]).write_text("creating")
        time.sleep(float(props["delay"]))
        return CreateResult(id_="slow-1", outs=props)


class Slow(Resource):
    def __init__(self, name: str, marker: str, delay: float) -> None:
        super().__init__(SlowProvider(), name, {"marker": marker, "delay": delay})


def slow(marker: Path, delay: float):
    def program() -> None:
        Slow("slow", str(marker), delay)

    return program


class FileProvider(ResourceProvider):
    """A "cloud" resource that is a JSON file: editing the file is drift."""

    def create(self, props):
        Path(props["path"]).write_text(json.dumps({"size": props["size"]}))
        return CreateResult(id_=props["path"], outs=props)

    def read(self, id_, props):
        return ReadResult(id_=id_, outs={**props, **json.loads(Path(id_).read_text())})


class FileThing(Resource):
    def __init__(self, name: str, path: str, size: int) -> None:
        super().__init__(FileProvider(), name, {"path": path, "size": size})


def file_thing(path: Path, size: int):
    def program() -> None:
        FileThing("thing", str(path), size)

    return program


def hold(marker: Path, seconds: float):
    def program() -> None:
        Box("root")
        marker.write_text("holding")
        time.sleep(seconds)

    return program


def main() -> None:
    from llmops_infra.config.loader import load_environment
    from llmops_infra.engine import lifecycle

    project, mode, marker = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    config = load_environment("dev", project)
    program = hold(marker, 8) if mode == "hold" else slow(marker, 120)
    result = lifecycle.up(config, project, program=program)
    print(json.dumps(result.summary))


if __name__ == "__main__":
    main()


def platform_exports(**overrides: str) -> Callable[[], None]:
    """A stand-in platform stack: a component, and every output the workload stack reads."""
    from llmops_infra.stacks.platform_outputs import PlatformOutputs

    def program() -> None:
        pulumi.ComponentResource("test:index:Platform", "platform")
        for name in PlatformOutputs.names():
            pulumi.export(name, overrides.get(name, f"value-of-{name}"))

    return program


def workload_reader(environment: str) -> Callable[[], None]:
    """A stand-in workload stack: reads the platform through the same StackReference as the estate."""
    from llmops_infra.stacks.estate import PLATFORM_PROJECT
    from llmops_infra.stacks.platform_outputs import PlatformOutputs, platform_stack_name

    def program() -> None:
        reference = pulumi.StackReference(platform_stack_name(PLATFORM_PROJECT, environment))
        platform = PlatformOutputs.from_stack_reference(reference)
        pulumi.ComponentResource("test:index:Workload", "workload")
        pulumi.export("seen_cluster", platform.cluster_name)

    return program
