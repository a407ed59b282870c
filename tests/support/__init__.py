"""What the tests share, written once (import it; nothing here is a test):

* :mod:`tests.support.processes` — ``python -m mockserver`` in a subprocess (:class:`FakeProcess`):
  started on a free port, its start-up lines read, signalled, stopped within a bound, reaped.
* :mod:`tests.support.ports` — a free loopback port; whether a port refuses connections.
* :mod:`tests.support.redisserver` — a real ``redis-server`` for the shared-state tests.
* :mod:`tests.support.pngs` — the pictures the tests upload, and reading them back.
* :mod:`tests.support.profiles` — the Hypothesis profiles (``dev``, ``ci``) and :func:`budget`.
* :mod:`tests.support.leaks` — a socket, file or process left open fails the test that left it.
* :mod:`tests.support.clones` — a fresh clone of this checkout; a user's shell environment.
* :mod:`tests.support.userproject` — a user's project with ours installed (a venv: slow, made once).

The fixtures built on these (``redis_server``, ``fake_process``, ``user_project``) are in
``tests/conftest.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the checkout: what `python -m ...` runs from


def in_ci() -> bool:
    """Whether the environment says this run is CI's (``CI=true``, as CI services set it): what
    may skip elsewhere (no redis-server, no seed documents) must run there."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")
