"""Build a provider SDK module's classes when first used, not all when it is imported.

`pulumi_azure_native.machinelearningservices._inputs` defines about a thousand classes and
evaluates the `typing` annotations of every method while doing so: importing it costs about
0.4 s, and a plan of prod builds some 9,700 SDK classes of which it uses a few hundred. For the
`_inputs`, `outputs` and `_enums` modules of the packages `lean_imports` makes lean, this loader
runs the module's top-level statements except its top-level class statements, and runs each of
those (its header compiled from the module's source at its own lines, its body the module's own
compiled body) in the module's namespace the first time the name is looked up:

- from outside, as a module attribute (`outputs.SubnetResponse`, `from ._inputs import X`), through
  the module's PEP 562 `__getattr__`;
- from inside the package's modules (a bare `SubnetArgs` in a function body, or a string
  annotation that Pulumi evaluates in the module's globals), through the module's `__builtins__`
  mapping, which Python consults after the module's globals: `_Names.__missing__` builds the
  class in this module or in a lean module this module star-imports.

A class statement is found from the module's compiled code, which the normal import cache
(`__pycache__`) provides: each top-level class body is a constant of the module's code, its first
line is the statement's first line (the first decorator's), and the statement ends where the
next top-level statement's instructions begin. Anything else (a class inside an `if`, a line
that does not start with `@` or `class`) stays eager, so the module's behaviour is unchanged,
only the cost. A name bound again by a later top-level statement keeps that binding. What is found
(the eager rest of the module compiled, each deferred statement's place, header and body) is kept
on disk by `lean_cache` for the next process, which then reads neither the module's source nor its
whole bytecode.

Limits: `__all__` lists only the eager names (`dir()` lists all); `typing.get_type_hints(cls)`
called without `globalns` evaluates a class's string annotations in a namespace without the
module's `__builtins__` and cannot see a class not built yet (Pulumi always passes the module's
globals). Installed with `lean_imports.install()` (offline synthesis, the offline policy check).
`up` runs its inline programs in the same process after its gates planned offline, so the real
deployment uses the modules as they were loaded: the same classes, built when first used
(tests/test_lean_classes.py compares them with the eager ones).
"""

from __future__ import annotations

import bisect
import builtins
import importlib
import importlib.abc
import importlib.machinery
import marshal
import re
import sys
import threading
from dataclasses import dataclass
from types import CodeType, ModuleType
from typing import Any

from llmops_infra.offline import lean_cache

LAZY_MODULES = frozenset({"_inputs", "outputs", "_enums"})
_STAR = re.compile(r"from (\.*[\w.]*) import \*\s*$", re.M)
_CLASS = re.compile(r"class (\w+)\b")
_LOCK = threading.RLock()
_MISSING = object()


@dataclass(frozen=True)
class Deferred:
    """A top-level class statement: where it is, its header's text and its compiled body."""

    first: int  # 0-based index of its first line (the first decorator's, or the `class` line)
    end: int  # 0-based index of the line after it
    header: str  # the decorator lines and the `class` line
    body: CodeType | bytes  # the class body, compiled with the module (marshalled, from lean_cache)


def deferrable(code: CodeType, lines: list[str]) -> dict[str, Deferred]:
    """The top-level class statements of a module that can run later, by name."""
    statements = sorted({line for _, _, line in code.co_lines() if line})
    found: dict[str, Deferred] = {}
    for const in code.co_consts:
        if not isinstance(const, CodeType) or const.co_qualname != const.co_name:
            continue
        first = line = const.co_firstlineno - 1
        while line < len(lines) and lines[line].startswith("@"):
            line += 1  # generated decorators take a line each
        match = _CLASS.match(lines[line]) if line < len(lines) else None
        if match is None or match.group(1) != const.co_name or const.co_name in found:
            continue  # a class inside an `if`, a function, an unusual header: left eager
        if not lines[line].rstrip().endswith(":"):
            continue  # a header over several lines, or a one-line class: left eager
        after = bisect.bisect_right(statements, line + 1)  # the body's own lines are not the module's
        end = statements[after] - 1 if after < len(statements) else len(lines)
        found[const.co_name] = Deferred(first, end, "".join(lines[first : line + 1]), const)
    return found


def _run(module: ModuleType, name: str, statement: Deferred, filename: str) -> None:
    """Run the class statement: its header compiled now (at its own lines), its body the module's."""
    body = statement.body if isinstance(statement.body, CodeType) else marshal.loads(statement.body)
    compiled = compile(statement.header + "    pass\n", filename, "exec", dont_inherit=True)
    consts = tuple(
        body if isinstance(const, CodeType) and const.co_name == name else const for const in compiled.co_consts
    )
    # Compiled at line 1, moved to its own lines: a code object's line table counts from co_firstlineno.
    moved = compiled.replace(co_firstlineno=compiled.co_firstlineno + statement.first, co_consts=consts)
    exec(moved, module.__dict__)


@dataclass
class _Pending:
    filename: str
    statements: dict[str, Deferred | None]  # None once run
    exported: frozenset[str] = frozenset()  # the deferred names a star import of the module binds


def _build(module: ModuleType, name: str) -> Any:
    """The class `name` of `module`, its deferred statement run once; `_MISSING` if it has none."""
    state: _Pending | None = module.__dict__.get("__lean_classes__")
    if state is None or name not in state.statements:
        return _MISSING
    with _LOCK:
        statement = state.statements[name]
        if statement is not None:
            if name not in module.__dict__:  # bound since by a later statement of the module: that one stands
                _run(module, name, statement, state.filename)
            state.statements[name] = None
    return module.__dict__[name]


class _Names(dict[str, Any]):
    """A module's `__builtins__`: the builtins, then the deferred classes the module can see."""

    def __init__(self, module: ModuleType, stars: list[str]) -> None:
        super().__init__(builtins.__dict__)
        self.module = module
        self.stars = stars

    def __missing__(self, name: str) -> Any:
        if name in builtins.__dict__:
            return builtins.__dict__[name]  # one added after the module was loaded
        value = _build(self.module, name)
        if value is not _MISSING:
            return value
        for source in self.stars:
            star = sys.modules.get(source) or importlib.import_module(source)
            state: _Pending | None = star.__dict__.get("__lean_classes__")
            if state is None or name not in state.exported:
                continue
            value = _build(star, name)
            if value is not _MISSING:
                self.module.__dict__.setdefault(name, value)  # what `from source import *` would have bound
                return value
        raise KeyError(name)


def _star_sources(source: str, package: str) -> list[str]:
    """The lean modules `source` star-imports (`from ._inputs import *`), as absolute names."""
    names = []
    at = source.find(" import *")
    while at != -1:
        match = _STAR.match(source, source.rfind("\n", 0, at) + 1)
        if match is not None:
            target = match.group(1)
            stripped = target.lstrip(".")
            depth = len(target) - len(stripped)
            base = package.rsplit(".", depth - 1)[0] if depth > 1 else package
            names.append(target if depth == 0 else f"{base}.{stripped}" if stripped else base)
        at = source.find(" import *", at + 1)
    return [name for name in names if name.rpartition(".")[2] in LAZY_MODULES]


def _module_getattr(module: ModuleType) -> Any:
    def __getattr__(name: str) -> Any:  # PEP 562: `module.Name`, `from module import Name`
        value = _build(module, name)
        if value is _MISSING:
            raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")
        return value

    return __getattr__


class LeanModuleLoader(importlib.abc.Loader):
    """Loads a provider SDK submodule; an `_inputs`/`outputs`/`_enums` module with its classes deferred."""

    def __init__(self, real: importlib.machinery.SourceFileLoader) -> None:
        self.real = real

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        name = module.__name__
        filename = self.real.get_filename(name)
        package = name.rpartition(".")[0]
        if name.rpartition(".")[2] not in LAZY_MODULES:
            source = self.real.get_data(filename).decode("utf-8")
            module.__dict__["__builtins__"] = _Names(module, _star_sources(source, package))
            code = self.real.get_code(name)
            assert code is not None  # a source file always compiles to code (or raises)
            exec(code, module.__dict__)
            return
        layout = lean_cache.load(filename)
        if layout is None:
            layout = self._layout(module, filename, package)
            if layout is None:
                return
            lean_cache.store(filename, layout)
        statements = {key: Deferred(*value) for key, value in layout.classes.items()}
        module.__dict__["__builtins__"] = _Names(module, layout.stars)
        state = _Pending(filename, dict(statements))
        module.__dict__["__lean_classes__"] = state
        module.__dict__["__getattr__"] = _module_getattr(module)
        module.__dict__["__dir__"] = lambda: sorted({*module.__dict__, *statements})
        exec(layout.eager, module.__dict__)
        exported = module.__dict__.get("__all__")
        if isinstance(exported, list):  # a star import must not build every class
            state.exported = frozenset(exported) & statements.keys()
            module.__dict__["__all__"] = [item for item in exported if item not in statements]
        else:
            state.exported = frozenset(name for name in statements if not name.startswith("_"))

    def _layout(self, module: ModuleType, filename: str, package: str) -> lean_cache.Layout | None:
        """The module's layout from its own files; None when it cannot be split (`module` is then loaded
        whole)."""
        name = module.__name__
        source = self.real.get_data(filename).decode("utf-8")
        stars = _star_sources(source, package)
        code = self.real.get_code(name)
        assert code is not None  # a source file always compiles to code (or raises)
        lines = [line + "\n" for line in source.split("\n")]  # as the compiler counts lines: not splitlines()
        statements = deferrable(code, lines)
        for statement in statements.values():
            lines[statement.first : statement.end] = ["\n"] * (statement.end - statement.first)
        try:
            eager = compile("".join(lines), filename, "exec")
        except SyntaxError:  # a statement whose first line has no instruction was cut: load it all, as is
            module.__dict__["__builtins__"] = _Names(module, stars)
            exec(code, module.__dict__)
            return None
        classes = {key: (d.first, d.end, d.header, d.body) for key, d in statements.items()}
        return lean_cache.Layout(eager, stars, classes)
