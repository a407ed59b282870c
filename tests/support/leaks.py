"""A socket, file, pipe or process left open by a test fails that test, never a later one.

CPython frees most objects the moment their last reference goes, and an unclosed socket then
warns (a ``ResourceWarning``, an error in this suite) inside the test that dropped it. An
object caught in a reference cycle waits instead for the cyclic garbage collector, which runs
when allocation counts say so: in whatever test comes next, which then fails for another's
leak. So after each test, its fixtures torn down, :func:`sweep` collects the garbage that test
made and fails the test with any warning or error its finalizers raised. The hooks below do it:
tests/conftest.py takes them in (another suite: ``pytest -p tests.support.leaks``).

It stays cheap (a few milliseconds a test) by freezing what survives each sweep (``gc.freeze``):
the next sweep, and the collector's own runs during the next test, look only at what that test
made, and garbage of one test is never finalized in another. What was frozen and became garbage
later (a module's or the session's fixtures, torn down after their last test) is collected
once, after the last test of the run (of each xdist worker), and reported there as such: a full
collection of the whole heap costs about 0.4 s, too much to make after every module.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest

_started = False


def sweep(full: bool) -> list[str]:
    """Collect the garbage made since the last sweep (``full``: everything's, the frozen too);
    what its finalizers could not raise (``sys.unraisablehook``), in words."""
    global _started
    caught: list[str] = []
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        where = unraisable.err_msg or "Exception ignored in"
        said = f"{where}: {unraisable.object!r}: {unraisable.exc_type.__name__}: {unraisable.exc_value}"
        made = tracemalloc.get_object_traceback(unraisable.object) if tracemalloc.is_tracing() else None
        caught.append(said + ("".join(f"\n    made at {frame}" for frame in made) if made else ""))

    sys.unraisablehook = hook
    try:
        if full or not _started:
            gc.unfreeze()
        gc.collect()
        gc.freeze()
        _started = True
    finally:
        sys.unraisablehook = previous
    return caught




def message(caught: list[str], *, last: bool) -> str:
    """Why a test failed for what a sweep found (``last``: the sweep after the run's last test)."""
    whose = ("left behind by this test, or by a module or session fixture of this run, and finalized after "
             "the last test" if last else "left behind by this test and finalized when it ended")
    return f"{whose} (close what you open; PYTHONTRACEMALLOC=20 shows where it was made):\n" + "\n".join(caught)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Once the test and its fixtures are torn down, the garbage it made is collected: a socket
    or file it left open fails it here. After the last test, everything is (the module and
    session fixtures are gone then)."""
    try:
        result = yield
    finally:
        caught = sweep(full=nextitem is None)
    if caught:
        pytest.fail(message(caught, last=nextitem is None), pytrace=False)
    return result


def pytest_unconfigure(config: pytest.Config) -> None:
    """The collector as it was (the last test's sweep was a full one)."""
    gc.unfreeze()
