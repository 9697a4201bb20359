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
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pulumi import output as _output
from pulumi.runtime import rpc as _rpc

HOOKS: dict[str, tuple[object, str]] = {
    "pulumi.runtime.rpc.transfer_properties": (_rpc, "transfer_properties"),
    "pulumi.runtime.rpc.contains_unknowns": (_rpc, "contains_unknowns"),
    "pulumi.output.Output": (_output, "Output"),
    "pulumi.output._OutputData": (_output, "_OutputData"),
    "pulumi.output.Unknown": (_output, "Unknown"),
}
"""The SDK internals replaced or used here (sdk_hooks.check() verifies each is still there)."""

_OutputData = _output._OutputData
_Output = _output.Output
_Unknown = _output.Unknown
_SCALARS = (str, int, float, bool, type(None))


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


def mismatches() -> list[str]:
    """How the installed SDK differs from what the replacements assume (empty when it does not)."""
    found = []
    params = list(inspect.signature(_rpc.transfer_properties).parameters)
    if params != ["res", "props", "custom"]:
        found.append(f"pulumi.runtime.rpc.transfer_properties takes {params}, not [res, props, custom]")
    fields = [f.name for f in dataclasses.fields(_OutputData)]
    if fields != ["resources", "value", "is_known", "is_secret"]:
        found.append(f"pulumi.output._OutputData has fields {fields}, not [resources, value, is_known, is_secret]")
    return found


_REPLACEMENTS = {"transfer_properties": transfer_properties, "contains_unknowns": contains_unknowns}


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
