"""A socket, file, pipe or process left open by a test fails that test, never a later one.

CPython frees most objects the moment their last reference goes, and an unclosed socket then
warns (a ``ResourceWarning``, an error in this suite) inside the test that dropped it. An
object caught in a reference cycle waits instead for the cyclic garbage collector, which runs
when allocation counts say so: in whatever test comes next, which then fails for another's
leak. So after each test, its fixtures torn down, :func:`sweep` collects the garbage that test
made and fails the test with any warning or error its finalizers raised.

It stays cheap (about 0.2 ms a test) by freezing what survives each sweep (``gc.freeze``): the
next sweep, and the collector's own runs during the next test, look only at what that test
made, and garbage of one test is never finalized in another. What was frozen (a module's
fixtures, say) is collected when the tests of that module are done (a full collection: tens
of milliseconds, once a module) and at the end of the run.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from typing import Any

_started = False


def sweep(full: bool) -> list[str]:
    """Collect the garbage made since the last sweep (``full``: everything's); what its
    finalizers could not raise (``sys.unraisablehook``), in words."""
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


def finish() -> None:
    """At the end of the run: the collector as it was (the last test's sweep was a full one)."""
    gc.unfreeze()


def message(caught: list[str]) -> str:
    return ("left behind by this test and finalized when it ended (close what you open; run with "
            "PYTHONTRACEMALLOC=20 to see where it was made):\n" + "\n".join(caught))
