"""A user's project outside this repository, with ours installed as docs/pytest.md says
(``pip install '<checkout>[test]'``) into a virtual environment that already has the newest
official SDK (the version requirements/dev.txt pins): what a project that adopts the fake has.

Slow (a venv and its packages from the package index), so it is made once per run: the
``user_project`` fixture (tests/conftest.py) shares it between the tests that need it, on every
pytest-xdist worker (:func:`shared` builds it under a file lock, in the run's temporary folder
that the workers share). A test writes its own files in its own ``tmp_path`` and runs them with
the venv's Python; none of them changes the venv.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock

from tests.support import ROOT
from tests.support.clones import user_environment

BUILD_TIMEOUT = 1200  # seconds: a build, or the wait for another worker's
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
    """The venv (``python``) and the copy of our checkout it installed (``source``)."""

    source: Path
    venv: Path
    sdk_version: str  # the official SDK the project had before it installed ours
    env: dict[str, str] = field(default_factory=dict)

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def run(self, *command: str | Path, cwd: Path | None = None, timeout: float = 600,
            check: bool = True) -> subprocess.CompletedProcess[str]:
        """``command`` in the user's environment (none of ours: no OPENAI_, PYTEST or PYTHON variables)."""
        done = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              env=self.env, check=False)
        if check:
            assert done.returncode == 0, f"{command}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done


def shared(run_folder: Path) -> UserProject:
    """The run's user project in ``run_folder`` (the folder every worker of the run shares):
    the first worker to ask builds it, the others wait for it (a file lock), then all use it."""
    root = run_folder / "user-project"
    project = UserProject(root / "checkout", root / "venv", pinned("openai"),
                          user_environment())
    with FileLock(str(run_folder / "user-project.lock"), timeout=BUILD_TIMEOUT):
        if not (root / "ready").exists():
            shutil.rmtree(root, ignore_errors=True)  # what a build that failed half-way left
            build(project)
            (root / "ready").touch()
    return project


def build(project: UserProject) -> None:
    """Copy the checkout, make the venv, install the newest SDK, then ours with its ``[test]`` extra."""
    shutil.copytree(ROOT, project.source, ignore=shutil.ignore_patterns(*NOT_COPIED))
    project.run(sys.executable, "-m", "venv", project.venv, timeout=120)
    quiet = ("-m", "pip", "install", "--quiet", "--disable-pip-version-check")
    project.run(project.python, *quiet, f"openai=={project.sdk_version}")
    project.run(project.python, *quiet, f"{project.source}[test]")
