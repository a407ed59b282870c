"""A fresh clone, with nothing beside it, passes: the tests that read the seed documents (which
are not part of the repository) skip there with one reason naming what is missing, and fail
instead where the seeds are required (CI)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.seeds import extract
from tests.support import ROOT
from tests.support.clones import fresh_clone, user_environment

SEED_READERS = re.compile(r"^from tests\.(?:seeds|node) import (?:extract|extract_node)\b", re.MULTILINE)


def seed_dependent_modules(root: Path) -> list[str]:
    """The test modules that read the seed documents (they import an extractor)."""
    return sorted(
        str(path.relative_to(root))
        for path in (root / "tests").rglob("test_*.py")
        if SEED_READERS.search(path.read_text(encoding="utf-8")) and path.name != Path(__file__).name
    )


def run_seed_tests(clone: Path, *, ci: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in user_environment().items() if k != extract.SEEDS_ENV}
    if ci:
        env["CI"] = "true"
    modules = seed_dependent_modules(clone)
    # Their tests that read the seeds (marked `seeds`), and none that installs Node.js packages.
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-rs",
               "-m", "seeds", *modules]
    return subprocess.run(command, cwd=clone, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_every_module_that_reads_the_seeds_is_found() -> None:
    assert {"tests/seeds/test_extract.py", "tests/sdk/test_seeds_legacy.py",
            "tests/node/test_node_sdks.py"} <= set(seed_dependent_modules(ROOT))


@pytest.mark.slow
def test_a_fresh_clone_skips_the_seed_tests_saying_why(tmp_path: Path) -> None:
    clone = fresh_clone(tmp_path)
    result = run_seed_tests(clone, ci=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    summary = output.strip().splitlines()[-1]
    assert re.fullmatch(r"=+ \d+ skipped, \d+ deselected in [\d.]+s =+", summary), summary
    reasons = {line.split(": ", 1)[1] for line in output.splitlines() if line.startswith("SKIPPED")}
    assert reasons == {extract.missing_seeds(tmp_path / "shared" / "seeds")}, reasons
    assert "are not in" in next(iter(reasons)) and "000_ecfbdd12a8e6c58a.txt" in next(iter(reasons))


@pytest.mark.slow
def test_under_ci_missing_seeds_fail_the_run(tmp_path: Path) -> None:
    clone = fresh_clone(tmp_path)
    result = run_seed_tests(clone, ci=True)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-4000:]
    assert " skipped" not in output.strip().splitlines()[-1]
    assert "required here (--require-seeds or CI=true): the seed documents" in output

