"""Fixtures shared by the whole suite (the helpers they use are in ``tests/support/``).

``app``/``client``: a fresh in-process fake per test (Flask's test client).
``live_server``: one fake over real HTTP for the session, reset before each test.
``fake_process``: ``python -m mockserver`` in subprocesses, stopped when the test ends.
``redis_server``: a real redis-server for the session, emptied for each test.
``docs_site``: the docs site, built once for the session as ``./dev docs`` builds it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mockserver import create_app
from mockserver.http.server import LiveServer
from tests.seeds.extract import missing_seeds
from tests.support import in_ci, profiles, userproject
from tests.support.docsite import build_site
from tests.support.leaks import pytest_runtest_teardown, pytest_unconfigure  # noqa: F401 - its hooks, taken in
from tests.support.processes import FakeProcess
from tests.support.redisserver import RedisServer, need_redis
from tests.support.userproject import UserProject

profiles.load()  # the Hypothesis profile, dev or ci (tests/support/profiles.py)

_STARTED = pytest.StashKey[float]()

API_KEY = "sk-test-0123456789abcdefghijklmnopqrstuvwxyzABCD"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture
def app() -> Flask:
    return create_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    test_client = app.test_client()
    test_client.environ_base["HTTP_AUTHORIZATION"] = AUTH["Authorization"]
    return test_client


@pytest.fixture(scope="session")
def docs_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The docs site, built once for the session (``mkdocs build --strict``, into a temporary folder
    rather than build/site); a failed build fails every test that reads it, with its output."""
    site = tmp_path_factory.mktemp("docs-site") / "site"
    built = build_site(site)
    assert built.returncode == 0, f"the strict docs build failed:\n{built.stdout}\n{built.stderr}"
    return site


@pytest.fixture(scope="session")
def _session_server() -> Iterator[LiveServer]:
    with LiveServer(create_app()) as server:
        yield server


@pytest.fixture
def live_server(_session_server: LiveServer) -> LiveServer:
    """The session's live fake, reset (images forgotten, config kept) for this test."""
    _session_server.app.extensions["mockserver"].reset()
    return _session_server


def backend_of(app: Flask) -> Any:
    return app.extensions["mockserver"]


@pytest.fixture(scope="session")
def user_project(tmp_path_factory: pytest.TempPathFactory) -> UserProject:
    """A user's project with ours installed (tests/support/userproject.py): slow to make, so
    made once per run, in the temporary folder the run's xdist workers share (a worker's own
    is in it)."""
    base = tmp_path_factory.getbasetemp()
    return userproject.shared(base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base)


@pytest.fixture
def fake_process() -> Iterator[Callable[..., FakeProcess]]:
    """Start fakes in subprocesses with ``fake_process(*args, **options)`` (see
    :class:`tests.support.processes.FakeProcess`); each one is stopped when the test ends,
    pass or fail, and its workers with it."""
    started: list[FakeProcess] = []

    def start(*args: str, **options: Any) -> FakeProcess:
        started.append(FakeProcess(*args, **options))
        return started[-1]

    yield start
    for fake in reversed(started):
        fake.stop()


# --- a real Redis for the shared-state tests ----------------------------------------------


@pytest.fixture(scope="session")
def _redis_server() -> Iterator[RedisServer]:
    need_redis()
    with RedisServer() as server:
        yield server


@pytest.fixture
def redis_server(_redis_server: RedisServer) -> RedisServer:
    """The session's real redis-server, running and emptied for this test (skips outside CI
    when redis-server is not installed; fails in CI)."""
    _redis_server.start()
    _redis_server.flush()
    return _redis_server


# --- the contract suite's target (tests/endpoint_suite) -------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-seeds",
        action="store_true",
        default=False,
        help="fail, rather than skip, the tests marked `seeds` when the seed documents are missing "
        "(implied when the environment sets CI=true; .ci/run gives it)",
    )
    parser.addoption(
        "--target",
        default="inprocess",
        metavar="inprocess|http|live|URL",
        help="what tests/endpoint_suite runs against: the fake in-process (default, no sockets), the fake "
        "over HTTP on a free port, the real API (live, needs OPENAI_API_KEY), or any base URL such as "
        "http://127.0.0.1:5000/v1 (key from OPENAI_API_KEY or a dummy)",
    )


# --- the seed documents (tests marked `seeds`) -----------------------------------------------


def _seeds_required(config: pytest.Config) -> bool:
    return bool(config.getoption("--require-seeds")) or in_ci()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The slow tests (venvs, packages, Node.js) first, the others in their order: with
    pytest-xdist each worker starts on one of them while the many short ones fill in around,
    rather than a long one starting last and the run waiting for it alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked ``seeds`` skips, naming what is missing, when the seed documents are absent
    (a fresh clone); where they must be present (CI) that is a failure instead."""
    if item.get_closest_marker("seeds") is None:
        return
    missing = missing_seeds()
    if missing is None:
        return
    if _seeds_required(item.config):
        pytest.fail(f"required here (--require-seeds or CI=true): {missing}", pytrace=False)
    pytest.skip(missing)
# --- the live view's screenshots (tests/ui) --------------------------------------------------


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_STARTED] = time.time()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Say where the browser tests left the screenshots they took in this run."""
    folder = config.rootpath / "build" / "screenshots"
    started = config.stash.get(_STARTED, 0.0)
    shots = sorted(p.name for p in folder.glob("*.png") if p.stat().st_mtime >= started) if folder.is_dir() else []
    if shots:
        terminalreporter.write_sep("-", "screenshots of the live view")
        terminalreporter.write_line(f"{len(shots)} in {folder}: {', '.join(shots)}")
