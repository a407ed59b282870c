"""A virtualenv with the legacy SDK (openai 0.28.1, the seeds' era), built once and cached.

It lives in ``.venv-legacy-openai`` at the repository root (git-ignored by ``.venv-*/``),
is built with ``python -m venv`` and ``pip install -r requirements/legacy-openai.txt``,
and carries a stamp with the hash of those requirements (and the Python version), so a
rerun finds it ready and a change of pins rebuilds it. A file lock keeps two pytest
workers from building it at once. A failed build fails the test, never skips it: CI has
the package index.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from filelock import FileLock

from tests.support import ROOT

VENV = ROOT / ".venv-legacy-openai"
REQUIREMENTS = ROOT / "requirements" / "legacy-openai.txt"
STAMP_NAME = ".requirements-stamp"
BUILD_TIMEOUT_S = 1200


def venv_python(venv: Path = VENV) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def wanted_stamp(requirements: Path = REQUIREMENTS) -> str:
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    version = ".".join(map(str, sys.version_info[:3]))
    return f"{digest} python-{version}\n"


def _lock_path(venv: Path) -> Path:
    # Beside the venv would leave an untracked file in the work tree; the temp dir does not.
    key = hashlib.sha256(str(venv).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"images-api-twin-legacy-venv-{key}.lock"


def _is_ready(venv: Path, stamp: str) -> bool:
    marker = venv / STAMP_NAME
    return venv_python(venv).exists() and marker.is_file() and marker.read_text() == stamp


def _run(command: list[str | Path], what: str) -> None:
    try:
        done = subprocess.run(
            [str(part) for part in command],
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{what}: no result after {BUILD_TIMEOUT_S} s ({exc.cmd})", pytrace=False)
    if done.returncode != 0:
        output = (done.stdout + done.stderr)[-4000:]
        pytest.fail(f"{what} failed (exit {done.returncode}):\n{output}", pytrace=False)


def ensure_legacy_venv(venv: Path = VENV, requirements: Path = REQUIREMENTS) -> Path:
    """The legacy venv's Python, building the venv first if it is missing or stale."""
    stamp = wanted_stamp(requirements)
    if _is_ready(venv, stamp):
        return venv_python(venv)
    with FileLock(str(_lock_path(venv)), timeout=BUILD_TIMEOUT_S + 60):
        if _is_ready(venv, stamp):  # another worker built it while we waited
            return venv_python(venv)
        if venv.exists():
            shutil.rmtree(venv)
        _run([sys.executable, "-m", "venv", venv], f"creating {venv}")
        _run(
            [
                venv_python(venv),
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-input",
                "-r",
                requirements,
            ],
            f"installing {requirements.name} into {venv}",
        )
        (venv / STAMP_NAME).write_text(stamp)  # last: a half-built venv has no stamp
    return venv_python(venv)
