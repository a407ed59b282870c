"""A user's project outside this repository, with ours installed as the README says
(``pip install '<checkout>[test]'``) into a virtual environment that already has the newest
official SDK (the version requirements/dev.txt pins): what a project that adopts the fake has.

Slow (a venv and its packages from the package index), so it is made once per run: the
``user_project`` fixture (tests/conftest.py) shares it between the tests that need it, which
are grouped on one pytest-xdist worker (``xdist_group("user-project")``). A test writes its
files into a folder of its own (:meth:`UserProject.folder`) and runs them with the venv's
Python; none of them changes the venv.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import ROOT

GROUP = "user-project"  # the xdist group of the tests that use it
# What a user's copy of the checkout leaves out: our environments, caches and builds.
NOT_COPIED = (".venv*", ".git", "node_modules", "*.egg-info", "build", "dist", "__pycache__", ".*_cache",
              ".hypothesis")


def pinned(name: str) -> str:
    """The exact version requirements/dev.txt pins for ``name``."""
    text = (ROOT / "requirements" / "dev.txt").read_text(encoding="utf-8")
    match = re.search(rf"^{re.escape(name)}==(\S+)$", text, re.MULTILINE | re.IGNORECASE)
    assert match, f"{name} is not pinned in requirements/dev.txt"
    return match.group(1)


@dataclass
class UserProject:
    """The venv (``python``), the copy of our checkout it installed (``source``), and where
    the tests put their projects (``root``)."""

    root: Path
    source: Path
    venv: Path
    sdk_version: str  # the official SDK the project had before it installed ours
    env: dict[str, str] = field(default_factory=dict)

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def folder(self, name: str) -> Path:
        """A new, empty folder for one test's files."""
        path = self.root / name
        path.mkdir()
        return path

    def run(self, *command: str | Path, cwd: Path | None = None, timeout: float = 600,
            check: bool = True) -> subprocess.CompletedProcess[str]:
        """``command`` in the user's environment (none of ours: no OPENAI_, PYTEST or PYTHON variables)."""
        done = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              env=self.env, check=False)
        if check:
            assert done.returncode == 0, f"{command}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done


def build(root: Path) -> UserProject:
    """Copy the checkout, make the venv, install the newest SDK, then ours with its ``[test]`` extra."""
    source = root / "checkout"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_COPIED))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "PYTEST", "PYTHON"))}
    project = UserProject(root, source, root / "project-venv", pinned("openai"), env)
    project.run(sys.executable, "-m", "venv", project.venv, timeout=120)
    quiet = ("-m", "pip", "install", "--quiet", "--disable-pip-version-check")
    project.run(project.python, *quiet, f"openai=={project.sdk_version}")
    project.run(project.python, *quiet, f"{source}[test]")
    return project
