"""What the installed pulumi-azure-native SDK says a resource accepts: each input's wire name and type.

The resource's args class (`VaultArgs`, or `ActionGroupInitArgs` where a nested type took the plain
name) is a `pulumi.input_type`; its properties carry their wire names (`@pulumi.getter(name=...)`,
the SDK's own name table) and return annotations that name their types: another input type
(nested), a union of input types (`OnlineDeployment.properties`), a list or a map of them, an enum
or a scalar. The annotations are walked as objects (their forward references resolved in the
defining module), not evaluated with `typing.get_type_hints`, which costs tens of milliseconds per
class in the SDK's large `_inputs` modules. Everything is read on first use and kept.
"""

from __future__ import annotations

import collections.abc
import functools
import importlib
import sys
import typing
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

AZURE = "azure-native:"


@dataclass(frozen=True)
class Shape:
    """What a value may be, by what it can hold: `objects` (input types: their keys are checked),
    `items` (a list of shapes), `values` (a map with free keys), or `free` (anything, unchecked)."""

    objects: tuple[type, ...] = ()
    items: Shape | None = None
    values: Shape | None = None
    free: bool = False
    module: ModuleType | None = field(default=None, compare=False)


def args_class(token: str) -> type | None:
    """The args input type of an azure-native resource type token; None when the SDK has no such resource."""
    parts = token.split(":")
    if len(parts) != 3 or not token.startswith(AZURE):
        return None
    _, module_path, name = parts
    try:
        package = importlib.import_module("pulumi_azure_native." + module_path.replace("/", "."))
        resource = getattr(package, name)
    except (ImportError, AttributeError):
        return None
    module = sys.modules.get(getattr(resource, "__module__", ""), None)
    if module is None:
        return None
    for candidate in (f"{name}InitArgs", f"{name}Args"):
        found = vars(module).get(candidate)
        if isinstance(found, type) and found.__module__ == module.__name__:
            return found
    return None


def global_name(module: ModuleType, name: str) -> Any:
    """What `name` means in `module`'s code: its global, else what its `__builtins__` mapping gives
    (where an offline plan defers the SDK's classes, that mapping builds them: offline/lean_classes.py)."""
    namespace = vars(module)
    if name in namespace:
        return namespace[name]
    fallback = namespace.get("__builtins__")
    if isinstance(fallback, collections.abc.Mapping):
        try:
            return fallback[name]
        except KeyError:
            return None
    return None


@functools.cache
def fields(cls: type) -> dict[str, Shape]:
    """Wire name -> shape, for one input type."""
    from pulumi import _types

    module = sys.modules[cls.__module__]
    return {
        wire: shape_of(prop.fget.__annotations__.get("return", Any), module)
        for _python, wire, prop in _types._py_properties(cls)
    }


def shape_of(annotation: Any, module: ModuleType) -> Shape:
    """The shape an annotation allows (`Input[...]`, `Optional[...]`, `Output[T]` see through)."""
    from pulumi import _types

    objects: list[type] = []
    items: list[Any] = []
    values: list[Any] = []
    free = False

    def walk(node: Any) -> None:
        nonlocal free
        if isinstance(node, (typing.ForwardRef, str)):
            name = node.__forward_arg__ if isinstance(node, typing.ForwardRef) else node
            if name == "Output[T]":  # the Output arm of every Input[...]
                return
            target = global_name(module, name)
            if target is None:
                free = True
            else:
                walk(target)
            return
        origin = typing.get_origin(node)
        arguments = typing.get_args(node)
        if origin is typing.Union or origin is collections.abc.Awaitable:
            for argument in arguments:
                walk(argument)
        elif origin in (collections.abc.Sequence, list):
            items.extend(arguments[:1])
        elif origin in (collections.abc.Mapping, dict):
            values.extend(arguments[1:2])
        elif node is type(None):
            return
        elif isinstance(node, type) and _types.is_input_type(node):
            objects.append(node)
        elif node is Any or node is typing.Any:
            free = True
        # anything else (str, int, bool, float, an enum) is a scalar: nothing inside to check

    walk(annotation)
    return Shape(
        objects=tuple(dict.fromkeys(objects)),
        items=shape_of(items[0], module) if items else None,
        values=shape_of(values[0], module) if values else None,
        free=free,
        module=module,
    )


def known(shape: Shape) -> dict[str, Shape]:
    """The keys a mapping of this shape may hold (the union of its input types' wire names)."""
    merged: dict[str, Shape] = {}
    for cls in shape.objects:
        for name, inner in fields(cls).items():
            merged.setdefault(name, inner)
    return merged


@functools.cache
def resource_shape(token: str) -> Shape | None:
    cls = args_class(token)
    return Shape(objects=(cls,), module=sys.modules[cls.__module__]) if cls is not None else None
