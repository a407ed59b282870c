"""The layering holds: contracts imports nothing of ours; mockserver and client import
contracts but never each other; inside mockserver each layer imports only the layers under
it, and no modules import each other in a circle. Deferred imports (inside a function or an
``if``) count as much as the ones at the top. And the public surfaces are pinned.

The layers, as docs/architecture.md draws them (top first; a row may import the rows below):
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"contracts", "mockserver", "client", "tests"}
ALLOWED = {"contracts": set(), "mockserver": {"contracts"}, "client": {"contracts"}}

# mockserver's layers, top first. A module may import its own layer and every layer below;
# the layers of one row are peers and do not import each other.
LAYERS: list[tuple[str, ...]] = [
    ("__init__", "__main__"),  # the public surface; the command line (they only wire)
    # FakeHandle, intercept(), the transports, the pytest plugin; the docs site's generated text
    ("testing", "docsite"),
    ("app",),  # the composition root
    # the /v1 routes and image URLs; the /_mock routes and the live view; --record/--replay's
    # answers to /v1 (a proxy, or the cassettes), which take the pipeline's place beside api's
    ("api", "control", "recording"),
    ("core",),  # the behaviour: the request pipeline, the API's decisions
    ("state",),  # what a fake remembers: one interface, in memory or on Redis
    ("settings", "render", "http"),  # operator input as data; images; the HTTP server
]
LAYER_OF = {name: row for row, names in enumerate(LAYERS) for name in names}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(path: Path, package: str | None = None) -> set[str]:
    """Every module of ours that ``path`` imports, at its top or deferred (``from a import b``
    names module ``a.b`` where that is a module, else ``a``). ``package``: the one ``path`` is
    in (for relative imports), found from its place in the checkout when not given."""
    if package is None:
        package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if _is_module(candidate) else base)
    return {name for name in found if name.split(".")[0] in OURS}


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imports_of(package: str) -> dict[str, set[str]]:
    return {str(path.relative_to(ROOT)): {n.split(".")[0] for n in _imported(path)} - {package}
            for path in _sources(package)}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_layering(package: str) -> None:
    for path, names in imports_of(package).items():
        assert names <= ALLOWED[package], f"{path} imports {sorted(names - ALLOWED[package])}"


def _layer(module: str) -> str:
    """The layer of a module of mockserver: its first name below ``mockserver``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_part_of_mockserver_has_a_layer() -> None:
    tops = {p.stem if p.is_file() else p.name for p in (ROOT / "mockserver").iterdir()
            if (p.suffix == ".py") or (p / "__init__.py").is_file()}
    assert tops == set(LAYER_OF), "a new folder or module of mockserver needs its place in LAYERS"


def test_mockserver_layers_import_only_downwards() -> None:
    wrong = []
    for path in _sources("mockserver"):
        here = _layer(_module_name(path))
        for name in _imported(path):
            if name.split(".")[0] != "mockserver":
                continue
            there = _layer(name)
            if there != here and LAYER_OF[there] <= LAYER_OF[here]:
                wrong.append(f"{path.relative_to(ROOT)} ({here}) imports {name} ({there})")
    assert not wrong, "imports that go up or sideways:\n" + "\n".join(wrong)


def test_no_import_cycles() -> None:
    graph = {_module_name(p): {n for n in _imported(p) if n != _module_name(p)}
             for package in ("contracts", "mockserver", "client") for p in _sources(package)}
    # A package's __init__ re-exporting its own modules is not a cycle of layers: drop the
    # edge from a module up to the package that contains it.
    graph = {m: {n for n in deps if not m.startswith(n + ".")} for m, deps in graph.items()}
    seen: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(module: str) -> None:
        seen[module] = 1
        path.append(module)
        for dep in sorted(graph.get(module, ())):
            if seen.get(dep) == 1:
                cycle = [*path[path.index(dep):], dep]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if dep not in seen:
                visit(dep)
        path.pop()
        seen[module] = 2

    for module in sorted(graph):
        if module not in seen:
            visit(module)


def test_the_layers_check_sees_a_deferred_import(tmp_path: Path) -> None:
    """The checks read imports inside functions too (the cycles they hide are cycles)."""
    source = tmp_path / "x.py"
    source.write_text("import json\n\n\ndef f():\n    from mockserver.app import create_app\n"
                      "    if f:\n        from . import files\n    return create_app\n")
    assert _imported(source, package="mockserver.api") == {"mockserver.app", "mockserver.api.files"}


def test_only_strategies_imports_hypothesis() -> None:
    for path in (ROOT / "contracts").rglob("*.py"):
        if path.relative_to(ROOT / "contracts").parts[0] != "strategies":  # the strategies package
            assert "hypothesis" not in path.read_text(), path


def test_public_surfaces() -> None:
    import client
    import contracts
    import mockserver

    assert sorted(mockserver.__all__) == [
        "Config", "ConfigError", "ControlError", "FakeHandle", "LiveServer", "create_app", "intercept"]
    assert sorted(contracts.__all__) == sorted([
        "CATALOGUE", "EDITS", "ENDPOINTS", "GENERATIONS", "MODELS", "REAL_BASE_URL", "VARIATIONS",
        "ApiError", "Endpoint", "ErrorSpec", "ImageRequest", "ModelProfile", "Upload", "error",
        "parse_form_request", "parse_json_request",
    ])
    assert "ImagesClient" in client.__all__ and "prepare_image" in client.__all__  # pinned in full in tests/client
    for module in (client, contracts, mockserver):
        for name in module.__all__:
            assert hasattr(module, name)


def test_the_layer_map_shows_every_layer_and_only_downward_imports() -> None:
    shown = {line.split()[0]: line.partition("imports: ")[2] for line in layer_map().splitlines()}
    assert list(shown) == [name for names in LAYERS for name in names]
    for name, uses in shown.items():
        assert all(LAYER_OF[used] > LAYER_OF[name] for used in uses.split(", ") if used != "-"), name


def layer_map() -> str:
    """mockserver's layers as text: each layer's modules (with their lines) and the layers it
    imports. ``python -m tests.test_architecture`` prints it."""
    rows = []
    for names in LAYERS:
        for name in names:
            path = ROOT / "mockserver" / name
            files = sorted(path.rglob("*.py")) if path.is_dir() else [path.with_suffix(".py")]
            lines = sum(len(f.read_text().splitlines()) for f in files)
            uses = sorted({_layer(n) for f in files for n in _imported(f)
                           if n.startswith("mockserver.") and _layer(n) != name})
            rows.append(f"{name:<10} {len(files):>3} modules {lines:>6} lines   imports: {', '.join(uses) or '-'}")
    return "\n".join(rows)


if __name__ == "__main__":
    print(layer_map())
