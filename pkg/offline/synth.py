"""Synthesis: run a Pulumi program in-process under mocks and capture every resource.

No Pulumi CLI, no network, no credentials. The monitor records each RegisterResource request
as the engine would receive it: inputs in wire names, parent, dependencies, provider and
options. Provider type aliases (older API versions) are dropped before registration: they
only let existing state follow a type rename, mean nothing to a plan, and cost most of the
SDK's time per resource. The engine path never drops them.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pulumi

from llmops_infra.offline import lean_outputs, sdk_hooks
from llmops_infra.plan import SECRET_MARKER, Origin, Plan, PlannedResource

PROVIDER_ALIAS_PREFIXES = ("azure-native:", "kubernetes:")


class _CapturingMonitor(sdk_hooks.MockMonitor):
    """The SDK's mock monitor, plus a record of every registration request."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.mocks = self._seen = _InputsSeen(mocks)
        self.records: list[PlannedResource] = []
        self.origins: dict[str, Origin] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # As the engine does: children of the stack carry no parent type; deeper children
        # carry their parent's whole qualified type chain.
        if parent and "::pulumi:pulumi:Stack::" not in parent:
            type_ = parent.split("::")[2] + "$" + type_
        return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), type_, name])

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]  # the SDK's MockMonitor is unannotated
        if request.type == "pulumi:pulumi:Stack":
            return response
        registration = self.resources.get(response.urn)
        position = request.sourcePosition
        if position.uri:
            self.origins[response.urn] = Origin.from_position(position.uri, position.line)
        inputs = self._seen.take()  # what the SDK's monitor deserialized for the mocks: not again
        props = _redact(sdk_hooks.deserialize_properties(request.object) if inputs is None else inputs)
        outputs = {}
        if registration and request.custom:
            # Only what the provider computed: inputs are already in props.
            outputs = {k: v for k, v in _redact(registration.state).items() if props.get(k) != v}
        self.records.append(
            PlannedResource(
                type=request.type,
                name=request.name,
                urn=response.urn,
                parent=request.parent or None,
                custom=bool(request.custom),
                props=props,
                outputs=outputs,
                dependencies=sorted(set(request.dependencies)),
                provider=request.provider.rsplit("::", 1)[0] if request.provider else None,
                protect=bool(request.protect),
                ignore_changes=sorted(request.ignoreChanges),
                delete_before_replace=bool(request.deleteBeforeReplace),
                retain_on_delete=bool(request.retainOnDelete),
            )
        )
        return response


class _InputsSeen(pulumi.runtime.Mocks):
    """The mocks, keeping the inputs the SDK's monitor deserialized for the registration in progress
    on this thread (registrations run on a thread pool), so that the record does not deserialize
    the request again (about 5 % of a warm plan). Every method goes to the mocks themselves."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        self._mocks = mocks
        self._local = threading.local()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        self._local.inputs = args.inputs
        return self._mocks.new_resource(args)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        return self._mocks.call(args)

    def register_transform(self, transform: Any) -> None:
        self._mocks.register_transform(transform)

    def register_invoke_transform(self, transform: Any) -> None:
        self._mocks.register_invoke_transform(transform)

    def take(self) -> dict[str, Any] | None:
        inputs: dict[str, Any] | None = getattr(self._local, "inputs", None)
        self._local.inputs = None
        return inputs


def _redact(value: Any) -> Any:
    if sdk_hooks.is_rpc_secret(value):
        return SECRET_MARKER
    if isinstance(value, dict):
        return {k: _redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


def _drop_provider_aliases(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
    aliases = args.opts.aliases
    if not aliases:
        return None
    kept = [
        a
        for a in aliases
        if not (
            isinstance(a, pulumi.Alias)
            and isinstance(a.type_, str)
            and a.type_.startswith(PROVIDER_ALIAS_PREFIXES)
            and _unset(a.name)
            and _unset(a.parent)
            and _unset(a.stack)
            and _unset(a.project)
        )
    ]
    if len(kept) == len(aliases):
        return None
    opts = pulumi.ResourceOptions.merge(args.opts, None)
    opts.aliases = kept or None
    return pulumi.ResourceTransformationResult(args.props, opts)


def synthesize(
    program: Callable[[], None],
    *,
    environment: str,
    project: str,
    mocks: pulumi.runtime.Mocks,
    drop_aliases: bool = True,
    origin: sdk_hooks.Origin | None = None,
) -> Plan:
    """Run `program` under `mocks` as stack `environment` and return what it registered.

    Each call starts from a fresh root stack and settings, so several environments can be
    planned in one process without resources or outputs leaking between them. `origin` says,
    at each constructor call, where the resource comes from (`Plan.origins`): a config key
    for the estate (`Origin.config_uri`), a file URI and line for any program.
    """
    with sdk_hooks.live_thread_pool():
        sdk_hooks.reset_runtime()
        monitor = _CapturingMonitor(mocks)
        pulumi.runtime.set_mocks(mocks, project=project, stack=environment, preview=False, monitor=monitor)
        sdk_hooks.clear_pending()
        root = sdk_hooks.root_resource()
        outputs: dict[str, Any] = {}

        async def body() -> None:
            if drop_aliases:
                pulumi.runtime.register_stack_transformation(_drop_provider_aliases)
            program()
            for key, value in sorted(root.outputs.items()):
                output = pulumi.Output.from_input(value)
                resolved = await output.future()
                outputs[key] = SECRET_MARKER if await output.is_secret() else resolved

        with _collector_paused(), lean_outputs.installed():
            sdk_hooks.run_program(body, stack_traces=False, origin=origin, progress=lambda: len(monitor.records))
    resources = sorted(monitor.records, key=lambda r: r.urn)
    return Plan(environment=environment, project=project, resources=resources, outputs=outputs, origins=monitor.origins)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a program is synthesized (reference counting still
    frees what it can), back on afterwards.

    Synthesis allocates hundreds of thousands of futures, outputs and callbacks that stay alive
    until the program ends; each automatic collection walks the growing heap, which made the
    per-resource cost grow with the program's size. Measured (bench/plan.py, docs/performance.md):
    CPU per resource 2.5 ms at 161 resources and 5.1 ms at 966 with the collector on; 3.0 and
    3.3 ms with it off.

    What the program leaves is frozen (`gc.freeze`) before the collector is back: turned on over a
    heap it has not seen, it would first walk every object synthesis made (about 0.1 s for prod, most
    of it a plan that stays alive anyway), which a command that exits next never needs. The next
    program unfreezes them, but the collector is off from there to the next freeze, so nothing frees
    the cycles a program left: a process that synthesizes many programs keeps about 30 KB a resource
    (8 MB a plan of prod; `gc.collect()` frees it). Commands plan a few programs and exit; a collection
    at each program's start, tried, made a `@pulumi.runtime.test` test in the whole suite hang
    (docs/performance.md), so none is made here.
    """
    enabled = gc.isenabled()
    gc.disable()
    gc.unfreeze()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _unset(value: object) -> bool:
    """An `Alias` field left out holds `...` (the SDK's "not given"; its annotations omit it)."""
    return value is ...
