"""A fresh clone of this checkout, and the environment of a user's shell to run things in it.

:func:`fresh_clone` copies the files a ``git clone`` of the working tree's state would hold (tracked,
and new ones not ignored) into ``destination/repo``, with nothing beside it: no ``../shared``, no
``.venv``, no caches. :func:`user_environment` is this process's environment without what a test run
adds to it (pytest's and Python's variables, an OpenAI key or base URL, an activated venv)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support import ROOT

# What a test run puts in the environment and a user's shell would not have.
NOT_THE_USERS = ("PYTEST", "PYTHON", "OPENAI", "VIRTUAL_ENV", "MOCKSERVER_")


def fresh_clone(destination: Path) -> Path:
    """The repository's files (tracked, and new ones not ignored: what a clone of this state
    holds) copied into ``destination/repo``, with nothing beside it."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout, to know which files a clone holds")
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True, timeout=60).stdout.decode().split("\0")
    clone = destination / "repo"
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    assert sorted(p.name for p in destination.iterdir()) == ["repo"]
    return clone


def user_environment(**extra: str) -> dict[str, str]:
    """A user's shell: this environment without a test run's variables, and a ``PATH`` without any
    virtual environment's ``bin`` (ours included), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(NOT_THE_USERS) and k != "CI"}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if not (Path(p) / "activate").exists())
    return {**env, **extra}
