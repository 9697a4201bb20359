"""Import only the SDK modules the estate uses, not whole provider packages.

`pulumi_azure_native.network/__init__.py` imports all ~290 resource modules of the package
(and `pulumi_kubernetes.core.v1` all of its kinds) although the estate uses a handful. That
costs more than a second of every cold `plan`. This finder loads such a package without
running its `__init__` and resolves each attribute on first use from the submodule that
defines it (`PrivateEndpoint` -> `private_endpoint.py`, `SubnetArgs` -> `_inputs.py`).
Whatever it cannot place, it gets by running the package's real `__init__`, so behaviour never
changes, only the cost. Installed by `install()`; `uninstall()` removes it.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from llmops_infra.offline.lean_classes import LeanModuleLoader

_AZURE = re.compile(r"^pulumi_azure_native\.[a-z0-9]+$")
_KUBERNETES = re.compile(r"^pulumi_kubernetes\.[a-z0-9.]+\.v[0-9a-z]+$")
_SNAKE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _is_lean(fullname: str) -> bool:
    return bool(_AZURE.match(fullname) or _KUBERNETES.match(fullname))


def _candidates(package: str, name: str) -> list[str]:
    """Submodules of `package` that may define `name`, most likely first."""
    if name.startswith("__"):
        return []
    if name.endswith(("Args", "ArgsDict")):
        return ["_inputs"]
    if package.startswith("pulumi_kubernetes."):
        return [name, "_inputs", "outputs"] if name[:1].isupper() else [name]
    if name[:1].islower():
        base = name[: -len("_output")] if name.endswith("_output") else name
        return [base]
    return [_SNAKE.sub("_", name).lower(), "_enums", "outputs"]


def _loaded_lean(package: str) -> bool:
    """Whether `package` was loaded by this finder (its submodules may then defer their classes).

    A package imported before `install()` ran its real `__init__`, which star-imports `_inputs`:
    there a deferred class would be missing from the package's namespace."""
    module = sys.modules.get(package)
    spec = getattr(module, "__spec__", None)
    return isinstance(getattr(spec, "loader", None), _LeanLoader)


class _LeanLoader(importlib.abc.Loader):
    def __init__(self, real: importlib.abc.Loader) -> None:
        self.real = real

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        real = self.real
        spec = module.__spec__
        assert spec is not None and spec.submodule_search_locations  # the finder wraps packages only
        directory = Path(spec.submodule_search_locations[0])
        state = {"full": False}

        def load_fully() -> None:
            if not state["full"]:
                state["full"] = True
                real.exec_module(module)

        def __getattr__(name: str) -> Any:
            for sub in _candidates(module.__name__, name):
                if (directory / f"{sub}.py").exists():
                    submodule = importlib.import_module(f"{module.__name__}.{sub}")
                    if hasattr(submodule, name):  # kubernetes: Namespace.py defines Namespace
                        value = getattr(submodule, name)
                        setattr(module, name, value)
                        return value
                    if sub == name:  # `from . import outputs`: the submodule itself
                        return submodule
            if name.startswith("__"):
                raise AttributeError(name)
            load_fully()
            try:
                return module.__dict__[name]
            except KeyError:
                raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}") from None

        module.__getattr__ = __getattr__  # type: ignore[method-assign]  # PEP 562 hook; typeshed's ModuleType has none


class _LeanFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        package = _is_lean(fullname)
        if not package and not _loaded_lean(fullname.rpartition(".")[0]):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        if package and spec.submodule_search_locations:
            spec.loader = _LeanLoader(spec.loader)
        elif not package and isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            spec.loader = LeanModuleLoader(spec.loader)  # its classes are built when first used
        else:
            return None
        return spec


_FINDER = _LeanFinder()


def install() -> None:
    """Make later imports of provider packages lean (packages already imported stay as they are)."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def uninstall() -> None:
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
