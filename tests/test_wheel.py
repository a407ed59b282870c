"""The wheel a user installs: typed (``py.typed`` in each package), and its ``[test]`` extra asks
for ranges, so installing it into a project keeps the SDK version that project already has."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.support import ROOT

PACKAGES = ("contracts", "mockserver", "client")


def pinned(name: str) -> str:
    """The exact version requirements/dev.txt pins for ``name``."""
    text = (ROOT / "requirements" / "dev.txt").read_text(encoding="utf-8")
    match = re.search(rf"^{re.escape(name)}==(\S+)$", text, re.MULTILINE | re.IGNORECASE)
    assert match, f"{name} is not pinned in requirements/dev.txt"
    return match.group(1)


def test_the_package_asks_for_ranges_not_pins() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [*project["dependencies"], *(r for extra in project["optional-dependencies"].values() for r in extra)]
    exact = [r for r in wanted if "==" in r or "===" in r]
    assert not exact, f"exact pins belong in requirements/, not in pyproject.toml: {exact}"
    assert "openai" in " ".join(project["optional-dependencies"]["test"])


def test_each_package_is_marked_typed() -> None:
    for package in PACKAGES:
        assert (ROOT / package / "py.typed").is_file(), package


@pytest.mark.slow
def test_the_wheel_is_typed_and_keeps_a_newer_sdk(tmp_path: Path) -> None:
    source = tmp_path / "checkout"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv*", ".git", "node_modules", "*.egg-info", "build", "dist", "__pycache__", ".*_cache", ".hypothesis"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "PYTEST", "PYTHON"))}

    def run(*command: str | Path, timeout: float = 600) -> str:
        done = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=timeout, env=env,
                              check=False)
        assert done.returncode == 0, f"{command}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        return done.stdout

    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", tmp_path / "dist", source)
    (wheel,) = (tmp_path / "dist").glob("images_api_twin-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"{package}/py.typed" for package in PACKAGES} <= names, sorted(n for n in names if "typed" in n)

    venv = tmp_path / "project-venv"
    run(sys.executable, "-m", "venv", venv, timeout=120)
    python = venv / "bin" / "python"
    newer = pinned("openai")  # the SDK's latest, which a user's project already has
    run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"openai=={newer}")
    run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"{wheel}[test]")
    have = run(python, "-c", "import openai, mockserver, client, contracts; print(openai.__version__)").strip()
    assert have == newer
