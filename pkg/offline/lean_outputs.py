"""Leaner output bookkeeping in the Pulumi SDK, for offline synthesis only.

For every output property of every resource (azure-native classes declare dozens, most of them
never read), the SDK's `rpc.transfer_properties` makes four futures, a task that awaits them and
an `Output` tracked in `SETTINGS.outputs` with a done-callback; each resolution then wakes the
task four times and runs the callback. `rpc.contains_unknowns` makes a self-referencing closure
per call, a reference cycle that only the cyclic collector frees (and synthesis pauses it). At
6,000 resources that was most of the event loop's callbacks and a fifth of the memory.

`installed()` swaps in equivalents, the way the SDK already builds a resource's `urn` and `id`
(`resource.resource_output`): one future per property that resolves straight to the
`_OutputData` the task would have computed (value, known, secret, dependencies: the resource
itself plus the engine's property dependencies), and a walk of nested dicts and lists without
a closure. The outputs are not put in `SETTINGS.outputs`: that set exists so the end of a
program waits for outputs still computing and re-raises their errors, and these are resolved,
or failed with the registration's own error, by the registration RPC the runtime already waits
for. Only `synth.synthesize` installs them, for the duration of one program; the engine's
`preview`/`up` run the program in the Pulumi CLI's own process, which this never touches.

`rpc.resolve_outputs` deserializes and translates every output property of a registered resource
into its typed value (output classes, enums), and first resolves the return annotations of every
property getter of the resource's class, which builds the provider SDK's output classes. A plan of
prod reads about 100 of its 4,400 output properties. The lean version resolves each property's
future at once, as the SDK does, with an `_OutputData` whose value, known-ness and secrecy are
computed when first read, by the SDK's own functions on the same wire value; its dependencies are
set at once. A value that would not translate (a mock returning the wrong shape) raises when read,
in the reading task, not at registration; a property nobody reads is never translated.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import inspect
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pulumi import _types
from pulumi import output as _output
from pulumi.runtime import rpc as _rpc
from pulumi.runtime import settings as _settings

HOOKS: dict[str, tuple[object, str]] = {
    "pulumi.runtime.rpc.transfer_properties": (_rpc, "transfer_properties"),
    "pulumi.runtime.rpc.contains_unknowns": (_rpc, "contains_unknowns"),
    "pulumi.output.Output": (_output, "Output"),
    "pulumi.output._OutputData": (_output, "_OutputData"),
    "pulumi.output.Unknown": (_output, "Unknown"),
    "pulumi.runtime.rpc.resolve_outputs": (_rpc, "resolve_outputs"),
    "pulumi.runtime.rpc.deserialize_property": (_rpc, "deserialize_property"),
    "pulumi.runtime.rpc.translate_output_properties": (_rpc, "translate_output_properties"),
    "pulumi.runtime.rpc.is_rpc_secret": (_rpc, "is_rpc_secret"),
    "pulumi.runtime.rpc.unwrap_rpc_secret": (_rpc, "unwrap_rpc_secret"),
    "pulumi.runtime.rpc._Path": (_rpc, "_Path"),
    "pulumi.runtime.rpc.UNKNOWN": (_rpc, "UNKNOWN"),
    "pulumi._types.resource_types": (_types, "resource_types"),
    "pulumi._types.resource_pulumi_to_py_names": (_types, "resource_pulumi_to_py_names"),
    "pulumi.runtime.settings.is_dry_run": (_settings, "is_dry_run"),
    "pulumi.runtime.settings.is_legacy_apply_enabled": (_settings, "is_legacy_apply_enabled"),
}
"""The SDK internals replaced or used here (sdk_hooks.check() verifies each is still there)."""

_OutputData = _output._OutputData
_Output = _output.Output
_Unknown = _output.Unknown
_SCALARS = (str, int, float, bool, type(None))
_SDK_RESOLVE_OUTPUTS = _rpc.resolve_outputs


def transfer_properties(res: Any, props: Any, custom: bool) -> dict[str, Any]:
    """`rpc.transfer_properties` with one future per property (same resolver signature)."""
    resolvers: dict[str, Any] = {}
    loop = asyncio.get_event_loop()
    attributes = res.__dict__
    for name in props:
        if name == "urn" or (name == "id" and custom):
            continue  # the SDK resolves these itself (resource_output)
        data: asyncio.Future[Any] = loop.create_future()
        resolvers[name] = functools.partial(_resolve, res, data)
        output = object.__new__(_Output)
        output._data = data
        attributes[name] = output
    return resolvers


def _resolve(
    res: Any, data: asyncio.Future[Any], value: Any, is_known: bool, is_secret: bool, deps: Any, failed: Any
) -> None:
    if failed is not None:
        data.set_exception(failed)
        data.exception()  # retrieved: the registration's own task raises it for the program
        return
    resources = set(deps) if deps else set()
    resources.add(res)
    data.set_result(_OutputData(resources=resources, value=value, is_known=is_known, is_secret=is_secret))


class _Lazy:
    """A field of `_LazyOutputData`: its place in the (value, known, secret) worked out on first read."""

    def __init__(self, index: int) -> None:
        self.index = index

    def __get__(self, data: Any, owner: Any = None) -> Any:
        return self if data is None else data._filled()[self.index]

    def __set__(self, data: Any, item: Any) -> None:
        data._filled()[self.index] = item


class _LazyOutputData(_OutputData):  # type: ignore[type-arg]
    """An `_OutputData` whose value, known-ness and secrecy are worked out when first read; its
    resources are set at once. A computation that raises raises again at the next read."""

    value = _Lazy(0)
    is_known = _Lazy(1)
    is_secret = _Lazy(2)

    def __init__(self, resources: set[Any], compute: Callable[[], tuple[Any, bool, bool]]) -> None:
        self.resources = resources
        self._compute: Callable[[], tuple[Any, bool, bool]] | None = compute
        self._state: list[Any] = []

    def _filled(self) -> list[Any]:
        if self._compute is not None:
            self._state = list(self._compute())
            self._compute = None
        return self._state


def resolve_outputs(
    res: Any,
    serialized_props: Any,
    outputs: Any,
    deps: Mapping[str, set[Any]],
    resolvers: dict[str, Any],
    custom: bool,
    transform_using_type_metadata: bool = False,
    keep_unknowns: bool = False,
    resolve_missing_as_unknown: bool = False,
) -> None:
    """`rpc.resolve_outputs` (same arguments) with each property's value translated when first read.

    The properties are resolved in the SDK's order: the engine's outputs (those that deserialize to
    something), then the inputs it gave no value for (unless previewing), then the rest as None.
    """
    if not all(isinstance(r, functools.partial) and r.func is _resolve for r in resolvers.values()):
        _SDK_RESOLVE_OUTPUTS(
            res, serialized_props, outputs, deps, resolvers, custom,
            transform_using_type_metadata, keep_unknowns, resolve_missing_as_unknown,
        )  # fmt: skip
        return
    dry_run = _settings.is_dry_run()
    translate: Callable[[str], str] = res.translate_output_property
    if transform_using_type_metadata:
        names = _types.resource_pulumi_to_py_names(type(res))
        translate = functools.partial(_renamed, names)
    wire: dict[str, tuple[str, Any, bool]] = {}  # python name: (Pulumi name, wire value, from the inputs)
    for key, value in outputs.items():
        if value is None or (value == _rpc.UNKNOWN and not (dry_run or keep_unknowns)):
            continue  # deserializes to None, which the SDK treats as absent
        wire[translate(key)] = (key, value, False)
    if not dry_run or _settings.is_legacy_apply_enabled():  # type: ignore[no-untyped-call]
        for key, value in serialized_props.items():
            wire.setdefault(translate(key), (key, value, True))
    translated_deps = {translate(key): property_deps for key, property_deps in deps.items()}
    options = (keep_unknowns, transform_using_type_metadata, dry_run)
    for name, (key, value, from_inputs) in wire.items():
        resolve = resolvers.get(name)
        if resolve is None or name == "urn" or (name == "id" and custom):
            continue
        resources = set(translated_deps.get(name) or ())
        resources.add(res)
        compute = functools.partial(_translated, res, name, key, value, from_inputs, options)
        resolve.args[1].set_result(_LazyOutputData(resources, compute))
    for name, resolve in resolvers.items():
        if name not in wire:
            resolve(None, not dry_run and not resolve_missing_as_unknown, False, translated_deps.get(name), None)


def _renamed(names: Mapping[str, str], prop: str) -> str:
    return names.get(prop) or prop


def _translated(
    res: Any, name: str, key: str, value: Any, from_inputs: bool, options: tuple[bool, bool, bool]
) -> tuple[Any, bool, bool]:
    """What `rpc.resolve_outputs` would resolve property `name` to: (value, known, secret)."""
    keep_unknowns, by_type, dry_run = options
    to_pass: Callable[[str], str] = _same if by_type else res.translate_output_property
    typ = _types.resource_types(type(res)).get(key)
    path = _rpc._Path(name, resource=f"{res._name}")
    if from_inputs:
        deserialized = _rpc.deserialize_property(value)
        translated = _rpc.translate_output_properties(
            deserialized, to_pass, typ, by_type, path=path, return_none_on_dict_type_mismatch=True
        )
    else:
        translated = _rpc.translate_output_properties(
            _rpc.deserialize_property(value, keep_unknowns), to_pass, typ, by_type, path=path
        )
    unwrapped = _rpc.unwrap_rpc_secret(translated)
    known = unwrapped is not None if dry_run else True
    return unwrapped, known and not contains_unknowns(unwrapped), _rpc.is_rpc_secret(translated)


def _same(prop: str) -> str:
    return prop


def contains_unknowns(val: Any) -> bool:
    """`rpc.contains_unknowns` without a closure per call: is an `Unknown` anywhere in `val`
    (through dicts and lists)?"""
    if isinstance(val, _SCALARS):
        return False
    pending = [val]
    seen: set[int] = set()
    while pending:
        item = pending.pop()
        if isinstance(item, _Unknown):
            return True
        if isinstance(item, dict | list):
            if id(item) in seen:
                continue
            seen.add(id(item))
            # item[key], as the SDK reads it: output types are dicts that may define `values`.
            pending.extend([item[key] for key in item] if isinstance(item, dict) else item)
    return False


_TRANSLATE_PARAMETERS = [
    "output",
    "output_transformer",
    "typ",
    "transform_using_type_metadata",
    "path",
    "return_none_on_dict_type_mismatch",
]


def mismatches() -> list[str]:
    """How the installed SDK differs from what the replacements assume (empty when it does not)."""
    found = []
    params = list(inspect.signature(_rpc.transfer_properties).parameters)
    if params != ["res", "props", "custom"]:
        found.append(f"pulumi.runtime.rpc.transfer_properties takes {params}, not [res, props, custom]")
    for function, expected in (
        (_SDK_RESOLVE_OUTPUTS, list(inspect.signature(resolve_outputs).parameters)),
        (_rpc.translate_output_properties, _TRANSLATE_PARAMETERS),
        (_rpc.deserialize_property, ["value", "keep_unknowns", "keep_internal"]),
    ):
        params = list(inspect.signature(function).parameters)
        if params != expected:
            found.append(f"pulumi.runtime.rpc.{function.__name__} takes {params}, not {expected}")
    fields = [f.name for f in dataclasses.fields(_OutputData)]
    if fields != ["resources", "value", "is_known", "is_secret"]:
        found.append(f"pulumi.output._OutputData has fields {fields}, not [resources, value, is_known, is_secret]")
    return found


_REPLACEMENTS = {
    "transfer_properties": transfer_properties,
    "contains_unknowns": contains_unknowns,
    "resolve_outputs": resolve_outputs,
}


@contextmanager
def installed() -> Iterator[None]:
    """The lean equivalents in the SDK's `rpc` module for the duration of the block."""
    saved = {name: getattr(_rpc, name) for name in _REPLACEMENTS}
    for name, replacement in _REPLACEMENTS.items():
        setattr(_rpc, name, replacement)
    try:
        yield
    finally:
        for name, original in saved.items():
            setattr(_rpc, name, original)
