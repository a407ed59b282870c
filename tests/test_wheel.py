"""The wheel a user installs: typed (``py.typed`` in each package), its ``[test]`` extra asks for
ranges, so installing it into a project keeps the SDK version that project already has, and every
console script it gives answers ``--version`` with the version pyproject.toml gives."""

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


def scripts() -> dict[str, str]:
    return dict(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"])


def test_every_python_m_command_has_a_console_script() -> None:
    """``python -m mockserver``, ``python -m client``, ``python -m contracts`` and its ``verify``."""
    targets = set(scripts().values())
    for package in PACKAGES:
        assert f"{package}.__main__:main" in targets, package
    assert scripts()["images-verify"] == "contracts.__main__:verify"


@pytest.mark.slow
def test_pip_install_gives_each_console_script_at_the_projects_version(user_project: UserProject) -> None:
    """``pip install '<checkout>[test]'`` (the user project): each script, run from its venv's bin, answers
    ``--version`` with pyproject.toml's version, the one CHANGELOG.md's newest release names."""
    wanted = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    for script in scripts():
        answer = user_project.run(user_project.venv / "bin" / script, "--version")
        assert answer.stdout == f"images-api-twin {wanted}\n", (script, answer.stdout)
    helped = user_project.run(user_project.venv / "bin" / "images-verify", "--help").stdout
    assert helped.startswith("usage: images-verify ") and "--base-url" in helped
