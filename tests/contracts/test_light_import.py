"""``import contracts`` (what the fake and the client load) stays light: requests, urllib3,
Pillow and Hypothesis are imported only by the modules that use them, the verify package and
the strategies at their top, the image checks inside the functions that decode."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = {"requests", "urllib3", "PIL", "hypothesis"}


def top_level_imports(path: Path) -> set[str]:
    """The modules ``path`` imports when it is imported (not inside functions, nor for typing)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for inner in ast.walk(node) if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) else ():
            if isinstance(inner, ast.Import):
                found |= {alias.name for alias in inner.names}
            elif isinstance(inner, ast.ImportFrom) and inner.module and not inner.level:
                found.add(inner.module)
                found |= {f"{inner.module}.{alias.name}" for alias in inner.names}
    return found


def module_path(name: str) -> Path | None:
    path = ROOT.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def loaded_by(name: str) -> set[str]:
    """Every module ``import name`` loads, ours followed through, others named."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        path = module_path(current)
        if path is None:
            continue
        parts = current.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # its packages load first
        todo += sorted(top_level_imports(path))
    return seen


def test_import_contracts_loads_nothing_heavy() -> None:
    loaded = loaded_by("contracts")
    assert {"contracts.rules", "contracts.uploads", "contracts.png", "contracts.imagefile"} <= loaded
    assert not {m.split(".")[0] for m in loaded} & HEAVY, sorted(m for m in loaded if m.split(".")[0] in HEAVY)


def test_the_verify_package_is_where_they_are() -> None:
    loaded = {m.split(".")[0] for m in loaded_by("contracts.verify")}
    assert loaded >= HEAVY
