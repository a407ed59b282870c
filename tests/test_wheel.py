"""The wheel a user installs: typed (``py.typed`` in each package), and its ``[test]`` extra asks
for ranges, so installing it into a project keeps the SDK version that project already has."""

from __future__ import annotations

import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.support import ROOT
from tests.support.userproject import UserProject

PACKAGES = ("contracts", "mockserver", "client")


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
def test_the_wheel_is_typed_and_keeps_a_newer_sdk(user_project: UserProject, tmp_path: Path) -> None:
    user_project.run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", tmp_path / "dist",
                     user_project.source)
    (wheel,) = (tmp_path / "dist").glob("images_api_twin-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"{package}/py.typed" for package in PACKAGES} <= names, sorted(n for n in names if "typed" in n)
    # The user's project had the SDK's latest before it installed ours: it still has it.
    have = user_project.run(user_project.python, "-c",
                            "import openai, mockserver, client, contracts; print(openai.__version__)").stdout
    assert have.strip() == user_project.sdk_version
