"""Compile llmops-infra's modules to bytecode before a cold benchmark, as `pip install` does.

A wheel install writes every module's `.pyc`, and an editable install writes them on first import,
unless `PYTHONDONTWRITEBYTECODE` is set, as it is on some build machines. Without them every new
process compiles the package's ~260 modules from source again: about 0.4 s CPU per cold plan that no
user pays, and not the floor either (the SDKs' bytecode comes with their wheels). The benchmarks
call `compile_package()` first and print what it did.
"""

from __future__ import annotations

import compileall
import os
from pathlib import Path


def compile_package() -> str:
    """Write the missing `.pyc` of every llmops_infra module (under a strict editable install, next
    to the links in build/__editable__…, which git ignores); a line saying so."""
    import llmops_infra

    package = Path(llmops_infra.__file__).parent
    compiled = compileall.compile_dir(package, quiet=2, workers=1)
    note = (
        " (PYTHONDONTWRITEBYTECODE is set: a process would not write them itself)"
        if os.environ.get("PYTHONDONTWRITEBYTECODE")
        else ""
    )
    return f"bytecode of {package} {'compiled' if compiled else 'not all compiled'}{note}"
