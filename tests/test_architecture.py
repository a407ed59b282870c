"""The layering holds: contracts imports nothing of ours; mockserver and client import
contracts but never each other. And the public surfaces are pinned."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"contracts", "mockserver", "client", "tests"}
ALLOWED = {"contracts": set(), "mockserver": {"contracts"}, "client": {"contracts"}}


def imports_of(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text())
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = (names & OURS) - {package}
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_layering(package: str) -> None:
    for path, names in imports_of(package).items():
        assert names <= ALLOWED[package], f"{path} imports {sorted(names - ALLOWED[package])}"


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
