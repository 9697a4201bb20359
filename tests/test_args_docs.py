"""Every component Args (and Spec) field with a default says in its docstring what the default
does (STYLE.md: "Default: a private endpoint is created", not just its value)."""

from __future__ import annotations

import ast
from pathlib import Path

COMPONENTS = Path(__file__).resolve().parents[1] / "components"


def _defaulted_fields() -> list[tuple[str, str | None]]:
    """(`module:Class.field`, docstring or None) of every field with a default."""
    found = []
    for path in sorted(COMPONENTS.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name.endswith(("Args", "Spec"))):
            for i, node in enumerate(cls.body):
                if not (isinstance(node, ast.AnnAssign) and node.value is not None):
                    continue
                if "ClassVar" in ast.unparse(node.annotation):  # not a field
                    continue
                after = cls.body[i + 1] if i + 1 < len(cls.body) else None
                doc = (
                    after.value.value
                    if isinstance(after, ast.Expr)
                    and isinstance(after.value, ast.Constant)
                    and isinstance(after.value.value, str)
                    else None
                )
                found.append((f"{path.stem}:{cls.name}.{ast.unparse(node.target)}", doc))
    return found


def test_the_scan_sees_the_components_args():
    names = {name for name, _ in _defaulted_fields()}
    assert len(names) > 100
    assert "key_vault:KeyVaultArgs.allow_public_network_access" in names
    assert not any(name.endswith((".service", ".zones")) and "PrivateServiceArgs" in name for name in names)


def test_every_defaulted_field_says_what_its_default_does():
    undocumented = [name for name, doc in _defaulted_fields() if doc is None]
    silent = [name for name, doc in _defaulted_fields() if doc is not None and "default" not in doc.lower()]
    assert not undocumented, f"fields with a default and no docstring: {undocumented}"
    assert not silent, f"docstrings that do not say what the default does: {silent}"
