"""A fake provider package whose `_inputs` and `_enums` load lean (tests of offline/lean_classes.py and
offline/lean_cache.py)."""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from llmops_infra.offline.lean_classes import LeanModuleLoader

INPUTS = """\
import builtins as _builtins
import sys
from typing import Optional
from ._enums import *

__all__ = ["Alpha", "BetaArgs", "helper", "CONSTANT"]  # not Hidden


def deco(cls):
    cls.decorated = True
    cls.decorated_at = sys._getframe(1).f_lineno  # the line the module's frame reports
    return cls


@deco
class Alpha:
    size: Optional["BetaArgs"]

    def make(self) -> "BetaArgs":
        return BetaArgs(Colour.RED)

CONSTANT = Alpha.__name__ if False else "eager"


class BetaArgs(dict):
    '''A description with a line separator \u2028 as Azure's docs have: one line to the compiler.'''

    def __init__(self, colour):
        self.colour = colour


if True:
    class Inside:
        pass


class OneLine: pass


class Hidden:
    pass


class Twice:
    first = True


class Twice:  # the second statement of a name stays eager, and it is the one that stands
    first = False


def helper():
    return Alpha().make()
"""

ENUMS = """\
import enum

__all__ = ["Colour"]


class Colour(str, enum.Enum):
    RED = "red"
"""

RESOURCE = """\
from ._enums import *
from ._inputs import *

__all__ = ["use"]


def use():
    return BetaArgs("blue"), Colour.RED
"""


def load(tmp_path: Path, package: str) -> dict[str, ModuleType]:
    """A package whose `_inputs` and `_enums` are lean and whose `resource` star-imports them."""
    root = tmp_path / package
    if not root.exists():  # loaded again: the files as the test left them
        root.mkdir()
        (root / "__init__.py").write_text("")
        for name, text in {"_inputs": INPUTS, "_enums": ENUMS, "resource": RESOURCE}.items():
            (root / f"{name}.py").write_text(text)
    sys.path.insert(0, str(tmp_path))
    importlib.import_module(package)
    modules = {}
    for name in ("_enums", "_inputs", "resource"):
        full = f"{package}.{name}"
        real = importlib.machinery.SourceFileLoader(full, str(root / f"{name}.py"))
        spec = importlib.util.spec_from_file_location(full, root / f"{name}.py", loader=LeanModuleLoader(real))
        assert spec is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[full] = module
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        modules[name] = module
    return modules


def unload(tmp_path: Path, package: str) -> None:
    """Undo `load`: the fake package off `sys.path` and out of `sys.modules`."""
    sys.path.remove(str(tmp_path))
    for name in [name for name in sys.modules if name.startswith(package)]:
        del sys.modules[name]
