"""Deferred SDK classes: the same classes, built on first use, found from every place the SDK looks."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import subprocess
import sys
import textwrap
import threading
import typing
from pathlib import Path
from types import ModuleType

import pytest
from lean_fake import INPUTS, load, unload

from llmops_infra.offline.lean_classes import LeanModuleLoader, _build, deferrable


@pytest.fixture
def fake(tmp_path: Path, request: pytest.FixtureRequest) -> typing.Iterator[dict[str, ModuleType]]:
    package = f"leanfake_{request.node.name}"
    yield load(tmp_path, package)
    unload(tmp_path, package)


def test_only_top_level_class_statements_with_a_one_line_header_are_deferred() -> None:
    code = compile(INPUTS, "x.py", "exec")
    found = deferrable(code, [line + "\n" for line in INPUTS.split("\n")])
    assert sorted(found) == ["Alpha", "BetaArgs", "Hidden", "Twice"]
    lines = INPUTS.split("\n")
    alpha = found["Alpha"]
    assert lines[alpha.first] == "@deco"
    assert lines[alpha.end] == 'CONSTANT = Alpha.__name__ if False else "eager"'  # the next statement stays eager
    assert found["BetaArgs"].header == "class BetaArgs(dict):\n"


def test_classes_are_built_on_first_use_once(fake: dict[str, ModuleType]) -> None:
    inputs = fake["_inputs"]
    assert "Alpha" not in vars(inputs) and "Inside" in vars(inputs) and "OneLine" in vars(inputs)
    assert inputs.CONSTANT == "eager"
    assert inputs.Twice.first is False and "Twice" in vars(inputs)
    assert _build(inputs, "Twice").first is False  # the deferred first statement never overwrites it
    alpha = inputs.Alpha
    assert alpha is inputs.Alpha and alpha.decorated and alpha.__module__ == inputs.__name__
    assert alpha.__qualname__ == "Alpha"
    assert alpha.decorated_at == INPUTS.split("\n").index("@deco") + 1  # the header runs at its own lines
    assert alpha.make.__code__.co_firstlineno == INPUTS.split("\n").index('    def make(self) -> "BetaArgs":') + 1
    assert "Alpha" in dir(inputs)
    assert inputs.__all__ == ["helper", "CONSTANT"]  # a star import does not build every class
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        inputs.Nothing  # noqa: B018


def test_names_resolve_from_function_bodies_annotations_and_star_imports(fake: dict[str, ModuleType]) -> None:
    inputs, resource = fake["_inputs"], fake["resource"]
    made = inputs.helper()  # a function body names two deferred classes, one star-imported from _enums
    assert type(made) is inputs.BetaArgs and made.colour is fake["_enums"].Colour.RED
    beta, red = resource.use()  # another module's star import of _inputs
    assert type(beta) is inputs.BetaArgs and red == "red"
    with pytest.raises(NameError):  # not in _inputs.__all__, so `from ._inputs import *` does not bind it
        eval("Hidden", dict(vars(resource)))
    assert inputs.Hidden.__name__ == "Hidden"
    # Pulumi evaluates string annotations in a copy of the module's globals (_types._globals_for_cls).
    hints = typing.get_type_hints(inputs.Alpha.make, globalns=dict(vars(inputs)))
    assert hints["return"] is inputs.BetaArgs
    with pytest.raises(NameError):
        eval("Nothing", dict(vars(inputs)))


def test_a_module_the_spans_would_cut_badly_loads_eagerly(tmp_path: Path) -> None:
    root = tmp_path / "leanfake_cut"
    root.mkdir()
    (root / "__init__.py").write_text("")
    # the parenthesised statement's first line has no instruction: the class's span would take it
    (root / "_inputs.py").write_text("class A:\n    x = 1\n(\n    print\n)\n")
    real = importlib.machinery.SourceFileLoader("leanfake_cut._inputs", str(root / "_inputs.py"))
    spec = importlib.util.spec_from_file_location("leanfake_cut._inputs", real.path, loader=LeanModuleLoader(real))
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(tmp_path))
    try:
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    finally:
        sys.path.remove(str(tmp_path))
    assert "A" in vars(module) and "__lean_classes__" not in vars(module)


def test_two_threads_build_one_class(fake: dict[str, ModuleType]) -> None:
    inputs = fake["_inputs"]
    seen: list[type] = []
    threads = [threading.Thread(target=lambda: seen.append(inputs.BetaArgs)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seen)) == 1


SHAPE = textwrap.dedent(
    """
    import enum, inspect, importlib, sys
    if sys.argv[1] == "lean":
        from llmops_infra.offline import lean_imports
        lean_imports.install()
    shape = {}
    for name in ("_inputs", "outputs", "_enums"):
        module = importlib.import_module("pulumi_azure_native.keyvault." + name)
        for item in sorted(n for n in dir(module) if n[:1].isupper()):
            cls = getattr(module, item)
            if not isinstance(cls, type) or cls.__module__ != module.__name__:
                continue
            members = [m.value for m in cls] if issubclass(cls, enum.Enum) else sorted(
                k for k in vars(cls) if not k.startswith("__") or k == "__init__"
            )
            init = str(inspect.signature(cls.__init__)) if "__init__" in vars(cls) else ""
            shape[name + "." + item] = (cls.__module__, cls.__qualname__, [b.__name__ for b in cls.__mro__], members, init)
    print(repr(sorted(shape.items())))
    """
)


def test_a_provider_module_has_the_same_classes_lean_and_eager() -> None:
    def shape(mode: str) -> str:
        return subprocess.run([sys.executable, "-c", SHAPE, mode], capture_output=True, text=True, check=True).stdout

    lean, full = shape("lean"), shape("full")
    assert lean == full
    assert shape("lean") == full  # the second lean load reads its layouts from the cache (offline/lean_cache.py)
    assert full.count("_inputs.") > 40
